"""Fetching mail (M7) from a real IMAP server (Dovecot on 127.0.0.1):
filing by sender, unmatched mail and attaching it by hand, never filing a
message twice, and decoding what Chinese mail clients send."""
from __future__ import annotations

import base64

import pytest

from crm_tui import mail
from crm_tui.config import Config, ImapConfig, MailConfig
from crm_tui.models import Interaction, MailMessage
from crm_tui.models.customers import Contact
from crm_tui.models.errors import InvalidTransition, NotFound, PermissionDenied
from tests.conftest import make_customer
from tests.mailservers import (HOST, MAIL_PASSWORD, MAIL_USER, certificate, dovecot,  # noqa: F401
                               dovecot_tls, free_port, gb2312_message, trust_certificate,
                               utf8_message)

CONTACT_ADDRESS = "Li.Ming@Client.example"


def imap_settings(port: int, **overrides) -> ImapConfig:
    values = dict(host=HOST, port=port, security="none", username=MAIL_USER,
                  password=MAIL_PASSWORD, folder="INBOX")
    values.update(overrides)
    return ImapConfig(**values)


def config_for(port: int, **overrides) -> Config:
    return Config(mail=MailConfig(imap=imap_settings(port, **overrides)))


def add_contact(customer, address=CONTACT_ADDRESS, name="李明"):
    return Contact.create_by(customer.manager, customer, {
        "name": name, "sex": "M", "position": "采购经理", "office_phone": "010-62345678",
        "email": address})


@pytest.fixture
def customer(crm_db, people):
    return make_customer(people.manager, name="北京远大科技有限公司")


def test_mail_from_a_contact_is_filed_as_an_interaction_of_the_customer(customer, people,
                                                                        dovecot):
    contact = add_contact(customer)
    dovecot.deliver(gb2312_message("li.ming@client.example"))

    result = mail.fetch_mail(config_for(dovecot.port))

    assert (result.filed, result.unmatched, result.duplicates) == (1, 0, 0)
    stored = MailMessage.get()
    assert (stored.direction, stored.status) == ("in", "filed")
    assert (stored.customer_id, stored.contact_id) == (customer.id, contact.id)
    assert stored.sender == "li.ming@client.example"
    assert stored.subject == "询价：激光打印机"
    assert stored.body == "王经理：\n请报价五台。朱镕"
    interaction = Interaction.get_by_id(stored.interaction_id)
    assert (interaction.customer_id, interaction.contact_id) == (customer.id, contact.id)
    assert interaction.source == "mail_in"
    assert interaction.summary == "询价：激光打印机"
    assert "朱镕" in interaction.detail
    assert "李明" in interaction.note
    assert str(interaction.date) == "2026-11-24"
    # The manager sees it on the customer's mail list.
    assert [m.id for m in MailMessage.of_customer(people.manager, customer.id)] == [stored.id]
    # Filed messages are marked seen in the mailbox.
    assert all("\\Seen" in flags for flags in dovecot.flags())


def test_mail_from_an_unknown_sender_waits_unmatched(customer, people, dovecot):
    add_contact(customer)
    dovecot.deliver(utf8_message("stranger@elsewhere.example", "Hello", "<s-1@elsewhere>",
                                 "Who are you?"))

    result = mail.fetch_mail(config_for(dovecot.port))

    assert (result.filed, result.unmatched) == (0, 1)
    stored = MailMessage.get()
    assert stored.status == "unmatched"
    assert stored.customer_id is None and stored.interaction_id is None
    assert Interaction.select().count() == 0
    assert [m.id for m in MailMessage.unmatched_for(people.manager)] == [stored.id]
    # Read-only roles do not file mail, so do not see the unmatched list.
    assert MailMessage.unmatched_for(people.executive).count() == 0


def test_unmatched_mail_is_attached_by_hand_once(customer, people, dovecot):
    dovecot.deliver(utf8_message("stranger@elsewhere.example", "报价", "<s-2@elsewhere>",
                                 "请报价"))
    mail.fetch_mail(config_for(dovecot.port))
    message = MailMessage.get()

    with pytest.raises(PermissionDenied):
        message.attach_to_customer(people.other_manager, customer.id)
    with pytest.raises(PermissionDenied):
        message.attach_to_customer(people.executive, customer.id)
    interaction = message.attach_to_customer(people.manager, customer.id)

    stored = MailMessage.get_by_id(message.id)
    assert (stored.status, stored.customer_id, stored.interaction_id) == (
        "filed", customer.id, interaction.id)
    assert (interaction.customer_id, interaction.source, interaction.summary) == (
        customer.id, "mail_in", "报价")
    assert interaction.created_by_id == people.manager.id
    assert MailMessage.unmatched_for(people.manager).count() == 0
    # A second attach (another user's stale list) is refused.
    with pytest.raises(InvalidTransition):
        message.attach_to_customer(people.admin, customer.id)
    assert Interaction.select().count() == 1


def test_attach_needs_a_customer_the_user_may_see(customer, people, dovecot):
    dovecot.deliver(utf8_message("x@elsewhere.example", "Hi", "<s-3@elsewhere>", "x"))
    mail.fetch_mail(config_for(dovecot.port))
    theirs = make_customer(people.other_manager, name="上海某公司")
    with pytest.raises((PermissionDenied, NotFound)):
        MailMessage.get().attach_to_customer(people.manager, theirs.id)
    assert MailMessage.get().status == "unmatched"


def test_fetching_twice_files_once(customer, dovecot):
    add_contact(customer)
    dovecot.deliver(gb2312_message("li.ming@client.example"))
    # The same message delivered twice (same Message-ID), and one without
    # any Message-ID.
    dovecot.deliver(gb2312_message("li.ming@client.example"))
    dovecot.deliver(gb2312_message("LI.MING@client.example", message_id=None))

    first = mail.fetch_mail(config_for(dovecot.port))
    assert (first.filed, first.duplicates) == (2, 1)
    # Another mail client marks everything unread again: still filed once.
    dovecot.mark_all_unseen()
    second = mail.fetch_mail(config_for(dovecot.port))
    assert (second.filed, second.unmatched, second.duplicates) == (0, 0, 3)

    assert MailMessage.select().count() == 2
    assert Interaction.select().count() == 2
    hashed = MailMessage.get(MailMessage.message_id != "<order-1@client.example>")
    assert hashed.message_id.startswith("<sha256.")
    # Nothing new: nothing read.
    assert mail.fetch_mail(config_for(dovecot.port)).total == 0


def test_a_contact_address_shared_by_two_customers_is_left_to_a_person(customer, people,
                                                                        dovecot):
    add_contact(customer)
    add_contact(make_customer(people.other_manager, name="上海某公司"), "li.ming@client.EXAMPLE")
    dovecot.deliver(gb2312_message("li.ming@client.example"))
    assert mail.fetch_mail(config_for(dovecot.port)).unmatched == 1
    assert Interaction.select().count() == 0


def test_multipart_takes_the_plain_part_else_strips_html(customer, dovecot):
    add_contact(customer)
    dovecot.deliver(utf8_message(
        CONTACT_ADDRESS, "Both", "<both@client>", "plain words",
        "<html><body><p>html words</p></body></html>"))
    dovecot.deliver(utf8_message(
        CONTACT_ADDRESS, "Only html", "<html@client>", None,
        "<html><head><style>p {color: red}</style></head><body><p>第一段 &amp; more</p>"
        "<div>第二段<br>第三行</div><script>alert(1)</script></body></html>"))

    assert mail.fetch_mail(config_for(dovecot.port)).filed == 2

    assert MailMessage.get(MailMessage.message_id == "<both@client>").body == "plain words"
    html_only = MailMessage.get(MailMessage.message_id == "<html@client>").body
    assert html_only == "第一段 & more\n\n第二段\n第三行"


def test_fetch_over_tls_and_starttls(customer, dovecot_tls):
    add_contact(customer)
    dovecot_tls.deliver(gb2312_message("li.ming@client.example"))
    dovecot_tls.deliver(utf8_message(CONTACT_ADDRESS, "Two", "<two@client>", "x"))
    # Implicit TLS on the IMAPS port...
    tls = config_for(dovecot_tls.tls_port, security="tls")
    assert mail.fetch_mail(tls).filed == 2
    # ...and STARTTLS on the plain port.
    dovecot_tls.mark_all_unseen()
    starttls = config_for(dovecot_tls.port, security="starttls")
    assert mail.fetch_mail(starttls).duplicates == 2


def test_server_down_and_missing_folder_are_said_plainly(customer, dovecot):
    dovecot.deliver(gb2312_message("li.ming@client.example"))
    port = free_port()
    with pytest.raises(mail.MailError, match=f"{HOST}:{port} cannot be reached"):
        mail.fetch_mail(config_for(port))
    with pytest.raises(mail.MailError, match="Archive"):
        mail.fetch_mail(config_for(dovecot.port, folder="Archive"))
    with pytest.raises(mail.MailError, match="mail.imap.host"):
        mail.fetch_mail(config_for(dovecot.port, host=""))
    assert MailMessage.select().count() == 0
    # The message is still unread, waiting for a fetch that works.
    assert mail.fetch_mail(config_for(dovecot.port)).unmatched == 1


def test_refused_login_is_said_plainly(customer, dovecot):
    # Last login of this server: Dovecot slows down logins after a refusal.
    dovecot.deliver(gb2312_message("li.ming@client.example"))
    with pytest.raises(mail.MailError, match=f"refused the login of {MAIL_USER}"):
        mail.fetch_mail(config_for(dovecot.port, password="wrong"))
    assert MailMessage.select().count() == 0


def test_only_users_who_edit_customers_fetch(customer, people, dovecot):
    dovecot.deliver(gb2312_message("li.ming@client.example"))
    with pytest.raises(PermissionDenied):
        mail.fetch_mail(config_for(dovecot.port), actor=people.executive)
    assert MailMessage.select().count() == 0
    assert mail.fetch_mail(config_for(dovecot.port), actor=people.manager).total == 1


def test_mail_of_a_customer_is_shown_only_to_who_may_see_it(customer, people, dovecot):
    add_contact(customer)
    dovecot.deliver(gb2312_message("li.ming@client.example"))
    mail.fetch_mail(config_for(dovecot.port))
    assert MailMessage.of_customer(people.supervisor, customer.id).count() == 1
    with pytest.raises(NotFound):
        MailMessage.of_customer(people.other_manager, customer.id)


def test_headers_decode_in_every_usual_form():
    raw = ("From: =?utf-8?Q?=E5=BC=A0=E4=BC=9F?= <ZHANG@Example.COM>\r\n"
           "Subject: =?gbk?B?" + base64.b64encode("合同续签".encode("gbk")).decode() + "?=\r\n"
           " =?utf-8?B?" + base64.b64encode(" 第二期".encode()).decode() + "?=\r\n"
           "Content-Type: text/plain; charset=x-unknown-charset\r\n\r\n"
           ).encode("ascii") + "正文".encode("utf-8")
    parsed = mail.parse_message(raw)
    assert parsed.sender == "zhang@example.com"
    assert parsed.sender_name == "张伟"
    assert parsed.subject == "合同续签 第二期"
    assert parsed.body == "正文"
    assert parsed.message_id.startswith("<sha256.")
    assert parsed.message_id == mail.parse_message(raw).message_id
    assert parsed.message_id != mail.parse_message(raw + b"!").message_id


"""Sending mail to a customer's contact (M7) through a real SMTP server
(aiosmtpd on 127.0.0.1): what arrives, what is recorded, and that a failure
records nothing as sent."""
from __future__ import annotations

import dataclasses
import email
from email.policy import default as default_policy

import pytest

from crm_tui import mail
from crm_tui.config import SmtpConfig
from crm_tui.models import AuditLog, Interaction, MailMessage
from crm_tui.models.customers import Contact
from crm_tui.models.errors import PermissionDenied, ValidationError
from tests.conftest import at, make_customer
from tests.mailservers import (HOST, REFUSED_DOMAIN, SMTP_PASSWORD, SMTP_USER, certificate,  # noqa: F401
                               free_port, smtp_server, start_smtp, trust_certificate)

SENDER = "sales@crm.example"


def smtp_settings(port: int, **overrides) -> SmtpConfig:
    values = dict(host=HOST, port=port, security="none", username="", password="", sender=SENDER)
    values.update(overrides)
    return SmtpConfig(**values)


def contact_of(customer, email_address="li.ming@client.example"):
    return Contact.create_by(customer.manager, customer, {
        "name": "李明", "sex": "M", "position": "采购经理", "office_phone": "010-62345678",
        "email": email_address})


@pytest.fixture
def customer_with_contact(crm_db, people):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    return customer, contact_of(customer)


def draft(to="li.ming@client.example", subject="报价单 Q3", body="李经理您好，\n附上报价。"):
    return {"to": to, "subject": subject, "body": body}


def nothing_recorded():
    assert MailMessage.select().count() == 0
    assert Interaction.select().count() == 0


def received_message(server, index=0):
    return email.message_from_bytes(server.received[index].data, policy=default_policy)


def test_sent_mail_arrives_and_is_recorded_as_an_interaction(customer_with_contact, people,
                                                              smtp_server):
    customer, contact = customer_with_contact
    at(2026, 11, 24, 10)
    sent = mail.send_to_contact(people.manager, smtp_settings(smtp_server.port), customer.id,
                                contact.id, draft())

    assert len(smtp_server.received) == 1
    assert smtp_server.received[0].recipients == ["li.ming@client.example"]
    arrived = received_message(smtp_server)
    assert arrived["Subject"] == "报价单 Q3"
    assert arrived["From"] == SENDER
    assert arrived.get_content().replace("\r\n", "\n").strip() == "李经理您好，\n附上报价。"

    stored = MailMessage.get_by_id(sent.id)
    assert (stored.direction, stored.status) == ("out", "sent")
    assert stored.message_id == arrived["Message-ID"]
    assert (stored.customer_id, stored.contact_id) == (customer.id, contact.id)
    interaction = Interaction.get_by_id(stored.interaction_id)
    assert (interaction.customer_id, interaction.contact_id) == (customer.id, contact.id)
    assert interaction.source == "mail_out"
    assert interaction.summary == "报价单 Q3"
    assert str(interaction.date) == "2026-11-24"
    assert interaction.created_by_id == people.manager.id
    assert AuditLog.select().where((AuditLog.table_name == "mail_message")
                                   & (AuditLog.row_id == sent.id)).exists()


def test_starttls_with_login(customer_with_contact, people, trust_certificate):
    customer, contact = customer_with_contact
    server = start_smtp("starttls", login=True, certificate=trust_certificate)
    try:
        settings = smtp_settings(server.port, security="starttls", username=SMTP_USER,
                                 password=SMTP_PASSWORD)
        mail.send_to_contact(people.manager, settings, customer.id, contact.id, draft())
        assert len(server.received) == 1
        assert MailMessage.get().status == "sent"
    finally:
        server.controller.stop()


def test_implicit_tls_with_login(customer_with_contact, people, trust_certificate):
    customer, contact = customer_with_contact
    server = start_smtp("tls", login=True, certificate=trust_certificate)
    try:
        settings = smtp_settings(server.port, security="tls", username=SMTP_USER,
                                 password=SMTP_PASSWORD)
        mail.send_to_contact(people.manager, settings, customer.id, contact.id, draft())
        assert len(server.received) == 1
    finally:
        server.controller.stop()


def test_untrusted_certificate_is_refused_and_nothing_recorded(customer_with_contact, people,
                                                                certificate):
    customer, contact = customer_with_contact
    server = start_smtp("tls", certificate=certificate)  # the client does not trust it
    try:
        with pytest.raises(mail.MailError, match="certificate"):
            mail.send_to_contact(people.manager, smtp_settings(server.port, security="tls"),
                                 customer.id, contact.id, draft())
        assert server.received == []
        nothing_recorded()
    finally:
        server.controller.stop()


def test_refused_login_is_said_plainly_and_nothing_recorded(customer_with_contact, people,
                                                            trust_certificate):
    customer, contact = customer_with_contact
    server = start_smtp("starttls", login=True, certificate=trust_certificate)
    try:
        settings = smtp_settings(server.port, security="starttls", username=SMTP_USER,
                                 password="wrong password")
        with pytest.raises(mail.MailError, match=f"refused the login of {SMTP_USER}"):
            mail.send_to_contact(people.manager, settings, customer.id, contact.id, draft())
        assert server.received == []
        nothing_recorded()
    finally:
        server.controller.stop()


def test_server_down_is_said_plainly_and_nothing_recorded(customer_with_contact, people):
    customer, contact = customer_with_contact
    port = free_port()  # nothing listens there
    with pytest.raises(mail.MailError, match=f"{HOST}:{port} cannot be reached"):
        mail.send_to_contact(people.manager, smtp_settings(port), customer.id, contact.id,
                             draft())
    nothing_recorded()


def test_refused_address_is_named_and_nothing_recorded(customer_with_contact, people,
                                                       smtp_server):
    customer, contact = customer_with_contact
    address = f"nobody@{REFUSED_DOMAIN}"
    with pytest.raises(mail.MailError, match=f"refused the address {address}"):
        mail.send_to_contact(people.manager, smtp_settings(smtp_server.port), customer.id,
                             contact.id, draft(to=address))
    assert smtp_server.received == []
    nothing_recorded()


def test_malformed_address_and_missing_subject_never_reach_the_server(customer_with_contact,
                                                                      people, smtp_server):
    customer, contact = customer_with_contact
    with pytest.raises(ValidationError) as error:
        mail.send_to_contact(people.manager, smtp_settings(smtp_server.port), customer.id,
                             contact.id, draft(to="li.ming at client", subject=" "))
    assert set(error.value.errors) == {"to", "subject"}
    assert smtp_server.received == []
    nothing_recorded()


def test_sending_is_off_without_a_host(customer_with_contact, people):
    customer, contact = customer_with_contact
    with pytest.raises(mail.MailError, match="mail.smtp.host"):
        mail.send_to_contact(people.manager, SmtpConfig(host="", sender=SENDER), customer.id,
                             contact.id, draft())
    nothing_recorded()


def test_only_who_may_edit_the_customer_sends(customer_with_contact, people, smtp_server):
    customer, contact = customer_with_contact
    settings = smtp_settings(smtp_server.port)
    for outsider in (people.other_manager, people.executive, people.supervisor):
        with pytest.raises(PermissionDenied):
            mail.send_to_contact(outsider, settings, customer.id, contact.id, draft())
    assert smtp_server.received == []
    nothing_recorded()
    # The administrator may edit every customer, so may write to it.
    mail.send_to_contact(people.admin, settings, customer.id, contact.id, draft())
    assert len(smtp_server.received) == 1


def test_another_address_is_recorded_with_the_contact_who_has_it(customer_with_contact, people,
                                                                 smtp_server):
    customer, first = customer_with_contact
    second = contact_of(customer, "Zhang.Wei@Client.example")
    sent = mail.send_to_contact(people.manager, smtp_settings(smtp_server.port), customer.id,
                                first.id, draft(to="zhang.wei@client.example"))
    assert MailMessage.get_by_id(sent.id).contact_id == second.id
    sent = mail.send_to_contact(people.manager, smtp_settings(smtp_server.port), customer.id,
                                first.id, draft(to="someone.else@client.example"))
    assert MailMessage.get_by_id(sent.id).contact_id is None
    assert Interaction.select().where(Interaction.source == "mail_out").count() == 2


def test_a_contact_of_another_customer_is_refused(customer_with_contact, people, smtp_server):
    customer, _ = customer_with_contact
    other = make_customer(people.manager, name="上海某公司")
    stranger = contact_of(other, "x@other.example")
    with pytest.raises(ValidationError):
        mail.send_to_contact(people.manager, smtp_settings(smtp_server.port), customer.id,
                             stranger.id, draft(to="x@other.example"))
    assert smtp_server.received == []


def test_sender_falls_back_to_the_login_and_is_required(customer_with_contact, people,
                                                        smtp_server):
    customer, contact = customer_with_contact
    settings = dataclasses.replace(smtp_settings(smtp_server.port), sender="")
    with pytest.raises(mail.MailError, match="mail.smtp.sender"):
        mail.send_to_contact(people.manager, settings, customer.id, contact.id, draft())
    nothing_recorded()

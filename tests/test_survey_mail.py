"""Survey invitations through a real SMTP server (aiosmtpd) and replies
fetched from a real IMAP server (Dovecot), both on 127.0.0.1: a reply with
its code is filed as answers within an ordinary `mail fetch`, and a bad
reply in the batch neither stops it nor is lost."""
from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from crm_tui import mail
from crm_tui.config import Config, ImapConfig, MailConfig, SmtpConfig
from crm_tui.models import (Contact, MailMessage, Survey, SurveyAnswer, SurveyInvitation,
                            SurveyReply, SurveyResponse)
from crm_tui.models.surveys import ANSWERED, FAILED, INVITED, REPLY_FILED, REPLY_UNMATCHED
from crm_tui.survey_mail import send_invitations
from tests.conftest import make_customer
from tests.mailservers import (HOST, MAIL_PASSWORD, MAIL_USER, REFUSED_DOMAIN,  # noqa: F401
                               dovecot, smtp_server)

SENDER = "service@crm.example"


def smtp_settings(port: int) -> SmtpConfig:
    return SmtpConfig(host=HOST, port=port, security="none", sender=SENDER)


def imap_config(port: int) -> Config:
    return Config(mail=MailConfig(imap=ImapConfig(host=HOST, port=port, security="none",
                                                  username=MAIL_USER, password=MAIL_PASSWORD,
                                                  folder="INBOX")))


def add_contact(customer, name, address):
    return Contact.create_by(customer.manager, customer, {
        "name": name, "sex": "M", "position": "采购经理", "office_phone": "010-62345678",
        "email": address})


@pytest.fixture
def survey(crm_db, people):
    survey = Survey.create_by(people.supervisor, {"title": "2026年度服务满意度"})
    for text, kind in (("服务态度", "score"), ("交货及时", "score"), ("建议", "text")):
        survey.add_question_by(people.supervisor, {"text": text, "kind": kind})
    return survey.open_by(people.supervisor)


def reply_to(received: bytes, sender: str, answers: str, message_id: str) -> bytes:
    """What a mail client sends back: "Re:" and the subject, the answers on
    top and the invitation quoted below."""
    original = email.message_from_bytes(received, policy=default_policy)
    quoted = "\n".join("> " + line for line in original.get_content().splitlines())
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = SENDER
    reply["Subject"] = "Re: " + original["Subject"]
    reply["Message-ID"] = message_id
    reply["In-Reply-To"] = original["Message-ID"]
    reply["Date"] = "Thu, 26 Nov 2026 10:00:00 +0800"
    reply.set_content(answers + "\n\n" + quoted)
    return bytes(reply)


def test_a_survey_is_sent_and_the_replies_are_filed_by_mail_fetch(survey, people, smtp_server,
                                                                 dovecot):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    li = add_contact(customer, "李明", "li.ming@client.example")
    add_contact(customer, "退信", "nobody@" + REFUSED_DOMAIN)
    other = make_customer(people.other_manager, name="上海某公司")
    add_contact(other, "张三", "zhang@sh.example")

    invitations = survey.invite_by(people.supervisor, {"customer": customer.id})
    result = send_invitations(people.supervisor, smtp_settings(smtp_server.port), invitations)

    assert (result.sent, result.failed) == (1, 1)
    sent = SurveyInvitation.get(SurveyInvitation.contact == li.id)
    refused = SurveyInvitation.get(SurveyInvitation.contact != li.id)
    assert sent.status == INVITED and refused.status == FAILED and "550" in refused.problem
    assert [m.recipients for m in smtp_server.received] == [["li.ming@client.example"]]
    arrived = email.message_from_bytes(smtp_server.received[0].data, policy=default_policy)
    assert sent.code in arrived["Subject"] and "服务态度" in arrived.get_content()
    # Kept as sent mail of the customer.
    kept = MailMessage.get_by_id(sent.mail_message_id)
    assert (kept.direction, kept.customer_id, kept.contact_id) == ("out", customer.id, li.id)

    # The contact answers (one line names no question); a stranger replies
    # with a made-up code; the contact answers a second time, with escape
    # sequences. One fetch reads them all.
    dovecot.deliver(reply_to(smtp_server.received[0].data, "li.ming@client.example",
                             "1: 2\n2：１\n3: 送货太慢，请改进\n9: 5", "<answer-1@client.example>"))
    dovecot.deliver(reply_to(smtp_server.received[0].data, "x@elsewhere.example", "1: 5",
                             "<answer-2@elsewhere>").replace(sent.code.encode(), b"DY-ZZZZZZZZ"))
    dovecot.deliver(reply_to(smtp_server.received[0].data, "li.ming@client.example",
                             "1: \x1b[2J5\n" * 3000, "<answer-3@client.example>"))

    fetched = mail.fetch_mail(imap_config(dovecot.port))

    assert (fetched.total, fetched.filed, fetched.unmatched) == (3, 2, 1)
    replies = {reply.mail_message.message_id: reply for reply in SurveyReply.select()}
    first = replies["<answer-1@client.example>"]
    assert first.status == REPLY_FILED and "9" in first.reason
    response = SurveyResponse.get_by_id(first.response_id)
    assert (response.customer_id, response.contact_id, response.source) == (
        customer.id, li.id, "mail")
    assert {(a.score, a.text) for a in SurveyAnswer.select()
            .where(SurveyAnswer.response == response.id)} == {
        (2, ""), (1, ""), (None, "送货太慢，请改进")}
    assert SurveyInvitation.get_by_id(sent.id).status == ANSWERED
    assert replies["<answer-2@elsewhere>"].status == REPLY_UNMATCHED
    # A second reply to the same invitation is not filed over the first.
    assert replies["<answer-3@client.example>"].status == REPLY_UNMATCHED
    assert SurveyResponse.select().count() == 1
    # Average 1.50: the customer's manager has a follow-up.
    from crm_tui.models.surveys import follow_ups_due
    assert [f.customer_id for f in follow_ups_due(people.manager)] == [customer.id]

    # Sending again retries only the refused one.
    again = send_invitations(people.supervisor, smtp_settings(smtp_server.port),
                             survey.invite_by(people.supervisor, {"customer": customer.id}))
    assert (again.sent, again.failed) == (0, 1)
    assert len(smtp_server.received) == 1

"""Outgoing mail cannot carry injected headers: a subject, an address or the
configured sender whose decoded text holds CR or LF (raw, or inside an RFC
2047 encoded word) is refused before anything reaches the SMTP server
(aiosmtpd on 127.0.0.1); the check decodes the words itself, so it holds
whatever the Python version's mail library does with them."""
from __future__ import annotations

import base64
import email
import quopri
from email.policy import default as default_policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_tui import mail
from crm_tui.models.errors import ValidationError
from crm_tui.models.mail import OutgoingMail, breaks_header
from tests.mailservers import smtp_server  # noqa: F401
from tests.test_mail_send import (customer_with_contact, draft, nothing_recorded,  # noqa: F401
                                  smtp_settings)

INJECTIONS = [
    "=?utf-8?q?=0ABcc:_evil@x.example?=",
    "Quote =?utf-8?q?Q3=0D=0ABcc:_evil@x.example?=",
    "=?UTF-8?B?CkJjYzogZXZpbEB4LmV4YW1wbGU=?=",
    "=?utf-8?b?DQpCY2M6IGV2aWxAeC5leGFtcGxl?=",  # CR LF
    "=?iso-8859-1?q?x=0Ay?=",
    "=?utf-7?q?+AA0ACg-Bcc:_evil@x.example?=",  # CR LF in UTF-7
    "=?utf-8*en?q?x=0Ay?=",  # with an RFC 2231 language
    "=?utf-8?q?x=E2=80=A8Bcc:_evil@x.example?=",  # U+2028, a line end to str.splitlines
    "Quote\r\nBcc: evil@x.example",
    "Quote\nBcc: evil@x.example",
]


@pytest.mark.parametrize("subject", INJECTIONS)
def test_a_subject_that_would_start_a_header_line_is_refused_at_the_field(
        customer_with_contact, people, smtp_server, subject):
    customer, contact = customer_with_contact
    with pytest.raises(ValidationError) as error:
        mail.send_to_contact(people.manager, smtp_settings(smtp_server.port), customer.id,
                             contact.id, draft(subject=subject))
    assert set(error.value.errors) == {"subject"}
    assert smtp_server.received == []
    nothing_recorded()


def test_an_address_with_an_encoded_line_break_is_refused(customer_with_contact, people,
                                                         smtp_server):
    customer, contact = customer_with_contact
    with pytest.raises(ValidationError) as error:
        mail.send_to_contact(people.manager, smtp_settings(smtp_server.port), customer.id,
                             contact.id, draft(to="=?utf-8?q?=0ABcc:evil@x.example?=@x.example"))
    assert set(error.value.errors) == {"to"}
    assert smtp_server.received == []


def test_a_sender_display_name_with_a_line_break_is_refused(customer_with_contact, people,
                                                           smtp_server):
    customer, contact = customer_with_contact
    for sender in ("=?utf-8?q?Sales=0ABcc:_evil@x.example?= <sales@crm.example>",
                   "Sales\r\nBcc: evil@x.example <sales@crm.example>"):
        with pytest.raises(mail.MailError, match="mail.smtp.sender"):
            mail.send_to_contact(people.manager, smtp_settings(smtp_server.port, sender=sender),
                                 customer.id, contact.id, draft())
    assert smtp_server.received == []
    nothing_recorded()


def test_ordinary_encoded_words_and_chinese_subjects_are_sent(customer_with_contact, people,
                                                             smtp_server):
    customer, contact = customer_with_contact
    subject = "报价 =?utf-8?q?caf=C3=A9?= Q3"
    mail.send_to_contact(people.manager, smtp_settings(smtp_server.port), customer.id,
                         contact.id, draft(subject=subject))
    arrived = email.message_from_bytes(smtp_server.received[0].data, policy=default_policy)
    assert "Bcc" not in arrived and arrived["Subject"].startswith("报价")


# ----- generated subjects ------------------------------------------------------------

CHARSETS = st.sampled_from(["utf-8", "UTF-8", "iso-8859-1", "utf-7", "utf-16", "gb2312",
                            "x-unknown", "utf-8*en"])


@st.composite
def encoded_word(draw) -> str:
    data = draw(st.binary(max_size=30)) + draw(st.sampled_from(
        [b"", b"\n", b"\r\n", b"\nBcc: evil@x.example", b"\x0b", b"\x85"]))
    if draw(st.booleans()):
        return f"=?{draw(CHARSETS)}?b?{base64.b64encode(data).decode()}?="
    return f"=?{draw(CHARSETS)}?q?{quopri.encodestring(data, header=True).decode()}?="


SUBJECTS = st.lists(st.one_of(st.text(max_size=20), encoded_word()), min_size=1,
                    max_size=4).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(SUBJECTS)
def test_a_subject_the_check_lets_through_never_adds_a_header_line(subject):
    """Whatever the mail library of this Python does with encoded words,
    a subject `breaks_header` accepts is written as one Subject header."""
    if breaks_header(subject):
        return
    outgoing = OutgoingMail(customer=None, contact=None, to="li.ming@client.example",
                            subject=subject, body="body")
    written = mail.build_message(smtp_settings(25), outgoing).as_bytes()
    head = written.split(b"\n\n", 1)[0]
    names = [line.split(b":", 1)[0].lower() for line in head.splitlines()
             if line and line[:1] not in b" \t"]
    assert sorted(names) == sorted([b"from", b"to", b"subject", b"date", b"message-id",
                                    b"content-type", b"content-transfer-encoding",
                                    b"mime-version"])

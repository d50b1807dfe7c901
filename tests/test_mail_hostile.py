"""Mail from outside cannot stop or poison filing. Hostile messages (a
Date: in year 9999 with an odd zone, multipart nested 1,500 deep, NUL in
subject and body, huge and malformed headers) are fetched from a real
Dovecot between good ones: every message is kept (unreadable ones with the
reason and the raw bytes), marked seen, and the fetch goes on and ends with
counts; the command line and the app say them, never a traceback.

The parser itself is fed generated messages (headers, nesting, transfer
encodings, charsets, dates): it returns a message or says it is unreadable,
and filing stores only clean text, on SQLite and PostgreSQL."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import quopri

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_tui import cli, mail
from crm_tui.models import Interaction, MailMessage
from crm_tui.models.mail import DUPLICATE, FILED, UNMATCHED, UNREADABLE, IncomingMail
from crm_tui.plain_text import BIDI_CONTROLS, unsafe_chars
from crm_tui.screens.mail import UnmatchedMailScreen
from tests.mailservers import dovecot, gb2312_message, utf8_message  # noqa: F401
from tests.pilot import notices, open_module, press_and_settle, sign_in
from tests.test_mail_cli import write_config
from tests.test_mail_fetch import add_contact, config_for, customer  # noqa: F401
from tests.test_mail_screens import mail_app

CONTACT = "li.ming@client.example"


def headers(*lines: str | bytes) -> bytes:
    return b"".join((line.encode() if isinstance(line, str) else line) + b"\r\n"
                    for line in lines)


def nested(depth: int, message_id: str = "<deep@x.example>") -> bytes:
    """A message of `depth` multiparts each inside the last."""
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
                       for i in range(depth))
    closing = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    return (headers(f"From: {CONTACT}", "Subject: deep", f"Message-ID: {message_id}",
                    "MIME-Version: 1.0")
            + opening + b"Content-Type: text/plain\r\n\r\nhidden" + closing)


def hostile_messages() -> dict[str, bytes]:
    return {
        "year 9999": headers(f"From: {CONTACT}", "Subject: far future", "Message-ID: <y@x>",
                             "Date: Fri, 31 Dec 9999 23:59:59 -1200") + b"\r\nbody\r\n",
        "deep": nested(1500),
        "nul": headers(f"From: {CONTACT}", "Subject: nul\x00inside", "Message-ID: <n@x>")
        + b"\r\nbo\x00dy \x1b]0;pwned\x07\r\n",
        "huge header": headers(f"From: {'Q' * 200_000} <{CONTACT}>", "Message-ID: <h@x>",
                               "Subject: " + "x" * 300_000, "X-Junk: " + "y" * 500_000)
        + b"\r\nbody\r\n",
        "malformed": headers("From: <<<@@@>>> ,,, ;;; =?utf-8?b?####?=",
                             "To: ,,,", "Subject: =?bogus-charset?q?=FF=FE?= =?utf-8?b?%%%?=",
                             "Content-Type: multipart/mixed", "Content-Transfer-Encoding: x-junk",
                             "Date: yesterday at noon") + b"\r\nbody\r\n",
    }


def test_hostile_messages_neither_stop_nor_poison_the_fetch(customer, people, dovecot):
    contact = add_contact(customer)
    dovecot.deliver(utf8_message(CONTACT, "first", "<good-1@client.example>", "one"))
    for raw in hostile_messages().values():
        dovecot.deliver(raw)
    dovecot.deliver(gb2312_message(CONTACT, "<good-2@client.example>"))

    result = mail.fetch_mail(config_for(dovecot.port))

    assert (result.filed, result.unmatched, result.unreadable, result.duplicates) == (5, 1, 1, 0)
    assert all("\\Seen" in flags for flags in dovecot.flags())
    good = MailMessage.select().where(MailMessage.message_id.in_(
        ["<good-1@client.example>", "<good-2@client.example>"]))
    assert {message.status for message in good} == {FILED}
    assert {m.subject for m in good} == {"first", "询价：激光打印机"}

    deep = MailMessage.get(MailMessage.status == UNREADABLE)
    assert "nested too deeply" in deep.problem
    assert bytes(deep.original).startswith(f"From: {CONTACT}".encode())
    assert deep.original_sha256 == hashlib.sha256(bytes(deep.original)).hexdigest()
    assert deep.sender == CONTACT and deep.subject == "deep"

    far = MailMessage.get(MailMessage.message_id == "<y@x>")
    assert far.date <= dt.datetime.now() + dt.timedelta(days=1)
    nul = MailMessage.get(MailMessage.message_id == "<n@x>")
    # (Dovecot itself turns a NUL into 0x80; the NUL on the database is
    # test_a_nul_in_subject_and_body_is_filed_cleaned below.)
    assert nul.contact_id == contact.id
    assert nul.subject.startswith("nul") and nul.subject.endswith("inside")
    assert "\x1b" not in nul.body and "pwned" in nul.body
    assert bytes(nul.original).endswith(b"\x1b]0;pwned\x07\r\n")
    huge = MailMessage.get(MailMessage.message_id == "<h@x>")
    assert len(huge.subject) == 250 and huge.status == FILED
    for message in MailMessage.select():
        for text in (message.subject, message.body, message.sender, message.recipients):
            assert not unsafe_chars(text)

    # Read again: every one of them is known, the unreadable one too.
    dovecot.mark_all_unseen()
    again = mail.fetch_mail(config_for(dovecot.port))
    assert again.duplicates == again.total == 7
    assert Interaction.select().count() == 5


def test_a_nul_in_subject_and_body_is_filed_cleaned(crm_db, customer, people):
    add_contact(customer)
    raw = hostile_messages()["nul"]

    assert mail.file_raw_message(raw)[0] == FILED

    stored = MailMessage.get()
    assert (stored.subject, stored.body) == ("nulinside", "body ]0;pwned")
    assert bytes(stored.original) == raw
    assert Interaction.get().summary == "nulinside"


def test_the_command_line_ends_with_counts_never_a_traceback(sqlite_db, people, tmp_path,
                                                             dovecot, capsys):
    for raw in hostile_messages().values():
        dovecot.deliver(raw)

    assert cli.main(["--config", write_config(tmp_path, dovecot.port), "mail", "fetch"]) == 0

    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == ("Fetched 5: 0 filed, 4 unmatched, 1 unreadable, "
                                    "0 already there.")
    assert "Traceback" not in out + err
    # The sender and subject lines come from outside: no control character
    # reaches the terminal.
    assert not unsafe_chars(out, allow="\n\t")


async def test_the_app_fetch_says_the_counts_and_lists_the_unreadable(sqlite_db, sqlite_url,
                                                                      people, dovecot):
    dovecot.deliver(nested(1500))
    dovecot.deliver(utf8_message("who@elsewhere.example", "Hello", "<h-1@elsewhere>", "hi"))
    app = mail_app(sqlite_url, imap_port=dovecot.port)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        screen = await open_module(pilot, "mail", UnmatchedMailScreen)
        await press_and_settle(pilot, "f")
        assert ("Fetched 2: 0 filed, 1 unmatched, 1 unreadable, 0 already there."
                in notices(app))
        assert screen.table.row_count == 2
        unreadable = MailMessage.get(MailMessage.status == UNREADABLE)
        # An unreadable message cannot be filed to a customer.
        with pytest.raises(Exception, match="unreadable"):
            unreadable.attach_to_customer(people.manager, 1)


# ----- generated messages ----------------------------------------------------------

ANY_CHAR = st.characters(codec=None, categories=None)
CHARSETS = st.sampled_from(["utf-8", "gb2312", "gbk", "iso-8859-1", "utf-7", "utf-16",
                            "x-unknown", "", "utf-8*en", "\u202e", "ascii"])


@st.composite
def encoded_words(draw) -> str:
    data = draw(st.binary(max_size=40))
    if draw(st.booleans()):
        text = base64.b64encode(data).decode()
        if draw(st.booleans()):
            text = text[: draw(st.integers(0, len(text)))]  # cut: not valid base64
        return f"=?{draw(CHARSETS)}?b?{text}?="
    return f"=?{draw(CHARSETS)}?q?{quopri.encodestring(data, header=True).decode()}?="


HEADER_TEXT = st.lists(st.one_of(st.text(ANY_CHAR, max_size=40), encoded_words()),
                       max_size=4).map(" ".join)


@st.composite
def dates(draw) -> str:
    if draw(st.booleans()):
        return draw(st.text(ANY_CHAR, max_size=40))
    year = draw(st.integers(0, 9999))
    zone = draw(st.integers(-9999, 9999))
    return (f"{draw(st.sampled_from(['Mon', 'Fri', 'Xyz']))}, {draw(st.integers(0, 40))} "
            f"{draw(st.sampled_from(['Jan', 'Dec', 'Foo']))} {year} "
            f"{draw(st.integers(0, 99)):02d}:{draw(st.integers(0, 99)):02d}:00 {zone:+05d}")


@st.composite
def leaf_parts(draw) -> bytes:
    payload = draw(st.binary(max_size=200))
    encoding = draw(st.sampled_from(["base64", "quoted-printable", "7bit", "8bit", "x-junk"]))
    if encoding == "base64" and draw(st.booleans()):
        payload = base64.encodebytes(payload)
    elif encoding == "quoted-printable" and draw(st.booleans()):
        payload = quopri.encodestring(payload)
    kind = draw(st.sampled_from(["text/plain", "text/html", "application/pdf", "text/x-junk"]))
    disposition = draw(st.sampled_from(["", "Content-Disposition: attachment\r\n"]))
    return (f"Content-Type: {kind}; charset=\"{draw(CHARSETS)}\"\r\n"
            f"Content-Transfer-Encoding: {encoding}\r\n{disposition}\r\n").encode(
                "utf-8", "surrogateescape") + payload


def multiparts(children: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw) -> bytes:
        boundary = draw(st.sampled_from(["b1", "=_x", "", "a b", "--"]))
        parts = draw(st.lists(children, max_size=3))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
        closing = b"--" + boundary.encode() + b"--\r\n" if draw(st.booleans()) else b""
        return (f'Content-Type: multipart/{draw(st.sampled_from(["mixed", "alternative"]))}; '
                f'boundary="{boundary}"\r\n\r\n').encode() + body + closing
    return build()


BODIES = st.recursive(leaf_parts(), multiparts, max_leaves=8)


@st.composite
def messages(draw) -> bytes:
    lines = []
    for name in ("From", "To", "Cc", "Subject", "Message-ID"):
        if draw(st.booleans()):
            lines.append(f"{name}: {draw(HEADER_TEXT)}")
    if draw(st.booleans()):
        lines.append(f"Date: {draw(dates())}")
    for _ in range(draw(st.integers(0, 2))):
        lines.append(f"{draw(st.text(ANY_CHAR, min_size=1, max_size=10))}: "
                     f"{draw(st.text(ANY_CHAR, max_size=30))}")
    head = "\r\n".join(line.replace("\n", " ").replace("\r", " ") for line in lines)
    raw = head.encode("utf-8", "surrogatepass") + b"\r\n"
    if draw(st.booleans()):
        raw += nested(draw(st.integers(1, 1200)))
    else:
        raw += draw(BODIES)
    return raw


@settings(max_examples=300, deadline=None)
@given(messages())
def test_the_parser_reads_any_message_or_says_it_is_unreadable(raw):
    try:
        incoming = mail.parse_message(raw)
    except mail.UnreadableMail as error:
        assert str(error)
        return
    assert isinstance(incoming, IncomingMail)
    assert all(isinstance(getattr(incoming, name), str)
               for name in ("message_id", "sender", "subject", "body", "recipients"))
    assert isinstance(incoming.date, dt.datetime)
    assert dt.datetime(1970, 1, 1) <= incoming.date <= dt.datetime.now() + dt.timedelta(days=2)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(raw=messages())
def test_filing_any_message_stores_clean_text_and_never_raises(crm_db, customer, raw):
    outcome, message_id, _about = mail.file_raw_message(raw)

    assert outcome in (FILED, UNMATCHED, UNREADABLE, DUPLICATE)
    stored = MailMessage.get(MailMessage.message_id == message_id)
    for text in (stored.subject, stored.sender, stored.recipients, stored.message_id):
        assert not unsafe_chars(text, allow="") and not BIDI_CONTROLS & set(text)
    assert not unsafe_chars(stored.body)
    if stored.problem:
        assert stored.original_sha256
    # The same message again is a duplicate, never a second row.
    assert mail.file_raw_message(raw)[0] == DUPLICATE

"""Mail with customers' contacts (M7): sending through SMTP, fetching
through IMAP, and reading MIME messages.

The rules (who may send, how a message is filed) live in
crm_tui.models.mail; this module speaks the protocols with the standard
library (smtplib, imaplib, email) and turns every protocol failure into one
`MailError` whose message a person can act on.

Fetching reads the UNSEEN messages of the configured folder, files each one
and then marks it seen, so a mailbox kept for the CRM is read once; the
Message-ID rule in the model makes a second reading (another client
unmarking messages, two fetches at once) harmless.
"""
from __future__ import annotations

import datetime as dt
import email
import hashlib
import imaplib
import io
import mimetypes
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import EmailMessage, Message
from email.utils import (format_datetime, getaddresses, make_msgid, parseaddr,
                         parsedate_to_datetime)
from html.parser import HTMLParser
from typing import Callable, Iterator

from peewee import DataError, IntegrityError

from crm_tui import clock
from crm_tui.config import Config, ImapConfig, SmtpConfig
from crm_tui.i18n import t
from crm_tui.models.errors import CrmError
from crm_tui.documents import DocumentStore, StoredFileDamaged
from crm_tui.models.mail import (DUPLICATE, FILED, UNMATCHED, UNREADABLE, Attachment,
                                 IncomingMail, MailMessage, OutgoingMail, breaks_header,
                                 cleaned_incoming)
from crm_tui.models.users import User
from crm_tui.plain_text import plain, without_refused

TIMEOUT_SECONDS = 30
# Chinese mail often says gb2312 but holds GBK characters; GB18030 is a
# superset of both, so it reads every such message.
CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
                   "cp936": "gb18030", "euc-cn": "gb18030", "x-euc-cn": "gb18030"}
FALLBACK_CHARSETS = ("utf-8", "gb18030", "latin-1")
MESSAGE_ID_LIMIT = 250
EARLIEST_DATE = dt.datetime(1970, 1, 1)
# The header lines a sent message has; any other was injected.
SENT_HEADERS = frozenset({"from", "to", "subject", "date", "message-id", "mime-version",
                          "content-type", "content-transfer-encoding"})


class MailError(CrmError):
    """Sending or fetching failed; the message says why, for people."""


# ----- sending ----------------------------------------------------------

def send_to_contact(actor: User, settings: SmtpConfig, customer_id: int,
                    contact_id: int | None, values: dict, document_ids: tuple[int, ...] = (),
                    store: DocumentStore | None = None) -> MailMessage:
    """Check, send and record one message to a customer's contact, with
    the customer's documents `document_ids` (read from `store`) attached.

    Nothing is recorded unless the server accepted the message; a refusal
    raises MailError and the caller keeps the draft.
    """
    draft = MailMessage.check_draft(actor, customer_id, contact_id, values, document_ids)
    message = build_message(settings, draft, store)
    deliver(settings, message)
    return MailMessage.record_sent(actor, draft, message["Message-ID"], message["From"])


def sender_address(settings: SmtpConfig) -> str:
    sender = settings.sender or settings.username
    if "@" not in sender:
        raise MailError(t("mail.error.no_sender"))
    if breaks_header(sender):
        raise MailError(t("mail.error.sender_line_break"))
    return sender


def build_message(settings: SmtpConfig, draft: OutgoingMail,
                  store: DocumentStore | None = None) -> EmailMessage:
    sender = sender_address(settings)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = draft.to
    message["Subject"] = draft.subject
    message["Date"] = format_datetime(clock.now().astimezone())
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2])
    message.set_content(draft.body)
    for document in draft.documents:
        _attach_document(message, document, store)
    _check_header_names(message)
    return message


def _attach_document(message: EmailMessage, document, store: DocumentStore | None) -> None:
    """Attach a stored document, its content checked against its hash."""
    if store is None:
        raise MailError(t("documents.error.missing", name=document.name))
    content = io.BytesIO()
    try:
        store.copy_out(document.sha256, content)
    except StoredFileDamaged:
        raise MailError(t("documents.error.damaged", name=document.name)) from None
    except OSError:
        raise MailError(t("documents.error.missing", name=document.name)) from None
    kind, _encoding = mimetypes.guess_type(document.name)
    maintype, subtype = (kind or "application/octet-stream").split("/", 1)
    message.add_attachment(content.getvalue(), maintype=maintype, subtype=subtype,
                           filename=without_refused(document.name, allow=""))


def _check_header_names(message: EmailMessage) -> None:
    """Refuse a message whose written form has a header line the CRM did
    not set: the last guard against a header injected through folding,
    whatever the mail library of this Python version does."""
    try:
        written = message.as_bytes()
    except (ValueError, UnicodeError):  # HeaderWriteError is a ValueError
        raise MailError(t("mail.error.header_injected")) from None
    head = written.split(b"\n\n", 1)[0].replace(b"\r\n", b"\n")
    names = {line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
             for line in head.split(b"\n") if line and line[:1] not in b" \t"}
    if not names <= SENT_HEADERS:
        raise MailError(t("mail.error.header_injected"))


def deliver(settings: SmtpConfig, message: EmailMessage) -> None:
    """Hand `message` to the configured SMTP server or raise MailError."""
    if not settings.host:
        raise MailError(t("mail.error.smtp_off"))
    where = f"{settings.host}:{settings.port}"
    try:
        with _smtp_session(settings) as smtp:
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise MailError(t("mail.error.login_refused", server=where, user=settings.username)) from None
    except smtplib.SMTPRecipientsRefused as error:
        address, (code, reply) = next(iter(error.recipients.items()))
        raise MailError(t("mail.error.recipient_refused", address=address,
                          reply=_reply_text(code, reply))) from None
    except smtplib.SMTPSenderRefused as error:
        raise MailError(t("mail.error.sender_refused", address=error.sender,
                          reply=_reply_text(error.smtp_code, error.smtp_error))) from None
    except smtplib.SMTPNotSupportedError:
        # Raised by login() when the server offers no AUTH (at this stage).
        raise MailError(t("mail.error.no_auth", server=where)) from None
    except smtplib.SMTPResponseException as error:
        raise MailError(t("mail.error.server_said", server=where,
                          reply=_reply_text(error.smtp_code, error.smtp_error))) from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
        raise _connection_error(where, error) from None


def _smtp_session(settings: SmtpConfig) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings.security == "tls":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT_SECONDS,
                                context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
    try:
        if settings.security == "starttls":
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise MailError(t("mail.error.no_starttls", server=f"{settings.host}:{settings.port}"))
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, settings.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {text}".strip()


def _connection_error(where: str, error: BaseException) -> MailError:
    if isinstance(error, ssl.SSLCertVerificationError):
        return MailError(t("mail.error.certificate", server=where,
                           reason=error.verify_message or str(error)))
    if isinstance(error, ssl.SSLError):
        return MailError(t("mail.error.tls", server=where, reason=error.reason or str(error)))
    if isinstance(error, (socket.timeout, TimeoutError)):
        return MailError(t("mail.error.timeout", server=where))
    reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return MailError(t("mail.error.unreachable", server=where, reason=reason))


# ----- fetching -----------------------------------------------------------

@dataclass
class FetchResult:
    filed: int = 0
    unmatched: int = 0
    unreadable: int = 0
    duplicates: int = 0
    # Message-IDs in the order they were read, for the log and the tests.
    message_ids: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.filed + self.unmatched + self.unreadable + self.duplicates

    def summary(self) -> str:
        return t("mail.fetch_counts", total=self.total, filed=self.filed,
                 unmatched=self.unmatched, unreadable=self.unreadable,
                 duplicates=self.duplicates)


class UnreadableMail(Exception):
    """A received message the CRM cannot read; the message says why."""


def fetch_mail(config: Config | ImapConfig, actor: User | None = None,
               progress: Callable[[str], None] | None = None) -> FetchResult:
    """Read the new messages of the configured mailbox and file each one.

    `actor` is the signed-in user who asked (None from the command line);
    a user needs the right to edit customers to file mail.
    """
    settings = config.mail.imap if isinstance(config, Config) else config
    # Attachments are filed as documents in the configured store.
    store = DocumentStore.from_config(config) if isinstance(config, Config) else None
    MailMessage.check_can_fetch(actor)
    result = FetchResult()
    outcomes = {FILED: "filed", UNMATCHED: "unmatched", UNREADABLE: "unreadable",
                DUPLICATE: "duplicates"}
    for raw in _unseen_messages(settings):
        outcome, message_id, about = file_raw_message(raw, actor, store)
        setattr(result, outcomes[outcome], getattr(result, outcomes[outcome]) + 1)
        result.message_ids.append(message_id)
        if progress:
            # Sender and subject come from outside: never raw to a terminal.
            progress("\t".join(plain(part) for part in (outcome, *about)))
    return result


def file_raw_message(raw: bytes, actor: User | None = None,
                     store: DocumentStore | None = None) -> tuple[str, str, tuple[str, str]]:
    """Read and file one received message; what it came to, its Message-ID
    and (sender, subject or reason) for the log. A message that cannot be
    read, or whose storing the database refuses, is kept as unreadable with
    the reason: one bad message never stops the fetch. A database that is
    gone still raises, so the message stays unseen and is read again next
    time."""
    try:
        incoming = parse_message(raw)
    except UnreadableMail as error:
        return _keep_unreadable(raw, actor, str(error))
    except Exception as error:  # noqa: BLE001 - anything a hostile message makes the parser do
        return _keep_unreadable(raw, actor, t("mail.problem.unparsable", reason=_reason(error)))
    try:
        outcome = MailMessage.file_incoming(incoming, actor, store)
    except (DataError, IntegrityError, ValueError) as error:
        # DataError/IntegrityError: the database refused these values;
        # ValueError: its driver did (as psycopg2 does a NUL character).
        return _keep_unreadable(raw, actor, t("mail.problem.unstorable", reason=_reason(error)),
                                incoming.message_id, incoming.sender, incoming.subject)
    stored, _cleaned = cleaned_incoming(incoming)  # as the model stored it
    return outcome, stored.message_id, (stored.sender, stored.subject)


def _keep_unreadable(raw: bytes, actor: User | None, reason: str, message_id: str = "",
                     sender: str = "", subject: str = "") -> tuple[str, str, tuple[str, str]]:
    if not sender and not subject:
        sender, subject = _glimpse(raw)
    outcome, message_id = MailMessage.file_unreadable(raw, reason, actor, message_id, sender,
                                                      subject)
    return outcome, message_id, (sender, reason)


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())[:300]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _glimpse(raw: bytes) -> tuple[str, str]:
    """Sender and subject of a message that cannot be parsed, read from its
    first raw header lines as well as they can be (for the person who looks
    at it)."""
    head = raw[:65536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    found = {}
    for name in (b"from", b"subject"):
        match = re.search(rb"^" + name + rb":[ \t]*([^\r\n]{0,250})", head,
                          re.IGNORECASE | re.MULTILINE)
        found[name] = match.group(1).decode("utf-8", "replace") if match else ""
    return found[b"from"], found[b"subject"]


def _unseen_messages(settings: ImapConfig) -> Iterator[bytes]:
    """The raw unseen messages of the folder. Each is marked seen when the
    next one is asked for, that is once the caller has filed it: a message
    that failed to file (the database went away) is read again next time."""
    if not settings.host:
        raise MailError(t("mail.error.imap_off"))
    where = f"{settings.host}:{settings.port}"
    try:
        imap = _imap_session(settings, where)
    except imaplib.IMAP4.error as error:
        raise MailError(t("mail.error.imap_login_refused", server=where, user=settings.username,
                          reply=_imap_text(error))) from None
    except (ssl.SSLError, OSError) as error:
        raise _connection_error(where, error) from None
    try:
        status, _ = imap.select(_quoted(settings.folder))
        if status != "OK":
            raise MailError(t("mail.error.no_folder", folder=settings.folder, server=where))
        status, found = imap.uid("SEARCH", None, "UNSEEN")
        if status != "OK":
            raise MailError(t("mail.error.server_said", server=where, reply=_imap_text(found)))
        for uid in found[0].split():
            raw = _fetch_one(imap, uid)
            if raw is None:
                continue  # expunged by another client meanwhile
            yield raw
            imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    except imaplib.IMAP4.error as error:
        raise MailError(t("mail.error.server_said", server=where, reply=_imap_text(error))) from None
    except (ssl.SSLError, OSError) as error:
        raise _connection_error(where, error) from None
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def _imap_session(settings: ImapConfig, where: str) -> imaplib.IMAP4:
    context = ssl.create_default_context()
    if settings.security == "tls":
        imap = imaplib.IMAP4_SSL(settings.host, settings.port, ssl_context=context,
                                 timeout=TIMEOUT_SECONDS)
    else:
        imap = imaplib.IMAP4(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
    try:
        if settings.security == "starttls":
            if "STARTTLS" not in imap.capabilities:
                raise MailError(t("mail.error.no_starttls", server=where))
            imap.starttls(ssl_context=context)
        imap.login(settings.username, settings.password)
    except BaseException:
        imap.shutdown()
        raise
    return imap


def _fetch_one(imap: imaplib.IMAP4, uid: bytes) -> bytes | None:
    # BODY.PEEK leaves the message unseen until it is filed.
    status, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_text(error: object) -> str:
    if isinstance(error, list):
        error = b" ".join(part for part in error if isinstance(part, bytes))
    if isinstance(error, bytes):
        return error.decode("utf-8", "replace")
    return str(error)


# ----- reading MIME ---------------------------------------------------------

def parse_message(raw: bytes) -> IncomingMail:
    """The parts of a received message the CRM keeps, decoded to text;
    UnreadableMail for a message too deeply nested to read."""
    try:
        message = email.message_from_bytes(raw)
        return _read_parts(message, raw)
    except RecursionError:
        # The standard library parses and walks nested parts recursively.
        raise UnreadableMail(t("mail.problem.too_deep")) from None


def _read_parts(message: Message, raw: bytes) -> IncomingMail:
    sender_name, sender = parseaddr(header_text(message.get("From", "")))
    recipients = getaddresses([header_text(value) for name in ("To", "Cc")
                               for value in message.get_all(name, [])])
    return IncomingMail(
        message_id=_message_id(message, raw),
        sender=sender.strip().lower(),
        sender_name=sender_name,
        recipients=", ".join(address for _, address in recipients if address),
        subject=" ".join(header_text(message.get("Subject", "")).split()),
        body=body_text(message),
        date=_local_date(message.get("Date")),
        raw=raw,
        attachments=tuple(attachments(message)),
    )


def attachments(message: Message) -> Iterator[Attachment]:
    """The files of a message: parts marked as attachments, and parts with
    a file name that are not the message's text."""
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        disposition = part.get_content_disposition()
        if disposition != "attachment" and not (
                name and part.get_content_type() not in ("text/plain", "text/html")):
            continue
        data = part.get_payload(decode=True) or b""
        yield Attachment(name=header_text(name) if name else "", data=data)


def header_text(value: object) -> str:
    """A header with its encoded words (=?GB2312?B?...?=) decoded."""
    if value is None:
        return ""
    try:
        decoded = decode_header(str(value))
    except HeaderParseError:
        # A broken encoded word (bad base64): the header as it came.
        return str(value)
    pieces = []
    for chunk, charset in decoded:
        if isinstance(chunk, bytes):
            pieces.append(decode_bytes(chunk, charset))
        else:
            pieces.append(chunk)
    return "".join(pieces)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes in the declared charset; unknown or lying charsets
    fall back to UTF-8, then GB18030, then Latin-1 (which never fails)."""
    tried = []
    if charset:
        name = charset.strip().lower()
        tried.append(CHARSET_ALIASES.get(name, name))
    for name in tried + [c for c in FALLBACK_CHARSETS if c not in tried]:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def body_text(message: Message) -> str:
    """The text/plain part; else the text/html part without its markup."""
    plain = html = None
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain" and plain is None:
            plain = _part_text(part)
        elif content_type == "text/html" and html is None:
            html = _part_text(part)
    if plain is not None:
        return plain.strip()
    if html is not None:
        return html_to_text(html)
    return ""


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    return decode_bytes(payload, part.get_content_charset()).replace("\r\n", "\n")


class _HtmlText(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
              "blockquote", "pre", "hr"}
    HIDDEN = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.pieces.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.pieces.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.pieces).splitlines())
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def _message_id(message: Message, raw: bytes) -> str:
    """The Message-ID, or for a message without one a hash of the whole
    message (headers and body), the same however often it is fetched."""
    value = " ".join(header_text(message.get("Message-ID", "")).split())
    if value and len(value) <= MESSAGE_ID_LIMIT:
        return value
    source = value.encode("utf-8") if value else raw
    return f"<sha256.{hashlib.sha256(source).hexdigest()}@crm-tui.invalid>"


def _local_date(value: object):
    """The Date header as the CRM's local time; the fetch time when it is
    absent, unreadable or not a plausible time of sending (before 1970, or
    more than a day ahead of now)."""
    now = clock.now()
    if value:
        try:
            moment = parsedate_to_datetime(str(value))
            if moment.tzinfo is not None:
                moment = moment.astimezone().replace(tzinfo=None)
        except (TypeError, ValueError, IndexError, OverflowError):
            return now
        if EARLIEST_DATE <= moment <= now + dt.timedelta(days=1):
            return moment.replace(microsecond=0)
    return now

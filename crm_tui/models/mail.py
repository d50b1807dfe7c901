"""Mail sent to and received from customers' contacts (M7).

Every message sent or fetched is one MailMessage row, unique by its
Message-ID, so a message is filed once however often it is fetched. A sent
message, and a received one whose sender is a known contact, is also an
interaction (交往记录) of the customer. Received mail from unknown senders
waits with status unmatched until a user attaches it to a customer.

The protocols themselves (SMTP, IMAP, MIME) are in crm_tui.mail.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, replace
from typing import Any, Callable

from peewee import (JOIN, BigIntegerField, BlobField, CharField, DateTimeField,
                    ForeignKeyField, IntegrityError, TextField, fn)

from crm_tui import clock
from crm_tui.documents import DocumentStore, IncomingFile, StoreWriteFailed, TooLarge
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.base import BaseModel, database
from crm_tui.models.customers import (DELETED, Contact, Customer, Interaction,
                                      customer_for_write)
from crm_tui.models.documents import NAME_LIMIT, Document
from crm_tui.models.errors import InvalidTransition, NotFound, ValidationError
from crm_tui.models.users import User, require
from crm_tui.models.validation import Field, clean
from crm_tui.plain_text import unsafe_chars, without_refused

IN, OUT = "in", "out"
SENT, FAILED, FILED, UNMATCHED = "sent", "failed", "filed", "unmatched"
# A received message the CRM could not read or store: kept with the reason.
UNREADABLE = "unreadable"
# What filing a received message came to; DUPLICATE: it was filed before.
DUPLICATE = "duplicate"
MAIL_IN, MAIL_OUT = "mail_in", "mail_out"
# An interaction's detail is edited in a form that takes this much; the
# whole body stays in the MailMessage.
INTERACTION_DETAIL_LIMIT = 4000
SUMMARY_LIMIT = 200
# A received message's raw bytes are kept (when it was cleaned or could not
# be read) up to this size; its SHA-256 always.
ORIGINAL_LIMIT = 1024 * 1024

# An RFC 2047 encoded word, read leniently (any text between the markers):
# mail libraries differ in what they accept, so the check takes more than
# any of them would decode.
ENCODED_WORD = re.compile(r"=\?([^?]*)\?([bBqQ])\?(.*?)\?=", re.DOTALL)
# Fields that become header lines of a sent message.
HEADER_FIELDS = ("to", "subject")

# Further readers of every received message once it is stored (a survey
# reply with its code files its answers): called inside the filing's
# transaction with the stored message and the actor; each keeps its own
# failures to itself, so the mail stays filed whatever the message holds.
RECEIVED_MAIL_READERS: list[Callable[["MailMessage", Any], Any]] = []

COMPOSE_FIELDS = (
    Field("to", "mail.to", kind="email", required=True, max_length=100),
    Field("subject", "mail.subject", required=True, max_length=SUMMARY_LIMIT),
    Field("body", "mail.body", max_length=100_000, multiline=True),
)


@dataclass(frozen=True)
class OutgoingMail:
    """A checked draft: who it goes to, what it says, and the customer's
    documents it carries."""

    customer: Customer
    contact: Contact | None
    to: str
    subject: str
    body: str
    documents: tuple[Document, ...] = ()


@dataclass(frozen=True)
class Attachment:
    """A file attached to a received message: its name as sent and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class IncomingMail:
    """A received message, decoded (see crm_tui.mail.parse_message)."""

    message_id: str
    sender: str
    subject: str
    body: str
    date: dt.datetime
    sender_name: str = ""
    recipients: str = ""
    # The message as received, kept when its text had to be cleaned.
    raw: bytes = b""
    attachments: tuple[Attachment, ...] = ()


class MailMessage(BaseModel):
    # The Message-ID header: a message is filed once, however often fetched.
    message_id = CharField(max_length=250, unique=True)
    direction = CharField(max_length=3)
    sender = CharField(max_length=250)
    recipients = TextField(default="")
    subject = CharField(max_length=250, default="")
    body = TextField(default="")
    date = DateTimeField(default=clock.now)
    customer = ForeignKeyField(Customer, null=True, backref="mail", on_delete="SET NULL")
    contact = ForeignKeyField(Contact, null=True, backref="mail", on_delete="SET NULL")
    interaction = ForeignKeyField(Interaction, null=True, backref="+", on_delete="SET NULL")
    # sent, failed, filed or unmatched
    status = CharField(max_length=10, index=True)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    # For received mail only: why the message is unreadable, or what was
    # cleaned from it; the raw message as received (up to ORIGINAL_LIMIT)
    # and its SHA-256, for the record.
    problem = TextField(default="")
    original = BlobField(null=True)
    original_sha256 = CharField(max_length=64, default="")

    class Meta:
        # A customer's timeline reads its mail newest first.
        indexes = ((("customer", "date"), False),)

    # ----- reading -------------------------------------------------------
    @classmethod
    def of_customer(cls, user: User, customer_id: int):
        """One customer's mail, newest first, with the contact's name
        (NotFound unless `user` may see the customer)."""
        Customer.get_visible(user, customer_id)
        return (cls.select(cls, Contact.name.alias("contact_name"))
                .join_from(cls, Contact, JOIN.LEFT_OUTER, on=(cls.contact == Contact.id))
                .where(cls.customer == customer_id)
                .order_by(cls.date.desc(), cls.id.desc())
                .objects())

    @classmethod
    def unmatched_for(cls, user: User | None):
        """Received mail from unknown senders, and mail that could not be
        read, for users who may file mail."""
        query = (cls.select().where(cls.status.in_([UNMATCHED, UNREADABLE]))
                 .order_by(cls.date.desc(), cls.id.desc()))
        if user is None or not user.has_perm(perm.CUSTOMER_EDIT):
            return query.where(False)
        return query

    # ----- sending ---------------------------------------------------------
    @staticmethod
    def check_draft(actor: User, customer_id: int, contact_id: int | None,
                    values: dict[str, Any], document_ids: tuple[int, ...] = ()) -> OutgoingMail:
        """Raise unless `actor` may write to this customer and the draft is
        complete; the contact is the one whose address the mail goes to;
        the documents attached must be the customer's own."""
        data = clean(COMPOSE_FIELDS, values)
        refused = {name: t("mail.error.header_line_break") for name in HEADER_FIELDS
                   if breaks_header(data[name])}
        if refused:
            raise ValidationError(refused)
        with database.atomic():
            customer = customer_for_write(actor, customer_id)
        contact = _contact_for_address(customer.id, contact_id, data["to"])
        documents = tuple(Document.select().where((Document.id.in_(list(document_ids)))
                                                  & (Document.customer == customer.id))
                          .order_by(Document.id))
        if len(documents) != len(set(document_ids)):
            raise ValidationError({"documents": t("error.not_a_choice")})
        return OutgoingMail(customer=customer, contact=contact, to=data["to"],
                            subject=data["subject"], body=data["body"], documents=documents)

    @classmethod
    def record_sent(cls, actor: User, draft: OutgoingMail, message_id: str,
                    sender: str) -> "MailMessage":
        """After the server took the message: an interaction and the mail."""
        now = clock.now()
        with database.atomic():
            customer = customer_for_write(actor, draft.customer.id)
            interaction = _new_interaction(
                actor, customer.id, draft.contact, now.date(), MAIL_OUT, draft.subject,
                draft.body, t("mail.note_to", address=draft.to), created_by=actor)
            message = cls.create(
                message_id=message_id, direction=OUT, sender=sender[:250], recipients=draft.to,
                subject=draft.subject, body=draft.body, date=now, customer=customer.id,
                contact=draft.contact.id if draft.contact else None, interaction=interaction.id,
                status=SENT, created_by=actor.id)
            audit.record(actor, "mail_message", message.id, "send",
                         {"recipients": ("", draft.to)})
            for document in draft.documents:
                MailAttachment.create(mail=message.id, name=document.name, size=document.size,
                                      sha256=document.sha256, document=document.id, status=SENT)
        return message

    # ----- receiving -------------------------------------------------------
    @staticmethod
    def check_can_fetch(actor: User | None) -> None:
        """Fetching files mail into customers: a user needs customer.edit;
        the command line (actor None) is the operator of the installation."""
        if actor is not None:
            require(actor, perm.CUSTOMER_EDIT)

    @classmethod
    def file_incoming(cls, incoming: IncomingMail, actor: User | None = None,
                      store: DocumentStore | None = None) -> str:
        """File one received message: FILED to the customer of the contact
        who sent it, UNMATCHED when no single customer has that address,
        DUPLICATE when this Message-ID was stored before. Its attachments
        become documents of that customer (in `store`, by content, within
        its size limit); the others are listed with the message."""
        cls.check_can_fetch(actor)
        incoming, cleaned = cleaned_incoming(incoming)
        if cls.select().where(cls.message_id == incoming.message_id).exists():
            return DUPLICATE
        contact = sender_contact(incoming.sender)
        kept = _original(incoming.raw) if cleaned else {}
        received = receive_attachments(incoming.attachments, store, contact is not None)
        try:
            outcome = cls._file(incoming, actor, contact, cleaned, kept, received)
        except BaseException:
            _settle(received, keep=False)
            raise
        _settle(received, keep=outcome != DUPLICATE)
        return outcome

    @classmethod
    def _file(cls, incoming: IncomingMail, actor: User | None, contact: Contact | None,
              cleaned: list[str], kept: dict[str, Any], received: list[ReceivedFile]) -> str:
        try:
            with database.atomic():
                interaction = None
                if contact is not None:
                    interaction = _new_interaction(
                        actor, contact.customer_id, contact, incoming.date.date(), MAIL_IN,
                        incoming.subject, incoming.body,
                        t("mail.note_from", address=_sender_label(incoming)))
                message = cls.create(
                    message_id=incoming.message_id, direction=IN,
                    sender=incoming.sender[:250], recipients=incoming.recipients,
                    subject=incoming.subject[:250], body=incoming.body, date=incoming.date,
                    customer=contact.customer_id if contact else None,
                    contact=contact.id if contact else None,
                    interaction=interaction.id if interaction else None,
                    status=FILED if contact else UNMATCHED,
                    problem=t("mail.problem.cleaned", parts=", ".join(cleaned)) if cleaned else "",
                    **kept)
                audit.record(actor, "mail_message", message.id, "receive",
                             {"status": ("", message.status)})
                _file_attachments(actor, message, contact.customer_id if contact else None,
                                  received)
                for read in RECEIVED_MAIL_READERS:
                    read(message, actor)
        except IntegrityError:
            # Another fetch stored the same Message-ID a moment ago.
            return DUPLICATE
        return FILED if contact else UNMATCHED

    @classmethod
    def file_unreadable(cls, raw: bytes, reason: str, actor: User | None = None,
                        message_id: str = "", sender: str = "",
                        subject: str = "") -> tuple[str, str]:
        """Keep a received message the CRM could not read or store: its
        reason, its raw bytes (up to ORIGINAL_LIMIT) and their hash, and
        what little could be told of sender and subject. Returns UNREADABLE,
        or DUPLICATE when it was kept before (same Message-ID, or same
        bytes), with the Message-ID it is kept under."""
        cls.check_can_fetch(actor)
        kept = _original(raw)
        message_id = without_refused(message_id, allow="").strip()
        if not message_id or len(message_id) > 250:
            message_id = hashed_message_id(kept["original_sha256"])
        if cls.select().where(cls.message_id == message_id).exists():
            return DUPLICATE, message_id
        try:
            with database.atomic():
                message = cls.create(
                    message_id=message_id, direction=IN,
                    sender=without_refused(sender, allow="")[:250],
                    subject=" ".join(without_refused(subject, allow="").split())[:250],
                    date=clock.now(), status=UNREADABLE,
                    problem=without_refused(reason)[:2000], **kept)
                audit.record(actor, "mail_message", message.id, "receive",
                             {"status": ("", UNREADABLE)})
        except IntegrityError:
            return DUPLICATE, message_id
        return UNREADABLE, message_id

    def attach_to_customer(self, actor: User, customer_id: int) -> Interaction:
        """File an unmatched message as an interaction of a customer the
        actor may write to; refused when someone filed it meanwhile."""
        if self.status == UNREADABLE:
            raise InvalidTransition(t("mail.error.unreadable_attach"))
        with database.atomic():
            customer = customer_for_write(actor, customer_id)
            interaction = _new_interaction(
                actor, customer.id, None, self.date.date(), MAIL_IN, self.subject, self.body,
                t("mail.note_from", address=self.sender), created_by=actor)
            updated = (MailMessage.update(status=FILED, customer=customer.id,
                                          interaction=interaction.id)
                       .where((MailMessage.id == self.id) & (MailMessage.status == UNMATCHED))
                       .execute())
            if updated != 1:
                if not MailMessage.select().where(MailMessage.id == self.id).exists():
                    raise NotFound(t("error.not_found"))
                raise InvalidTransition(t("mail.error.already_filed"))
            audit.record(actor, "mail_message", self.id, "attach",
                         {"status": (UNMATCHED, FILED), "customer": (None, customer.id)})
        return interaction


# What became of an attachment: filed as a document of the customer
# (STORED), over the store's size limit (TOO_LARGE: listed, not stored),
# not stored because the store could not take it (UNSTORED), on mail that
# is no customer's (NOT_FILED: listed), or a document sent (SENT).
STORED, TOO_LARGE, UNSTORED, NOT_FILED = "stored", "too_large", "unstored", "not_filed"


class MailAttachment(BaseModel):
    """A file a message carried: received (and filed as a document of the
    sender's customer, or only listed) or sent (one of the customer's
    documents)."""

    mail = ForeignKeyField(MailMessage, backref="attachments", on_delete="CASCADE")
    name = CharField(max_length=250)
    size = BigIntegerField()
    sha256 = CharField(max_length=64)
    document = ForeignKeyField(Document, null=True, backref="+", on_delete="SET NULL")
    status = CharField(max_length=12)

    @classmethod
    def of_mail(cls, message_id: int):
        return cls.select().where(cls.mail == message_id).order_by(cls.id)


@dataclass
class ReceivedFile:
    """An attachment on its way in: in the store's waiting area when
    `incoming` is set, else only listed with its `status`."""

    name: str
    size: int
    sha256: str
    status: str
    incoming: IncomingFile | None = None


def attachment_name(name: str) -> str:
    """A file name from a message as a document name: no folder part, no
    control characters, within the name's limit."""
    cleaned = " ".join(without_refused(name or "", allow="").split())
    base = cleaned.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return (base if base not in ("", ".", "..") else t("mail.attachment.unnamed"))[:NAME_LIMIT]


def receive_attachments(attachments: tuple[Attachment, ...], store: DocumentStore | None,
                        to_customer: bool) -> list[ReceivedFile]:
    """Copy the attachments of a message filed to a customer into the
    store's waiting area (their rows are written next); those over the
    size limit, and all of a message to no customer, are only listed."""
    received = []
    for attachment in attachments:
        name = attachment_name(attachment.name)
        size, sha256 = len(attachment.data), hashlib.sha256(attachment.data).hexdigest()
        if store is None or not to_customer:
            received.append(ReceivedFile(name, size, sha256, NOT_FILED))
            continue
        try:
            incoming = store.receive(io.BytesIO(attachment.data))
        except TooLarge:
            received.append(ReceivedFile(name, size, sha256, TOO_LARGE))
        except StoreWriteFailed:
            received.append(ReceivedFile(name, size, sha256, UNSTORED))
        else:
            received.append(ReceivedFile(name, incoming.size, incoming.sha256, STORED, incoming))
    return received


def _file_attachments(actor: User | None, message: MailMessage, customer_id: int | None,
                      received: list[ReceivedFile]) -> None:
    """Inside the filing transaction: a document of the customer for each
    stored attachment (the customer's document with the same content when
    it has one) and a row listing every attachment."""
    for item in received:
        document = None
        if item.status == STORED and customer_id is not None:
            document = (Document.select().where((Document.customer == customer_id)
                                                & (Document.sha256 == item.sha256))
                        .order_by(Document.id).first())
            if document is None:
                document = Document.create(customer=customer_id, name=item.name, size=item.size,
                                           sha256=item.sha256, uploaded_by=None,
                                           uploaded_at=clock.now())
                audit.record(actor, "document", document.id, audit.CREATE,
                             {"name": ("", item.name), "mail_message": ("", message.id)})
        MailAttachment.create(mail=message.id, name=item.name, size=item.size,
                              sha256=item.sha256, document=document.id if document else None,
                              status=item.status)


def _settle(received: list[ReceivedFile], keep: bool) -> None:
    """Put the stored attachments in place once their rows are committed,
    or drop them when nothing was."""
    for item in received:
        if item.incoming is None:
            continue
        if keep:
            item.incoming.keep()
        else:
            item.incoming.discard()


def cleaned_incoming(incoming: IncomingMail) -> tuple[IncomingMail, list[str]]:
    """`incoming` with control characters, bidi overrides and lone
    surrogates dropped from its text (a body keeps its line breaks and
    tabs), and the names of the parts that held any."""
    allowed = {"body": "\n\t"}
    changes: dict[str, str] = {}
    for name in ("message_id", "sender", "sender_name", "recipients", "subject", "body"):
        value = getattr(incoming, name)
        clean_value = without_refused(value, allow=allowed.get(name, ""))
        if clean_value != value:
            changes[name] = clean_value
    if not changes:
        return incoming, []
    if not changes.get("message_id", incoming.message_id).strip():
        changes["message_id"] = hashed_message_id(hashlib.sha256(incoming.raw).hexdigest())
    return replace(incoming, **changes), list(changes)


def hashed_message_id(sha256: str) -> str:
    """The Message-ID given to a message without a usable one: from a hash,
    so the same message is the same however often it is fetched."""
    return f"<sha256.{sha256}@crm-tui.invalid>"


def _original(raw: bytes) -> dict[str, Any]:
    return {"original": raw if len(raw) <= ORIGINAL_LIMIT else None,
            "original_sha256": hashlib.sha256(raw).hexdigest()}


def breaks_header(text: str) -> bool:
    """True when `text`, put in a header of a sent message, could end that
    line and start another: it holds a control character (CR, LF or any
    other), raw or inside an encoded word (=?utf-8?q?=0ABcc:...?=).

    The words are decoded here, not by the mail library, so the answer does
    not depend on how a Python version folds or decodes headers."""
    if _breaks_line(text):
        return True
    for charset, encoding, encoded in ENCODED_WORD.findall(text):
        data = _encoded_word_bytes(encoding, encoded)
        if b"\r" in data or b"\n" in data or b"\x00" in data:
            return True
        if _breaks_line(_decoded_strictly(data, charset)):
            return True
    return False


def _breaks_line(text: str) -> bool:
    # Python's str.splitlines() also ends lines at U+2028 and U+2029.
    return bool(unsafe_chars(text, allow="")) or "\u2028" in text or "\u2029" in text


def _encoded_word_bytes(encoding: str, encoded: str) -> bytes:
    if encoding in "bB":
        squeezed = re.sub(r"[^A-Za-z0-9+/]", "", encoded)
        try:
            return base64.b64decode(squeezed + "=" * (-len(squeezed) % 4))
        except (binascii.Error, ValueError):
            return b"\n"  # undecodable: refused, never guessed harmless
    text = encoded.replace("_", " ")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda match: bytes([int(match.group(1), 16)]),
                  text.encode("utf-8", "surrogatepass"))


def _decoded_strictly(data: bytes, charset: str) -> str:
    """The text of an encoded word's bytes in its charset (RFC 2231
    language suffix ignored). Bytes that are not text in a known charset
    give a line break: such a word is refused, since the mail library would
    carry the bytes on undecoded."""
    name = charset.split("*", 1)[0].strip()
    try:
        return data.decode(name)
    except (LookupError, UnicodeDecodeError):
        return "\n"


def sender_contact(address: str) -> Contact | None:
    """The contact with this e-mail address (any case), when the address
    belongs to one customer only; None for unknown or shared addresses."""
    address = address.strip().lower()
    if not address:
        return None
    matches = list(Contact.select(Contact)
                   .join(Customer, on=(Contact.customer == Customer.id))
                   .where((fn.LOWER(Contact.email) == address) & (Customer.status != DELETED))
                   .order_by(Contact.id))
    if len({contact.customer_id for contact in matches}) != 1:
        return None
    return matches[0]


def _contact_for_address(customer_id: int, contact_id: int | None, address: str) -> Contact | None:
    """The chosen contact if the mail goes to their address; else the
    customer's contact with that address; else none."""
    contacts = Contact.select().where((Contact.customer == customer_id)
                                      & (fn.LOWER(Contact.email) == address.lower()))
    if contact_id is not None:
        chosen = Contact.get_or_none((Contact.id == contact_id) & (Contact.customer == customer_id))
        if chosen is None:
            raise ValidationError({"to": t("error.not_a_choice")})
        if chosen.email.lower() == address.lower():
            return chosen
    return contacts.order_by(Contact.id).first()


def _new_interaction(actor: User | None, customer_id: int, contact: Contact | None,
                     date: dt.date, source: str, subject: str, body: str, note: str,
                     created_by: User | None = None) -> Interaction:
    summary = subject.strip() or t("mail.no_subject")
    interaction = Interaction.create(
        customer=customer_id, contact=contact.id if contact else None, date=date,
        place=t("mail.place"), summary=summary[:SUMMARY_LIMIT],
        detail=body[:INTERACTION_DETAIL_LIMIT], note=note, source=source,
        created_by=created_by.id if created_by else None, created_at=clock.now())
    audit.record(actor, "interaction", interaction.id, audit.CREATE, {"source": ("", source)})
    return interaction


def _sender_label(incoming: IncomingMail) -> str:
    if incoming.sender_name:
        return f"{incoming.sender_name} <{incoming.sender}>"
    return incoming.sender

"""Attachments of mail, with the real servers (Dovecot, aiosmtpd): files
of incoming mail become documents of the sender's customer (same store,
size limit and de-duplication by content), those over the limit are listed
but not stored; outgoing mail carries the customer's documents."""
from __future__ import annotations

import email
import hashlib
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from crm_tui import mail
from crm_tui.config import Config, DocumentsConfig, MailConfig
from crm_tui.documents import DocumentStore
from crm_tui.models import Document, MailAttachment, MailMessage
from crm_tui.models.customers import Contact
from crm_tui.models.errors import ValidationError
from crm_tui.models.mail import NOT_FILED, SENT, STORED, TOO_LARGE
from tests.conftest import make_customer
from tests.mailservers import dovecot, smtp_server  # noqa: F401
from tests.test_mail_fetch import imap_settings
from tests.test_mail_send import draft, smtp_settings

PDF = b"%PDF-1.4 quote for Q3\n" * 10
SHEET = "报价单,数量\n打印机,5\n".encode("gbk")
BIG = b"x" * (1024 * 1024 + 1)


def message_with_files(sender: str, message_id: str, *files: tuple[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "crm@example.com"
    message["Subject"] = "附件"
    message["Message-ID"] = message_id
    message["Date"] = "Wed, 25 Nov 2026 14:00:00 +0800"
    message.set_content("请查收附件。")
    for name, data in files:
        message.add_attachment(data, maintype="application", subtype="octet-stream",
                               filename=name)
    return bytes(message)


@pytest.fixture
def store(tmp_path) -> DocumentStore:
    return DocumentStore(tmp_path / "store", max_size_mb=1)


def fetch_config(port: int, tmp_path) -> Config:
    return Config(mail=MailConfig(imap=imap_settings(port)),
                  documents=DocumentsConfig(folder=str(tmp_path / "store"), max_size_mb=1))


@pytest.fixture
def customer(crm_db, people):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    Contact.create_by(people.manager, customer, {
        "name": "李明", "sex": "M", "position": "采购经理", "office_phone": "010-62345678",
        "email": "li.ming@client.example"})
    return customer


def test_attachments_of_a_contacts_mail_become_documents_of_the_customer(customer, dovecot,
                                                                        store, tmp_path):
    dovecot.deliver(message_with_files("li.ming@client.example", "<a-1@client>",
                                       ("quote.pdf", PDF), ("报价单.csv", SHEET),
                                       ("../../etc/\x1b[31mpasswd", b"not a path"),
                                       ("huge.bin", BIG)))
    # The same PDF again in a second message: one document, listed twice.
    dovecot.deliver(message_with_files("li.ming@client.example", "<a-2@client>",
                                       ("copy of quote.pdf", PDF)))

    result = mail.fetch_mail(fetch_config(dovecot.port, tmp_path))

    assert result.filed == 2
    documents = {d.name: d for d in Document.select().where(Document.customer == customer.id)}
    assert set(documents) == {"quote.pdf", "报价单.csv", "[31mpasswd"}
    for name, data in (("quote.pdf", PDF), ("报价单.csv", SHEET)):
        stored = documents[name]
        assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert (store.folder / stored.sha256[:2] / stored.sha256).read_bytes() == data
    first = MailMessage.get(MailMessage.message_id == "<a-1@client>")
    listed = [(a.name, a.status, a.document_id) for a in MailAttachment.of_mail(first.id)]
    assert listed == [("quote.pdf", STORED, documents["quote.pdf"].id),
                      ("报价单.csv", STORED, documents["报价单.csv"].id),
                      ("[31mpasswd", STORED, documents["[31mpasswd"].id),
                      ("huge.bin", TOO_LARGE, None)]
    assert not (store.folder / hashlib.sha256(BIG).hexdigest()[:2]).exists()
    second = MailMessage.get(MailMessage.message_id == "<a-2@client>")
    [again] = MailAttachment.of_mail(second.id)
    assert (again.status, again.document_id) == (STORED, documents["quote.pdf"].id)
    # Nothing is left waiting in the store.
    assert not list(store.folder.glob(".incoming-*"))

    # Fetched again: nothing new, no second document.
    dovecot.mark_all_unseen()
    assert mail.fetch_mail(fetch_config(dovecot.port, tmp_path)).duplicates == 2
    assert Document.select().count() == 3


def test_attachments_of_unmatched_mail_are_listed_not_stored(customer, dovecot, store,
                                                             tmp_path):
    dovecot.deliver(message_with_files("stranger@elsewhere.example", "<u-1@x>",
                                       ("offer.pdf", PDF)))
    assert mail.fetch_mail(fetch_config(dovecot.port, tmp_path)).unmatched == 1
    [listed] = MailAttachment.select()
    assert (listed.name, listed.status, listed.size) == ("offer.pdf", NOT_FILED, len(PDF))
    assert Document.select().count() == 0
    assert not store.folder.exists() or not list(store.folder.rglob("*"))


def test_outgoing_mail_carries_the_customers_documents(customer, people, smtp_server, store,
                                                       tmp_path):
    (tmp_path / "quote.pdf").write_bytes(PDF)
    document = Document.attach(people.manager, customer.id, tmp_path / "quote.pdf",
                               DocumentStore(store.folder, 1, upload_folders=(tmp_path,)))
    other = make_customer(people.other_manager, name="上海某公司")
    (tmp_path / "theirs.txt").write_bytes(b"theirs")
    theirs = Document.attach(people.other_manager, other.id, tmp_path / "theirs.txt",
                             DocumentStore(store.folder, 1, upload_folders=(tmp_path,)))
    contact = Contact.get()

    # Another customer's document is refused, and nothing is sent.
    with pytest.raises(ValidationError):
        mail.send_to_contact(people.manager, smtp_settings(smtp_server.port), customer.id,
                             contact.id, draft(), (document.id, theirs.id), store)
    assert smtp_server.received == []

    sent = mail.send_to_contact(people.manager, smtp_settings(smtp_server.port), customer.id,
                                contact.id, draft(), (document.id,), store)

    received = email.message_from_bytes(smtp_server.received[0].data, policy=default_policy)
    [part] = list(received.iter_attachments())
    assert (part.get_filename(), part.get_content()) == ("quote.pdf", PDF)
    assert received.get_body(("plain",)).get_content().startswith("李经理您好")
    [row] = MailAttachment.of_mail(sent.id)
    assert (row.name, row.status, row.document_id) == ("quote.pdf", SENT, document.id)


def test_a_document_missing_from_the_store_is_said_and_nothing_sent(customer, people,
                                                                    smtp_server, store, tmp_path):
    (tmp_path / "quote.pdf").write_bytes(PDF)
    document = Document.attach(people.manager, customer.id, tmp_path / "quote.pdf",
                               DocumentStore(store.folder, 1, upload_folders=(tmp_path,)))
    store.path_of(document.sha256).unlink()
    with pytest.raises(mail.MailError, match="missing"):
        mail.send_to_contact(people.manager, smtp_settings(smtp_server.port), customer.id,
                             Contact.get().id, draft(), (document.id,), store)
    assert smtp_server.received == [] and MailMessage.select().count() == 0


async def test_compose_form_picks_the_customers_documents(sqlite_db, sqlite_url, people,
                                                          smtp_server, tmp_path):
    from crm_tui.config import SmtpConfig
    from crm_tui.screens.mail import (ComposeMailModal, CustomerMailScreen, DocumentChoiceModal,
                                      MailReadModal)
    from tests.mailservers import HOST
    from tests.pilot import app_for, press_and_settle, push_and_settle, save, sign_in, type_text

    customer = make_customer(people.manager, name="北京远大科技有限公司")
    Contact.create_by(people.manager, customer, {
        "name": "李明", "sex": "M", "position": "采购经理", "office_phone": "010-62345678",
        "email": "li.ming@client.example"})
    store = DocumentStore(tmp_path / "store", 1, upload_folders=(tmp_path,))
    for name, data in (("a-quote.pdf", PDF), ("b-sheet.csv", SHEET)):
        (tmp_path / name).write_bytes(data)
        Document.attach(people.manager, customer.id, tmp_path / name, store)

    app = app_for(sqlite_url, mail=MailConfig(smtp=SmtpConfig(
        host=HOST, port=smtp_server.port, security="none", sender="sales@crm.example")),
        documents=DocumentsConfig(folder=str(tmp_path / "store"), max_size_mb=1))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await push_and_settle(pilot, CustomerMailScreen(customer.id))
        await press_and_settle(pilot, "n")
        assert isinstance(app.screen, ComposeMailModal)
        await type_text(pilot, "Quote")
        await press_and_settle(pilot, "ctrl+o")
        assert isinstance(app.screen, DocumentChoiceModal)
        # Mark the second document (b-sheet.csv) and take it.
        await press_and_settle(pilot, "down", "space", "ctrl+s")
        modal = app.screen
        assert isinstance(modal, ComposeMailModal)
        assert "b-sheet.csv" in str(modal.query_one("#mail-documents").render())
        await save(pilot)
        assert isinstance(app.screen, CustomerMailScreen)
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, MailReadModal)

    received = email.message_from_bytes(smtp_server.received[0].data, policy=default_policy)
    assert [(part.get_filename(), part.get_payload(decode=True))
            for part in received.iter_attachments()] == [("b-sheet.csv", SHEET)]
    [row] = MailAttachment.select()
    assert (row.name, row.status) == ("b-sheet.csv", SENT)

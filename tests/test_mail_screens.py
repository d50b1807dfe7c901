"""The mail screens driven like a person: writing to a contact through a real
SMTP server (aiosmtpd), a failed send that keeps the draft, and attaching
unmatched mail to a customer."""
from __future__ import annotations

import email
from email.policy import default as default_policy

from textual.widgets import Input, Static, TextArea

from crm_tui.app import CrmApp
from crm_tui.config import ImapConfig, MailConfig, SmtpConfig
from crm_tui.models import Interaction, MailMessage
from crm_tui.models.customers import Contact
from crm_tui.screens import MODULES
from crm_tui.screens.mail import (ComposeMailModal, CustomerMailScreen, CustomerPickerModal,
                                  MailReadModal, UnmatchedMailScreen)
from tests.conftest import make_customer
from tests.mailservers import (HOST, MAIL_PASSWORD, MAIL_USER, dovecot, free_port,  # noqa: F401
                               smtp_server, utf8_message)
from tests.pilot import (app_for, open_module, press_and_settle, push_and_settle, save, sign_in,
                         type_text)


def mail_app(sqlite_url, smtp_port: int = 0, imap_port: int = 0) -> CrmApp:
    mail = MailConfig(
        smtp=SmtpConfig(host=HOST, port=smtp_port, security="none", sender="sales@crm.example"),
        imap=ImapConfig(host=HOST, port=imap_port, security="none", username=MAIL_USER,
                        password=MAIL_PASSWORD))
    return app_for(sqlite_url, mail=mail)


def customer_and_contact(people):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    contact = Contact.create_by(people.manager, customer, {
        "name": "李明", "sex": "M", "position": "采购经理", "office_phone": "010-62345678",
        "email": "li.ming@client.example"})
    return customer, contact


async def compose_and_send(pilot, app, customer_id: int) -> ComposeMailModal:
    await push_and_settle(pilot, CustomerMailScreen(customer_id))
    await press_and_settle(pilot, "n")
    modal = app.screen
    assert isinstance(modal, ComposeMailModal)
    # The contact's address is filled in; the cursor waits in the subject.
    assert modal.query_one("#mail-to", Input).value == "li.ming@client.example"
    await type_text(pilot, "Quote for Q3")
    await pilot.press("tab")
    await type_text(pilot, "Dear Mr Li, the quote follows.")
    await save(pilot)
    return modal


async def test_compose_sends_through_smtp_and_records_the_interaction(sqlite_db, sqlite_url,
                                                                      people, smtp_server):
    customer, contact = customer_and_contact(people)
    app = mail_app(sqlite_url, smtp_port=smtp_server.port)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await compose_and_send(pilot, app, customer.id)

        assert isinstance(app.screen, CustomerMailScreen)  # the form closed
        assert len(smtp_server.received) == 1
        arrived = email.message_from_bytes(smtp_server.received[0].data, policy=default_policy)
        assert arrived["To"] == "li.ming@client.example"
        assert arrived["Subject"] == "Quote for Q3"
        assert "the quote follows" in arrived.get_content()
        interaction = Interaction.get(Interaction.customer == customer.id)
        assert (interaction.source, interaction.contact_id, interaction.summary) == (
            "mail_out", contact.id, "Quote for Q3")
        # The customer's mail list shows it; Enter reads it.
        table = app.screen.query_one("#customer-mail-table")
        assert table.row_count == 1
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, MailReadModal)
        assert "the quote follows" in app.screen.query_one(TextArea).text


async def test_failed_send_keeps_the_draft_and_records_nothing(sqlite_db, sqlite_url, people):
    customer, _ = customer_and_contact(people)
    port = free_port()  # no server there
    app = mail_app(sqlite_url, smtp_port=port)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        modal = await compose_and_send(pilot, app, customer.id)

        assert app.screen is modal  # still open, with what was typed
        assert modal.query_one("#mail-subject", Input).value == "Quote for Q3"
        assert modal.query_one("#mail-body", TextArea).text == "Dear Mr Li, the quote follows."
        status = str(modal.query_one("#mail-status", Static).render())
        assert f"{HOST}:{port} cannot be reached" in status
        assert "draft is kept" in status
        assert MailMessage.select().count() == 0
        assert Interaction.select().count() == 0


async def test_fetch_and_attach_unmatched_mail_by_hand(sqlite_db, sqlite_url, people, dovecot):
    customer, _ = customer_and_contact(people)
    make_customer(people.other_manager, name="天津港务集团")  # not his: not offered
    dovecot.deliver(utf8_message("buyer@newcorp.example", "Inquiry", "<inq-1@newcorp>",
                                 "Please call me."))
    app = mail_app(sqlite_url, imap_port=dovecot.port)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        screen = await open_module(pilot, "mail", UnmatchedMailScreen)
        assert screen.table.row_count == 0

        await press_and_settle(pilot, "f")
        assert screen.table.row_count == 1
        assert MailMessage.get().status == "unmatched"

        await press_and_settle(pilot, "a")
        picker = app.screen
        assert isinstance(picker, CustomerPickerModal)
        picker_table = picker.query_one("#customer-picker-table")
        assert picker_table.row_count == 1  # only the customers he may see
        await type_text(pilot, "远大")
        await press_and_settle(pilot, "enter")  # filter
        await press_and_settle(pilot, "enter")  # pick

        assert app.screen is screen
        assert screen.table.row_count == 0
        interaction = Interaction.get()
        assert (interaction.customer_id, interaction.source, interaction.summary) == (
            customer.id, "mail_in", "Inquiry")
        assert MailMessage.get().status == "filed"


def test_mail_module_is_offered_to_who_files_mail():
    mail_module = next(module for module in MODULES if module.key == "mail")
    assert mail_module.allowed({"customer.view", "customer.edit"})
    assert not mail_module.allowed({"customer.view", "customer.view_all"})

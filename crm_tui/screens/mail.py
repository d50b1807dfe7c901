"""Mail (邮件, M7) on screen: writing to a customer's contact, a customer's
mail, reading a message, fetching new mail, and the unmatched mail that a
user attaches to a customer by hand.

- `ComposeMailModal`: to, subject, message; ctrl+s sends in a thread, the
  form stays open with its text when the server refuses.
- `CustomerMailPane(customer_id)`: a customer's mail (a customer-screen
  tab); `CustomerMailScreen(customer_id)` shows it on its own.
- `UnmatchedMailScreen`: the module screen; f fetches, a attaches.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList, SelectionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from crm_tui import mail
from crm_tui.documents import DocumentStore
from crm_tui.export import export_rows
from crm_tui.i18n import t
from crm_tui.models import permissions as perm
from crm_tui.models.customers import Contact, Customer, customer_list_query
from crm_tui.models.errors import CrmError, ValidationError
from crm_tui.models.kinds import MailFile
from crm_tui.models.documents import Document
from crm_tui.models.mail import MailAttachment, MailMessage
from crm_tui.models.users import User
from crm_tui.screens.customer_pane import CustomerPaneScreen
from crm_tui.widgets.connection import connected
from crm_tui.plain_text import plain
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.lazy_table import Column, LazyTable
from crm_tui.widgets.query_source import QuerySource
from crm_tui.widgets.plain import PlainStatic, plain_content


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _direction(value: str | None) -> str:
    return t(f"mail.direction.{value}") if value else ""


def _status(value: str | None) -> str:
    return t(f"mail.status.{value}") if value else ""


def _error_text(error: Exception) -> str:
    return str(error).strip() or type(error).__name__


# ----- writing ----------------------------------------------------------------

class ComposeMailModal(ModalScreen[Any]):
    """A new e-mail to a customer's contact. Dismisses with the recorded
    MailMessage once the server took it; None when cancelled.

    Escape keeps what was typed as the customer's draft (`app.drafts`, in
    memory until the app quits or the user signs out); the next mail to
    that customer starts from it."""

    BINDINGS = [
        Binding("ctrl+s", "send", "mail.compose.send", priority=True, id="mail.send"),
        Binding("ctrl+o", "documents", "mail.compose.documents", priority=True,
                id="mail.documents"),
        Binding("escape", "cancel", "mail.cancel", id="mail.cancel"),
    ]

    def __init__(self, customer_id: int, customer_name: str, contact_id: int | None = None,
                 to: str = "", subject: str = "", body: str = "",
                 documents: list[tuple[int, str]] | None = None):
        super().__init__()
        self.customer_id = customer_id
        self.customer_name = customer_name
        self.contact_id = contact_id
        self.to = to
        # A mail the CRM writes (a quote's) starts from its own text, not a draft.
        self.written = {"subject": subject, "body": body} if subject or body else None
        self.sending = False
        self.draft: dict[str, str] = {}
        # The customer's documents to attach: [(id, name)].
        self.documents: list[tuple[int, str]] = list(documents or [])

    def compose(self) -> ComposeResult:
        self.draft = self.written or self.app.drafts.get(self.draft_key, {})
        with Vertical(classes="mail-dialog"):
            yield PlainStatic(t("mail.compose.title", customer=self.customer_name),
                              classes="form-title")
            for name, value in (("to", self.to or self.draft.get("to", "")),
                                ("subject", self.draft.get("subject", ""))):
                with Horizontal(classes="mail-row"):
                    yield Label(t(f"mail.{name}") + " *", classes="mail-label")
                    yield Input(value, id=f"mail-{name}", classes="mail-input")
                yield self._error_line(name)
            attached = PlainStatic("", id="mail-documents", classes="mail-hint")
            attached.display = False
            yield attached
            yield Label(t("mail.body"), classes="mail-label")
            yield TextArea(self.draft.get("body", ""), id="mail-body", soft_wrap=True,
                           show_line_numbers=False)
            yield self._error_line("body")
            status = PlainStatic("", id="mail-status", classes="mail-status")
            status.display = False
            yield status
        yield CrmFooter()

    @staticmethod
    def _error_line(name: str) -> Static:
        line = PlainStatic("", id=f"mail-error-{name}", classes="mail-error")
        line.display = False
        return line

    @property
    def draft_key(self) -> tuple[str, int]:
        return ("mail", self.customer_id)

    def on_mount(self) -> None:
        self.query_one("#mail-subject" if self.to else "#mail-to", Input).focus()
        if self.draft and self.written is None:
            self.app.notify(t("ops_ui.draft_restored"), timeout=5)
        self._show_documents()

    def _show_documents(self) -> None:
        line = self.query_one("#mail-documents", Static)
        line.update(t("mail.compose.documents") + ": "
                    + ", ".join(name for _id, name in self.documents))
        line.display = bool(self.documents)

    def values(self) -> dict[str, str]:
        return {"to": self.query_one("#mail-to", Input).value,
                "subject": self.query_one("#mail-subject", Input).value,
                "body": self.query_one("#mail-body", TextArea).text}

    def show_problem(self, errors: dict[str, str], message: str = "") -> None:
        for name in ("to", "subject", "body"):
            line = self.query_one(f"#mail-error-{name}", Static)
            line.update(errors.get(name, ""))
            line.display = name in errors
        status = self.query_one("#mail-status", Static)
        status.update(message)
        status.display = bool(message)
        status.set_class(bool(message), "-error")
        wrong = [name for name in ("to", "subject", "body") if name in errors]
        if wrong:
            self.query_one(f"#mail-{wrong[0]}").focus()

    def action_send(self) -> None:
        if self.sending:
            return
        self.sending = True
        self.show_problem({}, t("mail.compose.sending"))
        self.query_one("#mail-status", Static).set_class(False, "-error")
        self._send(self.app.user, self.app.config.mail.smtp, self.values(),
                   tuple(document_id for document_id, _name in self.documents),
                   DocumentStore.from_config(self.app.config))

    def action_documents(self) -> None:
        """Pick the customer's documents to attach."""
        if self.sending:
            return
        documents = [(document.id, document.name) for document in Document.select()
                     .where(Document.customer == self.customer_id).order_by(Document.name)]
        if not documents:
            self.app.notify(t("mail.compose.no_documents"))
            return
        chosen = {document_id for document_id, _name in self.documents}

        def picked(ids: Any) -> None:
            if ids is None:
                return
            self.documents = [(document_id, name) for document_id, name in documents
                              if document_id in ids]
            self._show_documents()

        self.app.push_screen(DocumentChoiceModal(documents, chosen), picked)

    @work(thread=True, exclusive=True, exit_on_error=False, group="mail-send")
    def _send(self, user: User, settings: Any, values: dict[str, str],
              document_ids: tuple[int, ...] = (), store: Any = None) -> None:
        try:
            with connected():
                sent = mail.send_to_contact(user, settings, self.customer_id, self.contact_id,
                                            values, document_ids, store)
        except ValidationError as error:
            self.app.call_from_thread(self._not_sent, error.errors, "")
        except Exception as error:  # refused, unreachable, database gone: the draft stays
            reason = _error_text(error)
            self.app.call_from_thread(self._not_sent, {}, t("mail.compose.failed", reason=reason))
        else:
            self.app.call_from_thread(self._sent, sent)

    def _not_sent(self, errors: dict[str, str], message: str) -> None:
        self.sending = False
        self.show_problem(errors, message)

    def _sent(self, sent: MailMessage) -> None:
        self.sending = False
        self.app.notify(t("mail.compose.sent", address=sent.recipients))
        self.app.drafts.pop(self.draft_key, None)
        # The mail was recorded as an interaction: every open view shows it.
        self.app.records_changed("interaction")
        self.dismiss(sent)

    def action_cancel(self) -> None:
        if self.sending:
            return
        values = self.values()
        if values["subject"].strip() or values["body"].strip():
            self.app.drafts[self.draft_key] = values
            self.app.notify(t("ops_ui.draft_kept"), timeout=5)
        else:
            self.app.drafts.pop(self.draft_key, None)
        self.dismiss(None)


class DocumentChoiceModal(ModalScreen[Any]):
    """Mark documents with space; ctrl+s takes the marked ones (a set of
    ids), Escape leaves the choice as it was (None)."""

    BINDINGS = [
        Binding("ctrl+s", "take", "mail.compose.take_documents", priority=True,
                id="mail.documents_take"),
        Binding("escape", "cancel", "mail.cancel", id="mail.documents_cancel"),
    ]

    def __init__(self, documents: list[tuple[int, str]], chosen: set[int]):
        super().__init__()
        self.documents = documents
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        with Vertical(classes="mail-dialog mail-choice"):
            yield Static(t("mail.compose.pick_documents"), classes="form-title")
            yield SelectionList(*[Selection(plain_content(name), document_id,
                                            document_id in self.chosen)
                                  for document_id, name in self.documents],
                                id="mail-document-choice")
        yield CrmFooter()

    def action_take(self) -> None:
        self.dismiss(set(self.query_one(SelectionList).selected))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ContactChoiceModal(ModalScreen[Any]):
    """Which contact to write to: dismisses with a Contact or None."""

    BINDINGS = [Binding("escape", "cancel", "mail.cancel", id="mail.choose_cancel")]

    def __init__(self, contacts: list[Contact]):
        super().__init__()
        self.contacts = contacts

    def compose(self) -> ComposeResult:
        with Vertical(classes="mail-dialog mail-choice"):
            yield Static(t("mail.choose_contact"), classes="form-title")
            yield OptionList(*[Option(plain_content(f"{contact.name}  <{contact.email}>"),
                                      id=str(contact.id))
                               for contact in self.contacts], id="mail-contacts")
        yield CrmFooter()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = next(c for c in self.contacts if str(c.id) == event.option.id)
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)


def open_compose(widget: Widget, customer_id: int, contact: Contact | None = None,
                 on_sent: Any = None, **written: Any) -> None:
    """Open the compose form for a customer: to `contact` when given, else
    to the customer's only contact with an e-mail address, else ask which.
    `written`: the subject, body and documents of a mail the CRM writes."""
    app = widget.app
    try:
        customer = Customer.get_visible(app.user, customer_id)
    except CrmError as error:
        app.notify(str(error), severity="error")
        return

    def compose_to(chosen: Contact | None) -> None:
        modal = ComposeMailModal(customer.id, customer.name,
                                 chosen.id if chosen else None, chosen.email if chosen else "",
                                 **written)
        app.push_screen(modal, on_sent)

    if contact is not None:
        compose_to(contact)
        return
    with_address = list(Contact.select().where((Contact.customer == customer.id)
                                               & (Contact.email != ""))
                        .order_by(Contact.name, Contact.id))
    if len(with_address) <= 1:
        if not with_address:
            app.notify(t("mail.no_contact_email"))
        compose_to(with_address[0] if with_address else None)
        return

    def chosen(picked: Contact | None) -> None:
        if picked is not None:
            compose_to(picked)
    app.push_screen(ContactChoiceModal(with_address), chosen)


# ----- reading ----------------------------------------------------------------

class MailReadModal(ModalScreen[None]):
    """One message: who, when, subject and the text."""

    BINDINGS = [Binding("escape", "close", "mail.close", id="mail.close")]

    def __init__(self, message: MailMessage):
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        message = self.message
        with Vertical(classes="mail-dialog"):
            yield PlainStatic(message.subject or t("mail.no_subject"), classes="form-title")
            rows = [("mail.from", message.sender), ("mail.to", message.recipients),
                    ("mail.date", _when(message.date)), ("mail.status", _status(message.status))]
            if message.problem:
                rows.append(("mail.problem", message.problem))
            files = [f"{attachment.name} ({t(f'mail.attachment.status.{attachment.status}')})"
                     for attachment in MailAttachment.of_mail(message.id)]
            if files:
                rows.append(("mail.attachments", "; ".join(files)))
            for label, value in rows:
                with Horizontal(classes="mail-row"):
                    yield Label(t(label), classes="mail-label")
                    yield PlainStatic(value, classes="mail-value")
            yield TextArea(plain(message.body, multiline=True), id="mail-read-body",
                           read_only=True, soft_wrap=True, show_line_numbers=False)
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one("#mail-read-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)


# ----- fetching ---------------------------------------------------------------

class FetchesMail:
    """The fetch action shared by the screens that offer it."""

    fetching = False

    def action_fetch(self) -> None:
        if self.fetching:
            return
        self.fetching = True
        self.app.notify(t("mail.fetching"))
        self._fetch(self.app.user, self.app.config)

    @work(thread=True, exclusive=True, exit_on_error=False, group="mail-fetch")
    def _fetch(self, user: User, config: Any) -> None:
        try:
            with connected():
                result = mail.fetch_mail(config, actor=user)
        except Exception as error:  # the server said no, or is not there
            self.app.call_from_thread(self._fetched, None, _error_text(error))
        else:
            self.app.call_from_thread(self._fetched, result, "")

    def _fetched(self, result: Any, error: str) -> None:
        self.fetching = False
        if result is None:
            self.app.notify(error, severity="error", timeout=8)
            return
        self.app.notify(result.summary())
        for table in self.query(LazyTable):
            table.reload()


def can_file_mail(user: User | None) -> bool:
    return user is not None and user.has_perm(perm.CUSTOMER_EDIT)


# ----- one customer's mail ------------------------------------------------------

CUSTOMER_COLUMNS = [
    Column("date", "mail.date", 16, MailMessage.date, format=_when),
    Column("direction", "mail.direction", 5, MailMessage.direction, format=_direction),
    Column("contact_name", "mail.contact", 8),
    Column("subject", "mail.subject", 30, MailMessage.subject, max_width=80),
    Column("status", "mail.status", 8, MailMessage.status, format=_status),
]


class CustomerMailPane(FetchesMail, Widget):
    """A customer's mail, newest first: Enter reads, n writes, f fetches."""

    BINDINGS = [
        Binding("n", "new", "mail.new", id="mail.new"),
        Binding("f", "fetch", "mail.fetch", id="mail.fetch"),
    ]

    def __init__(self, customer_id: int):
        super().__init__(classes="customer-pane")
        self.customer_id = customer_id

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(lambda text: self._query(user, text), CUSTOMER_COLUMNS)
        yield LazyTable(source, id="customer-mail-table")

    def _query(self, user: User, text: str):
        query = MailMessage.of_customer(user, self.customer_id)
        for word in text.split():
            query = query.where(MailMessage.subject.contains(word)
                                | MailMessage.body.contains(word)
                                | MailMessage.sender.contains(word)
                                | MailMessage.recipients.contains(word))
        return query

    def focus_main(self) -> None:
        self.query_one(LazyTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new", "fetch"):
            return can_file_mail(self.app.user)
        return True

    def action_new(self) -> None:
        open_compose(self, self.customer_id, on_sent=self._sent)

    def _sent(self, result: Any) -> None:
        if result is not None:
            self.query_one(LazyTable).reload()

    @on(LazyTable.RowChosen)
    def _read(self, event: LazyTable.RowChosen) -> None:
        event.stop()
        message = MailMessage.get_or_none(MailMessage.id == event.row_id)
        if message is not None:
            self.app.push_screen(MailReadModal(message))


class CustomerMailScreen(CustomerPaneScreen):
    """A customer's mail on a screen of its own."""

    pane_class = CustomerMailPane
    heading_id = "mail-title"
    heading_key = "mail.customer.title"


# ----- unmatched mail -------------------------------------------------------------

UNMATCHED_COLUMNS = [
    Column("date", "mail.date", 16, MailMessage.date, format=_when),
    Column("sender", "mail.from", 22, MailMessage.sender, max_width=40),
    Column("subject", "mail.subject", 26, MailMessage.subject, max_width=80),
    Column("status", "mail.status", 10, MailMessage.status, format=_status),
]

PICKER_COLUMNS = [
    Column("number", "customer.number", 14, Customer.number),
    Column("name", "customer.name", 34, Customer.name, max_width=50),
    Column("manager_name", "customer.manager", 12),
]


class CustomerPickerModal(ModalScreen[Any]):
    """Pick one of the customers the user may see: / filters, Enter picks.
    Dismisses with the customer's id, or None."""

    BINDINGS = [Binding("escape", "cancel", "mail.cancel", id="mail.pick_cancel")]

    def __init__(self, title: str):
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(lambda text: customer_list_query(user, text), PICKER_COLUMNS)
        with Vertical(classes="mail-dialog mail-picker"):
            yield PlainStatic(self.title_text, classes="form-title")
            yield LazyTable(source, id="customer-picker-table")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one(LazyTable).open_filter()

    @on(LazyTable.RowChosen)
    def _picked(self, event: LazyTable.RowChosen) -> None:
        event.stop()
        self.dismiss(event.row_id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class UnmatchedMailScreen(FetchesMail, Screen):
    """Received mail from senders who are no customer's contact: f fetches
    new mail, Enter reads, a attaches the message to a customer."""

    BINDINGS = [
        Binding("f", "fetch", "mail.fetch", id="mail.fetch"),
        Binding("a", "attach", "mail.attach", id="mail.attach"),
    ]

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(lambda text: self._query(user, text), UNMATCHED_COLUMNS)
        yield Static(t("mail.unmatched.title"), classes="screen-title")
        yield Static(t("mail.unmatched.hint"), classes="mail-hint")
        yield LazyTable(source, id="unmatched-table")
        yield CrmFooter()

    @staticmethod
    def _query(user: User, text: str):
        query = MailMessage.unmatched_for(user)
        for word in text.split():
            query = query.where(MailMessage.subject.contains(word)
                                | MailMessage.sender.contains(word)
                                | MailMessage.body.contains(word))
        return query

    @property
    def table(self) -> LazyTable:
        return self.query_one(LazyTable)

    def on_mount(self) -> None:
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("fetch", "attach"):
            return can_file_mail(self.app.user)
        return True

    def _current(self) -> MailMessage | None:
        row_id = self.table.current_row_id
        return None if row_id is None else MailMessage.get_or_none(MailMessage.id == row_id)

    @on(LazyTable.RowChosen, "#unmatched-table")
    def _read(self, event: LazyTable.RowChosen) -> None:
        event.stop()
        message = MailMessage.get_or_none(MailMessage.id == event.row_id)
        if message is not None:
            self.app.push_screen(MailReadModal(message))

    def action_attach(self) -> None:
        message = self._current()
        if message is None:
            return

        def picked(customer_id: Any) -> None:
            if customer_id is None:
                return
            try:
                interaction = message.attach_to_customer(self.app.user, customer_id)
            except CrmError as error:
                self.app.notify(str(error), severity="error", timeout=6)
            else:
                self.app.notify(t("mail.attached", customer=interaction.customer.name))
            self.table.reload()

        self.app.push_screen(CustomerPickerModal(t("mail.attach.title")), picked)


def mail_with_file(widget: Widget, mail_file: MailFile) -> None:
    """Write `mail_file` as XLSX, keep it as the customer's document, then
    open a mail to the customer's contact with it attached."""
    app = widget.app
    user, store = app.user, DocumentStore.from_config(app.config)
    try:
        customer = Customer.get_visible(user, mail_file.customer_id)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "sheet.xlsx"
            export_rows(path, mail_file.headers, mail_file.rows)
            document = Document.file_data(user, customer.id, mail_file.file_name,
                                          path.read_bytes(), store)
    except CrmError as error:
        app.notify(str(error), severity="error", timeout=6)
        return
    open_compose(widget, customer.id, subject=mail_file.subject, body=mail_file.body,
                 documents=[(document.id, document.name)])


__all__ = ["ComposeMailModal", "CustomerMailPane", "DocumentChoiceModal", "CustomerMailScreen",
           "UnmatchedMailScreen", "mail_with_file",
           "open_compose"]

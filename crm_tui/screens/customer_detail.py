"""One customer (客户信息): tabs for its information, contacts, interactions,
orders, and whatever other modules add.

A tab is a `DetailTab` in `DETAIL_TABS`: a key, the i18n key of its label, a
callable making the pane for a customer id, and the permission it needs.
Another module adds its tab with one entry there (see `pane()`); the pane
is a widget taking `customer_id`, reading `self.app.user`.

Keys on every pane: n new, e edit, d delete (what they act on depends on
the tab); the number keys switch tabs.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static, TabbedContent, TabPane

from crm_tui.i18n import t
from crm_tui.models import permissions as perm
from crm_tui.models.customers import (
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    Contact,
    Customer,
    active_managers,
    customer_export,
    customer_list_query,
)
from crm_tui.models.errors import CrmError
from crm_tui.models.users import User
from crm_tui.screens.list_export import start_export
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import Column, LazyTable, QuerySource

TAB_KEYS = "123456789"
INFORMATION_ROWS = ["number", *[field.name for field in CUSTOMER_FIELDS], "status"]


@dataclass(frozen=True)
class DetailTab:
    key: str
    label_key: str
    pane: Callable[[int], Widget]
    permission: str | None = None


def pane(module_path: str, class_name: str) -> Callable[[int], Widget]:
    """A callable that imports `module_path` and makes `class_name(customer_id=...)`."""
    def make(customer_id: int) -> Widget:
        return getattr(importlib.import_module(module_path), class_name)(customer_id=customer_id)
    return make


def record_pane(kind_name: str) -> Callable[[int], Widget]:
    """A callable making the pane of a customer's records of `kind_name`."""
    def make(customer_id: int) -> Widget:
        from crm_tui.screens.records import RecordPane

        return RecordPane(kind_name, customer_id)
    return make


DETAIL_TABS: list[DetailTab] = [
    DetailTab("information", "customer.tab.information",
              pane("crm_tui.screens.customer_detail", "CustomerInformationPane")),
    DetailTab("contacts", "customer.tab.contacts",
              pane("crm_tui.screens.customer_detail", "ContactsPane")),
    DetailTab("interactions", "customer.tab.interactions",
              pane("crm_tui.screens.interactions", "CustomerInteractionsPane")),
    DetailTab("orders", "customer.tab.orders",
              pane("crm_tui.screens.orders", "CustomerOrdersPane"), perm.ORDER_VIEW),
    DetailTab("services", "module.services", record_pane("service")),
    DetailTab("mail", "mail.module", pane("crm_tui.screens.mail", "CustomerMailPane")),
    DetailTab("documents", "documents.module",
              pane("crm_tui.screens.documents", "CustomerDocumentsPane")),
]


def show_error(app: App, error: CrmError) -> None:
    app.notify(str(error), severity="error", timeout=6)


class EditablePane(Widget):
    """A pane whose n/e/d keys are shown only to users who may change customers.

    The model checks the right again on every write; hiding the keys only
    spares a read-only user keys that would be refused.
    """

    def can_edit(self) -> bool:
        return self.app.user is not None and self.app.user.has_perm(perm.CUSTOMER_EDIT)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new", "edit", "delete"):
            return self.can_edit()
        return True


# ----- customer actions (the list and the information tab) -----------------

def _form_values(customer: Customer) -> dict[str, Any]:
    return {field.name: customer.__data__.get(field.name) for field in CUSTOMER_FIELDS}


def new_customer(app: App, done: Callable[[Customer | None], None]) -> None:
    """The new-customer form; an account manager's new customer is their own."""
    user = app.user
    values: dict[str, Any] = {}
    if active_managers().where(User.id == user.id).exists():
        values["manager"] = user.id
    app.push_screen(FormModal(t("customer.new_title"), CUSTOMER_FIELDS, values,
                              lambda typed: Customer.create_by(user, typed)), done)


def edit_customer(app: App, customer: Customer, done: Callable[[Customer | None], None]) -> None:
    """The edit form over the copy `customer` (saved against its version)."""
    user = app.user
    try:
        customer.check_editable_by(user)
    except CrmError as error:
        show_error(app, error)
        return
    app.push_screen(FormModal(t("customer.edit_title", number=customer.number), CUSTOMER_FIELDS,
                              _form_values(customer),
                              lambda typed: customer.update_by(user, typed)), done)


def delete_customer(app: App, customer: Customer, done: Callable[[bool], None]) -> None:
    """Ask, then soft-delete; `done(True)` once deleted."""
    user = app.user
    try:
        customer.check_editable_by(user)
    except CrmError as error:
        show_error(app, error)
        return

    def answered(yes: bool | None) -> None:
        if not yes:
            return
        try:
            customer.delete_by(user)
        except CrmError as error:
            show_error(app, error)
            done(False)
            return
        app.notify(t("customer.deleted", name=customer.name))
        done(True)

    app.push_screen(ConfirmModal(t("customer.confirm_delete", name=customer.name)), answered)


def export_customers(app: App, filter_text: str, sort: Column | None, descending: bool) -> None:
    """Export exactly the rows the customer list shows, in its order."""
    user = app.user

    def rows_for_export():
        query = customer_list_query(user, filter_text)
        # The list's own ordering: the file has the rows in the order shown.
        headers, rows = customer_export(QuerySource._ordered(query, sort, descending))
        return headers, rows, query.count()

    start_export(app, rows_for_export, "customers")


# ----- information ---------------------------------------------------------

class CustomerInformationPane(EditablePane, can_focus=False):
    BINDINGS = [
        Binding("e", "edit", t("customer.edit"), id="customer.edit"),
        Binding("d", "delete", t("customer.delete"), id="customer.delete"),
    ]

    def __init__(self, customer_id: int):
        super().__init__(classes="customer-information")
        self.customer_id = customer_id
        # The copy shown, and saved against: a save after someone else's
        # change to the customer is refused as a conflict.
        self.customer: Customer | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="customer-information-body", can_focus=True):
            for name in INFORMATION_ROWS:
                field = next((f for f in CUSTOMER_FIELDS if f.name == name), None)
                label = t(f"customer.{name}") + (" *" if field and field.required else "")
                with Horizontal(classes="info-row"):
                    yield Static(label, classes="info-label")
                    yield Static("", id=f"info-{name}", classes="info-value")

    def on_mount(self) -> None:
        self.load()

    def focus_main(self) -> None:
        self.query_one("#customer-information-body").focus()

    def load(self) -> None:
        try:
            self.customer = Customer.get_visible(self.app.user, self.customer_id)
        except CrmError as error:
            show_error(self.app, error)
            return
        customer = self.customer
        shown = {
            "number": customer.number, "region": customer.region.item,
            "level": customer.level.item, "manager": customer.manager.display_name,
            "status": t(f"customer.status.{customer.status}"),
        }
        for name in INFORMATION_ROWS:
            value = shown.get(name, getattr(customer, name))
            self.query_one(f"#info-{name}", Static).update("" if value is None else str(value))
        screen = self.screen
        if isinstance(screen, CustomerDetailScreen):
            screen.show_title(customer)

    def action_edit(self) -> None:
        if self.customer is not None:
            edit_customer(self.app, self.customer, self._edited)

    def _edited(self, result: Any) -> None:
        # Saved or not: show what the database holds now (after a refused
        # save, that is the other person's change).
        self.load()
        if result is not None:
            self.app.notify(t("customer.saved"))

    def action_delete(self) -> None:
        if self.customer is not None:
            delete_customer(self.app, self.customer, self._deleted)

    def _deleted(self, deleted: bool) -> None:
        if deleted:
            self.screen.dismiss(True)
        else:
            self.load()


# ----- contacts ------------------------------------------------------------

def _sex(value: str | None) -> str:
    return t(f"contact.sex.{value}") if value else ""


CONTACT_COLUMNS = [
    Column("name", "contact.name", 10, Contact.name),
    Column("sex", "contact.sex", 4, Contact.sex, format=_sex),
    Column("position", "contact.position", 12, Contact.position),
    Column("office_phone", "contact.office_phone", 15, Contact.office_phone),
    Column("mobile", "contact.mobile", 13, Contact.mobile),
    Column("email", "contact.email", 22, Contact.email),
]


class ContactsPane(EditablePane):
    BINDINGS = [
        Binding("n", "new", t("contact.new"), id="contacts.new"),
        Binding("e", "edit", t("contact.edit"), id="contacts.edit"),
        Binding("d", "delete", t("contact.delete"), id="contacts.delete"),
        Binding("m", "mail", t("contact.mail"), id="contacts.mail"),
    ]

    def __init__(self, customer_id: int):
        super().__init__(classes="customer-pane")
        self.customer_id = customer_id

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "mail":
            return self.can_edit()
        return super().check_action(action, parameters)

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(lambda text: self._query(user, text), CONTACT_COLUMNS)
        yield LazyTable(source, id="contact-table")

    def _query(self, user, text: str):
        query = Contact.of_customer(user, self.customer_id)
        for word in text.split():
            query = query.where(Contact.name.contains(word) | Contact.position.contains(word)
                                | Contact.email.contains(word))
        return query

    def focus_main(self) -> None:
        self.query_one(LazyTable).focus()

    def _current(self) -> Contact | None:
        contact_id = self.query_one(LazyTable).current_row_id
        return None if contact_id is None else Contact.get_or_none(Contact.id == contact_id)

    def _done(self, result: Any) -> None:
        self.query_one(LazyTable).reload()
        if result is not None:
            self.app.notify(t("customer.saved"))

    def action_mail(self) -> None:
        """Write to the contact under the cursor (recorded as an interaction)."""
        from crm_tui.screens.mail import open_compose

        contact = self._current()
        if contact is not None:
            open_compose(self, self.customer_id, contact)

    def action_new(self) -> None:
        user = self.app.user
        form = FormModal(t("contact.new_title"), CONTACT_FIELDS, {},
                         lambda typed: Contact.create_by(user, self.customer_id, typed))
        self.app.push_screen(form, self._done)

    def action_edit(self) -> None:
        contact = self._current()
        if contact is None:
            return
        user = self.app.user
        values = {field.name: getattr(contact, field.name) for field in CONTACT_FIELDS}
        form = FormModal(t("contact.edit_title", name=contact.name), CONTACT_FIELDS, values,
                         lambda typed: contact.update_by(user, typed))
        self.app.push_screen(form, self._done)

    def action_delete(self) -> None:
        contact = self._current()
        if contact is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                contact.delete_by(self.app.user)
            except CrmError as error:
                show_error(self.app, error)
            self.query_one(LazyTable).reload()

        self.app.push_screen(ConfirmModal(t("contact.confirm_delete", name=contact.name)), answered)


# ----- the screen ----------------------------------------------------------

class CustomerDetailScreen(Screen):
    """A customer's tabs. Dismisses with True when the customer was deleted."""

    BINDINGS = [Binding(key, f"tab({position})", t("customer.tab_number", number=key),
                        show=False, id=f"customer.tab_{key}")
                for position, key in enumerate(TAB_KEYS)]

    def __init__(self, customer_id: int):
        super().__init__()
        self.customer_id = customer_id

    def tabs(self) -> list[DetailTab]:
        granted = self.app.permissions()
        return [tab for tab in DETAIL_TABS if tab.permission is None or tab.permission in granted]

    def compose(self) -> ComposeResult:
        yield Static("", id="customer-title", classes="screen-title")
        with TabbedContent(id="customer-tabs"):
            for position, tab in enumerate(self.tabs()):
                number = TAB_KEYS[position] if position < len(TAB_KEYS) else ""
                with TabPane(f"{number} {t(tab.label_key)}".strip(), id=f"tab-{tab.key}"):
                    yield tab.pane(self.customer_id)
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self._focus_active)

    def show_title(self, customer: Customer) -> None:
        self.query_one("#customer-title", Static).update(t(
            "customer.detail_title", number=customer.number, name=customer.name,
            status=t(f"customer.status.{customer.status}")))

    def action_tab(self, position: int) -> None:
        tabs = self.tabs()
        if position >= len(tabs):
            return
        self.query_one(TabbedContent).active = f"tab-{tabs[position].key}"
        # At once, so a key typed right after the tab's number reaches the tab.
        self._focus_active()

    def _focus_active(self) -> None:
        tabbed = self.query_one(TabbedContent)
        active = tabbed.active_pane
        if active is None:
            return
        # Focus the tab's first focusable widget at once: Widget.focus()
        # waits its turn, and a key typed right after the tab's number (2 n)
        # must already reach the new tab. Then the pane's own choice.
        first = next((widget for widget in self.focus_chain if active in widget.ancestors), None)
        if first is not None:
            self.set_focus(first)
        for child in active.children:
            focus_main = getattr(child, "focus_main", None)
            if focus_main is not None:
                focus_main()
                return

    def active_tab_key(self) -> str:
        return self.query_one(TabbedContent).active.removeprefix("tab-")


__all__ = ["DETAIL_TABS", "CustomerDetailScreen", "DetailTab", "delete_customer", "edit_customer",
           "export_customers", "new_customer", "pane"]

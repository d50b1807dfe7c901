"""The customer list (客户信息): every customer the user may see, searchable, sortable."""
from __future__ import annotations

from peewee import SQL
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from crm_tui.i18n import t
from crm_tui.models import permissions as perm
from crm_tui.models.customers import LEVEL_ORDER, Customer, customer_list_query
from crm_tui.screens.customer_detail import (CustomerDetailScreen, delete_customer, edit_customer,
                                             export_customers, new_customer)
from crm_tui.widgets.lazy_table import Column, LazyTable, QuerySource


def _status(value: str) -> str:
    return t(f"customers.status.{value}") if value else ""


# The joined names are sorted by their output alias (region_name ...),
# which SQLite and PostgreSQL both accept in ORDER BY.
CUSTOMER_COLUMNS = [
    Column("number", "customers.column.number", 13, Customer.number),
    Column("name", "customers.column.name", 26, Customer.name),
    Column("region_name", "customers.column.region", 6, SQL("region_name")),
    Column("level_name", "customers.column.level", 12, LEVEL_ORDER),
    Column("manager_name", "customers.column.manager", 10, SQL("manager_name")),
    Column("status", "customers.column.status", 6, Customer.status, format=_status),
]


class CustomerListScreen(Screen):
    """The customers visible to the signed-in user; "/" searches by number,
    name, region, level or manager."""

    def __init__(self, filter_text: str = ""):
        super().__init__()
        self.filter_text = filter_text

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(lambda text: customer_list_query(user, text), CUSTOMER_COLUMNS)
        yield Static(t("customers.title"), classes="screen-title")
        yield LazyTable(source, filter_text=self.filter_text, id="customer-table")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(LazyTable).focus()

    # ----- changes, the customer screen, export -------------------------
    # n new, e edit, d delete (soft), x export the rows shown, Enter opens.
    BINDINGS = [
        Binding("n", "new", t("customer.new"), id="customers.new"),
        Binding("e", "edit", t("customer.edit"), id="customers.edit"),
        Binding("d", "delete", t("customer.delete"), id="customers.delete"),
        Binding("x", "export", t("customer.export"), id="customers.export"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new", "edit", "delete"):
            return self.app.user is not None and self.app.user.has_perm(perm.CUSTOMER_EDIT)
        return True

    def _current_customer(self) -> Customer | None:
        row_id = self.query_one(LazyTable).current_row_id
        return None if row_id is None else Customer.get_or_none(Customer.id == row_id)

    def _changed(self, result: object = None) -> None:
        self.query_one(LazyTable).reload()

    def action_new(self) -> None:
        def created(customer: Customer | None) -> None:
            self._changed()
            if customer is not None:
                self.app.notify(t("customer.created", number=customer.number))
        new_customer(self.app, created)

    def action_edit(self) -> None:
        customer = self._current_customer()
        if customer is not None:
            edit_customer(self.app, customer, self._changed)

    def action_delete(self) -> None:
        customer = self._current_customer()
        if customer is not None:
            delete_customer(self.app, customer, self._changed)

    def action_export(self) -> None:
        view = self.query_one(LazyTable).view
        sort = view.columns[view.sort_index] if view.sort_index is not None else None
        export_customers(self.app, view.filter_text, sort, view.sort_descending)

    @on(LazyTable.RowChosen, "#customer-table")
    def _open_customer(self, event: LazyTable.RowChosen) -> None:
        event.stop()
        self.app.push_screen(CustomerDetailScreen(event.row_id), self._changed)

"""The customer list (客户信息): every customer the user may see, searchable,
sortable, exported with x; Enter opens the customer's tabs."""
from __future__ import annotations

from typing import Any

from textual.binding import Binding

from crm_tui.models.customers import CUSTOMER, Customer, customer_export, customer_list_query
from crm_tui.models.filters import list_query
from crm_tui.models.permissions import CUSTOMER_EDIT
from crm_tui.screens.list_export import start_export
from crm_tui.screens.records import RecordListScreen
from crm_tui.widgets.query_source import QuerySource


class CustomerListScreen(RecordListScreen):
    """The customer kind's list, with export and the customer's own screen."""

    BINDINGS = [Binding("x", "export", "customer.export", id="customers.export"),
                Binding("i", "import", "importing.open", id="customers.import"),
                # In F1: the footer has no room left at 80 columns.
                Binding("D", "duplicates", "duplicates.module", show=False,
                        id="customers.duplicates")]

    def __init__(self, filter_text: str = "", view_id: Any = None):
        super().__init__("customer", view_id=view_id)
        self.filter_text = filter_text

    def on_mount(self) -> None:
        super().on_mount()
        if self.filter_text:
            self.table.set_filter(self.filter_text)

    def action_export(self) -> None:
        """Export exactly the rows the list shows, in its order."""
        view = self.table.view
        sort = view.columns[view.sort_index] if view.sort_index is not None else None
        user, filter_text, descending = self.app.user, view.filter_text, view.sort_descending

        def rows_for_export():
            query = list_query(CUSTOMER, user, filter_text, {})
            headers, rows = customer_export(QuerySource._ordered(query, sort, descending))
            return headers, rows, query.count()

        start_export(self.app, rows_for_export, "customers")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "import":
            return self.app.user is not None and self.app.user.has_perm(CUSTOMER_EDIT)
        return super().check_action(action, parameters)

    def action_import(self) -> None:
        from crm_tui.screens.importing import ImportScreen

        self.app.push_screen(ImportScreen("customer"))

    def action_duplicates(self) -> None:
        from crm_tui.screens.duplicates import DuplicatesScreen

        self.app.push_screen(DuplicatesScreen())

    def export_marked(self, ids: set[Any]) -> None:
        """The marked customers, every exported column, in number order."""
        user = self.app.user

        def rows_for_export():
            query = (customer_list_query(user).where(Customer.id.in_(list(ids)))
                     .order_by(Customer.number))
            headers, rows = customer_export(query)
            return headers, rows, len(ids)

        start_export(self.app, rows_for_export, "customers")

    def open_record(self, row_id: Any) -> None:
        from crm_tui.screens.customer_detail import CustomerDetailScreen

        self.app.push_screen(CustomerDetailScreen(row_id))

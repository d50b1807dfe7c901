"""The customer list (客户信息): every customer the user may see, searchable,
sortable, exported with x; Enter opens the customer's tabs."""
from __future__ import annotations

from typing import Any

from textual.binding import Binding

from crm_tui.models.customers import CUSTOMER, customer_export
from crm_tui.models.filters import list_query
from crm_tui.screens.list_export import start_export
from crm_tui.screens.records import RecordListScreen
from crm_tui.widgets.lazy_table import QuerySource


class CustomerListScreen(RecordListScreen):
    """The customer kind's list, with export and the customer's own screen."""

    BINDINGS = [Binding("x", "export", "customer.export", id="customers.export")]

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

    def open_record(self, row_id: Any) -> None:
        from crm_tui.screens.customer_detail import CustomerDetailScreen

        self.app.push_screen(CustomerDetailScreen(row_id))

"""Order history (历史订单), read from the sales system: a customer's orders
as a tab of the customer screen, and one order's lines and total."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import DataTable, Static

from crm_tui.i18n import t
from crm_tui.models.kinds import money
from crm_tui.models.errors import CrmError
from crm_tui.models.orders import (
    OrderDetail,
    customer_orders_query,
    order_detail,
    status_label,
)
from crm_tui.models.sales_system import Order
from crm_tui.plain_text import plain
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.lazy_table import Column, LazyTable
from crm_tui.widgets.query_source import QuerySource
from crm_tui.widgets.plain import PlainStatic


ORDER_COLUMNS = [
    Column("number", "order.number", 18, Order.number),
    Column("date", "order.date", 10, Order.date),
    Column("delivery_address", "order.delivery_address", 22, Order.delivery_address,
           max_width=60),
    Column("status", "order.status", 6, Order.status, format=status_label),
    Column("amount", "order.amount", 14, Order.amount, format=money),
]


class CustomerOrdersPane(Widget):
    """Shipped and paid orders, newest first; Enter shows an order's lines."""

    def __init__(self, customer_id: int):
        super().__init__(classes="customer-pane")
        self.customer_id = customer_id

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(lambda text: self._query(user, text), ORDER_COLUMNS)
        yield LazyTable(source, id="order-table")

    def _query(self, user, text: str):
        query = customer_orders_query(user, self.customer_id)
        for word in text.split():
            query = query.where(Order.number.contains(word)
                                | Order.delivery_address.contains(word))
        return query

    def focus_main(self) -> None:
        self.query_one(LazyTable).focus()

    @on(LazyTable.RowChosen, "#order-table")
    def _open(self, event: LazyTable.RowChosen) -> None:
        event.stop()
        try:
            detail = order_detail(self.app.user, event.row_id)
        except CrmError as error:
            self.app.notify(str(error), severity="error")
            return
        self.app.push_screen(OrderDetailScreen(detail))


class OrderDetailScreen(ModalScreen[None]):
    """An order's heading, its lines (product, quantity, unit, unit price,
    amount) and its total."""

    BINDINGS = [Binding("escape", "close", "order.close", id="order.close")]

    def __init__(self, detail: OrderDetail):
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        order = self.detail.order
        with Vertical(classes="order-dialog"):
            yield PlainStatic(t("order.title", number=order.number, date=order.date,
                                status=self.detail.status_label), classes="form-title")
            yield PlainStatic(t("order.address_line", address=order.delivery_address),
                              classes="order-address")
            yield DataTable(id="order-lines", cursor_type="row", zebra_stripes=False)
            yield Static(t("order.total_line", total=money(self.detail.total)),
                         id="order-total", classes="order-total")
        yield CrmFooter()

    def on_mount(self) -> None:
        table = self.query_one("#order-lines", DataTable)
        table.add_column(t("order.product"), width=22)
        table.add_column(t("order.quantity"), width=6)
        table.add_column(t("order.unit"), width=4)
        table.add_column(t("order.unit_price"), width=12)
        table.add_column(t("order.line_amount"), width=14)
        for line in self.detail.lines:
            product = f"{line.product} {line.model}".strip()
            # The sales system's text, shown as it is: never as markup.
            table.add_row(*(Text(plain(cell)) for cell in (
                product, str(line.quantity), line.unit, money(line.unit_price),
                money(line.amount))))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)


__all__ = ["CustomerOrdersPane", "OrderDetailScreen", "money"]

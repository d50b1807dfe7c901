"""Product query (查询产品信息, M5.2) and stock query (查询库存, M5.3) over the
sales system: read only, searched with "/" (every word must match)."""
from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from crm_tui.i18n import t
from crm_tui.models.orders import product_query, stock_query
from crm_tui.models.sales_system import Product, Stock
from crm_tui.models.kinds import money
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.lazy_table import Column, LazyTable
from crm_tui.widgets.query_source import QuerySource

PRODUCT_COLUMNS = [
    Column("name", "product.name", 18, Product.name),
    Column("model", "product.model", 12, Product.model),
    Column("batch", "product.batch", 10, Product.batch),
    Column("unit", "product.unit", 4, Product.unit),
    Column("price", "product.price", 12, Product.price, format=money),
    Column("note", "product.note", 14),
]

# Product columns of the stock list are sorted by their output alias.
STOCK_COLUMNS = [
    Column("product_name", "stock.product", 18, Product.name),
    Column("product_model", "product.model", 10, Product.model),
    Column("warehouse", "stock.warehouse", 14, Stock.warehouse),
    Column("location", "stock.location", 8, Stock.location),
    Column("quantity", "stock.quantity", 8, Stock.quantity),
    Column("unit", "product.unit", 4),
    Column("note", "stock.note", 10),
]


class SalesQueryScreen(Screen):
    """A searchable read-only list of the sales system: `rows(user, text)`
    gives its rows, shown in `columns`."""

    title_key = ""
    table_id = ""
    columns: list[Column] = []
    rows: Any = None

    def __init__(self, filter_text: str = ""):
        super().__init__()
        self.filter_text = filter_text

    def source(self) -> QuerySource:
        user, rows = self.app.user, type(self).rows
        return QuerySource(lambda text: rows(user, text), self.columns)

    def compose(self) -> ComposeResult:
        yield Static(t(self.title_key), classes="screen-title")
        yield LazyTable(self.source(), filter_text=self.filter_text, id=self.table_id,
                        openable=False)
        yield CrmFooter()

    def on_mount(self) -> None:
        table = self.query_one(LazyTable)
        table.focus()


class ProductScreen(SalesQueryScreen):
    title_key = "product.title"
    table_id = "product-table"
    columns = PRODUCT_COLUMNS
    rows = staticmethod(product_query)


class StockScreen(SalesQueryScreen):
    title_key = "stock.title"
    table_id = "stock-table"
    columns = STOCK_COLUMNS
    rows = staticmethod(stock_query)

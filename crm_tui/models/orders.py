"""Read-only queries over the sales system (M2.4 历史订单, M5.2 产品, M5.3 库存).

Orders, products and stock live behind `sales_database`, which may be
another database than the CRM's: these queries never join a sales table
with a CRM table. Whether a user may see a customer's orders is decided in
the CRM's database first (`Customer.get_visible`), then the orders are read
by customer id. Nothing here writes to the sales system.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from peewee import fn

from crm_tui.i18n import t
from crm_tui.models import permissions as perm
from crm_tui.models.customers import Customer, current_customer_id, customer_and_aliases
from crm_tui.models.errors import NotFound
from crm_tui.models.sales_system import (
    COUNTED_STATUSES,
    PAID,
    SHIPPED,
    Order,
    OrderLine,
    Product,
    Stock,
)
from crm_tui.models.users import User, require
from crm_tui.models.validation import cents

STATUS_LABELS = {SHIPPED: "order.status.shipped", PAID: "order.status.paid"}
PAGE_SIZE = 20


def status_label(status: int) -> str:
    key = STATUS_LABELS.get(status)
    return t(key) if key else str(status)


def customer_orders_query(user: User, customer_id: int):
    """The customer's orders in status 5 or 6 (已发货, 已回款), newest first.

    Raises PermissionDenied without the right to see orders, NotFound when
    the customer is not one `user` may see.
    """
    require(user, perm.ORDER_VIEW)
    Customer.get_visible(user, customer_id)
    return (Order.select(Order.id, Order.number, Order.date, Order.delivery_address,
                         Order.status, Order.amount)
            # Orders of customers merged into this one show here too.
            .where(Order.customer_id.in_(customer_and_aliases(customer_id))
                   & Order.status.in_(COUNTED_STATUSES))
            .order_by(Order.date.desc(), Order.id.desc()))


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    count: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))


def customer_orders_page(user: User, customer_id: int, page: int = 1,
                         page_size: int = PAGE_SIZE) -> OrderPage:
    """One page (from 1) of the customer's orders and how many there are."""
    query = customer_orders_query(user, customer_id)
    page = max(1, page)
    return OrderPage(orders=list(query.paginate(page, page_size)), count=query.count(),
                     page=page, page_size=page_size)


@dataclass(frozen=True)
class OrderLineRow:
    product: str
    model: str
    quantity: int
    unit: str
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    lines: list[OrderLineRow]
    total: Decimal

    @property
    def status_label(self) -> str:
        return status_label(self.order.status)


def order_detail(user: User, order_id: int) -> OrderDetail:
    """An order with its lines and total, if its customer is one `user` may see."""
    require(user, perm.ORDER_VIEW)
    order = (Order.select()
             .where((Order.id == order_id) & Order.status.in_(COUNTED_STATUSES))
             .first())
    if order is None:
        raise NotFound(t("error.not_found"))
    Customer.get_visible(user, current_customer_id(order.customer_id))
    rows = (OrderLine.select(Product.name, Product.model, OrderLine.quantity, OrderLine.unit,
                             OrderLine.unit_price, OrderLine.amount)
            .join(Product)
            .where(OrderLine.order == order.id)
            .order_by(OrderLine.id)
            .tuples())
    lines = [OrderLineRow(name, model, quantity, unit, cents(price), cents(amount))
             for name, model, quantity, unit, price, amount in rows]
    total = (OrderLine.select(fn.SUM(OrderLine.amount)).where(OrderLine.order == order.id)
             .scalar())
    return OrderDetail(order=order, lines=lines, total=cents(total or 0))


def _words(text: str) -> list[str]:
    return text.split()


def product_query(user: User, text: str = ""):
    """Products (M5.2) whose name, model (型号) or batch (等级/批次) contains
    every word of `text`."""
    require(user, perm.ORDER_VIEW)
    query = Product.select().order_by(Product.name, Product.id)
    for word in _words(text):
        query = query.where(Product.name.contains(word) | Product.model.contains(word)
                            | Product.batch.contains(word))
    return query


def stock_query(user: User, text: str = ""):
    """Stock rows (M5.3) with their product; each word of `text` must be in
    the product's name or model, or in the warehouse."""
    require(user, perm.ORDER_VIEW)
    query = (Stock.select(Stock, Product.name.alias("product_name"),
                          Product.model.alias("product_model"), Product.unit.alias("unit"))
             .join(Product)
             .order_by(Product.name, Stock.warehouse, Stock.location, Stock.id)
             .objects())
    for word in _words(text):
        query = query.where(Product.name.contains(word) | Product.model.contains(word)
                            | Stock.warehouse.contains(word))
    return query

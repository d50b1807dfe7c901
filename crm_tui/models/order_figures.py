"""Order figures per customer, kept on the CRM's side.

The sales system's orders (a million rows and more, possibly in another
database) are summed per customer and year into `OrderFigures`, and per
customer over all years into `OrderTotals`, so that a report ranks a
hundred thousand customers by reading one row each instead of every order.

The figures are as of their last refresh (`figures_as_of`):

- a full refresh sums every counted order again; the worker runs one with
  each scheduled scan, and a user can ask for one from the Reports screen;
- a recent refresh sums again only the customers with orders dated from a
  week before the last refresh (new orders, and orders shipped or paid
  since), and of those only the years from that date on; the Reports screen runs one when the figures are older than
  `FRESH_FOR`. An order older than that whose status changes is counted at
  the next full refresh.

One refresh at a time: the refresh takes the database's write lock first
(SQLite) or a transaction-scoped advisory lock (PostgreSQL).
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Iterable, Iterator

from peewee import (CompositeKey, DateField, DateTimeField, DecimalField, IntegerField,
                    CharField, fn)

from crm_tui import clock
from crm_tui.models.base import BaseModel, database, is_postgres, sales_database
from crm_tui.models.sales_system import COUNTED_STATUSES, Order

# A recent refresh goes back this far before the last refresh began, for
# orders entered late or shipped and paid since.
RECENT_OVERLAP = dt.timedelta(days=7)
# Figures younger than this are used as they are when a report opens.
FRESH_FOR = dt.timedelta(minutes=10)
# Customers per query to the sales database and rows per insert.
BATCH = 900
FULL, RECENT = "full", "recent"
_LOCK_KEY = 2026112901


class OrderFigures(BaseModel):
    """Counted orders (shipped or paid) of one customer in one year."""
    customer_id = IntegerField()
    year = IntegerField()
    orders = IntegerField()
    amount = DecimalField(max_digits=16, decimal_places=2)
    last_order_date = DateField()

    class Meta:
        table_name = "order_figures"
        primary_key = CompositeKey("customer_id", "year")
        # A year's ranking read in order of amount.
        indexes = ((("year", "amount", "customer_id"), False),)


class OrderTotals(BaseModel):
    """Counted orders of one customer over all years."""
    customer_id = IntegerField(primary_key=True)
    orders = IntegerField()
    amount = DecimalField(max_digits=16, decimal_places=2)
    last_order_date = DateField()

    class Meta:
        table_name = "order_totals"
        indexes = ((("amount", "customer_id"), False),)


class OrderFiguresRefresh(BaseModel):
    """One refresh of the figures: when, how, and how many customers."""
    kind = CharField(max_length=10)
    started_at = DateTimeField()
    finished_at = DateTimeField(index=True)
    customers = IntegerField()
    seconds = DecimalField(max_digits=10, decimal_places=3)

    class Meta:
        table_name = "order_figures_refresh"


@dataclass(frozen=True)
class RefreshResult:
    kind: str
    customers: int
    seconds: float


def figures_as_of() -> dt.datetime | None:
    """When the last refresh began (the figures hold every order entered
    before it); None before the first."""
    last = (OrderFiguresRefresh.select(OrderFiguresRefresh.started_at)
            .order_by(OrderFiguresRefresh.finished_at.desc(), OrderFiguresRefresh.id.desc())
            .first())
    return last.started_at if last else None


def figures_are_fresh(now: dt.datetime | None = None) -> bool:
    as_of = figures_as_of()
    return as_of is not None and (now or clock.now()) - as_of < FRESH_FOR


def refresh(kind: str = RECENT) -> RefreshResult:
    """Sum the orders again: every customer (FULL) or the customers with
    recent orders (RECENT; a full refresh when there was none before)."""
    started_at, started = clock.now(), time.perf_counter()
    since = None
    if kind == RECENT:
        as_of = figures_as_of()
        since = (as_of - RECENT_OVERLAP).date() if as_of else None
    # A recent refresh reads its sums before it takes the write lock: on
    # SQLite every other user's save waits while the lock is held, and at a
    # million customers summing a week of orders takes seconds.
    recent = _recent_sums(since) if since is not None else None
    with database.atomic():
        _take_refresh_lock()
        if recent is None:
            kind = FULL
            customers = _refresh_all()
        else:
            customers = _write_recent(*recent)
        seconds = time.perf_counter() - started
        OrderFiguresRefresh.create(kind=kind, started_at=started_at, finished_at=clock.now(),
                                   customers=customers, seconds=round(Decimal(seconds), 3))
    return RefreshResult(kind, customers, seconds)


def refresh_if_stale() -> RefreshResult | None:
    """A recent refresh when the figures are older than FRESH_FOR."""
    if figures_are_fresh():
        return None
    return refresh(RECENT)


def _take_refresh_lock() -> None:
    if is_postgres():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
    # SQLite: the transaction began IMMEDIATE, so it holds the write lock.


def _order_year():
    if is_postgres(sales_database):
        return fn.date_part("year", Order.date).cast("integer")
    return fn.strftime("%Y", Order.date).cast("integer")


def _sums_by_customer_and_year(customer_ids: list[int] | None, from_year: int | None = None):
    """(customer, year, orders, amount, last date) of counted orders, of
    every customer or those of `customer_ids`, of every year or those from
    `from_year` on."""
    year = _order_year()
    # Rounded to cents: SQLite sums decimal columns as floating point.
    query = (Order.select(Order.customer_id, year, fn.COUNT(Order.id),
                          fn.ROUND(fn.SUM(Order.amount), 2), fn.MAX(Order.date))
             .where(Order.status.in_(COUNTED_STATUSES))
             .group_by(Order.customer_id, year))
    if customer_ids is not None:
        query = query.where(Order.customer_id.in_(customer_ids))
    if from_year is not None:
        query = query.where(Order.date >= dt.date(from_year, 1, 1))
    return query.tuples()


def _refresh_all() -> int:
    OrderFigures.delete().execute()
    OrderTotals.delete().execute()
    if sales_database.obj is database.obj:
        # One statement inside the database: no row comes to Python.
        (OrderFigures.insert_from(
            _sums_by_customer_and_year(None),
            [OrderFigures.customer_id, OrderFigures.year, OrderFigures.orders,
             OrderFigures.amount, OrderFigures.last_order_date]).execute())
    else:
        _insert_figures(_sums_by_customer_and_year(None).iterator())
    _total_figures(None)
    return OrderTotals.select().count()


def _recent_sums(since: dt.date) -> tuple[list[int], int, list[tuple]]:
    """(the customers with orders dated from `since` on, that year, their
    sums from that year on): read only."""
    # Made distinct here: asked for DISTINCT, SQLite reads the whole
    # (customer, ...) index instead of the few days of the date index.
    dated_since = Order.select(Order.customer_id).where(Order.date >= since).tuples()
    changed = sorted({customer_id for (customer_id,) in dated_since})
    # Only the years an order since then can be in are summed again.
    from_year = since.year
    sums = [row for batch in _chunks(changed, BATCH)
            for row in _sums_by_customer_and_year(batch, from_year)]
    return changed, from_year, sums


def _write_recent(changed: list[int], from_year: int, sums: list[tuple]) -> int:
    """Replace the figures of the `changed` customers from `from_year` on
    with `sums`, and their totals."""
    by_customer: dict[int, list[tuple]] = {}
    for row in sums:
        by_customer.setdefault(row[0], []).append(row)
    for batch in _chunks(changed, BATCH):
        (OrderFigures.delete()
         .where(OrderFigures.customer_id.in_(batch) & (OrderFigures.year >= from_year)).execute())
        OrderTotals.delete().where(OrderTotals.customer_id.in_(batch)).execute()
        _insert_figures(row for customer_id in batch for row in by_customer.get(customer_id, ()))
        _total_figures(batch)
    return len(changed)


def _insert_figures(rows: Iterable[tuple]) -> None:
    fields = [OrderFigures.customer_id, OrderFigures.year, OrderFigures.orders,
              OrderFigures.amount, OrderFigures.last_order_date]
    for chunk in _chunks(rows, BATCH):
        OrderFigures.insert_many(chunk, fields=fields).execute()


def _total_figures(customer_ids: list[int] | None) -> None:
    query = (OrderFigures.select(OrderFigures.customer_id, fn.SUM(OrderFigures.orders),
                                 fn.ROUND(fn.SUM(OrderFigures.amount), 2),
                                 fn.MAX(OrderFigures.last_order_date))
             .group_by(OrderFigures.customer_id))
    if customer_ids is not None:
        query = query.where(OrderFigures.customer_id.in_(customer_ids))
    OrderTotals.insert_from(query, [OrderTotals.customer_id, OrderTotals.orders,
                                    OrderTotals.amount, OrderTotals.last_order_date]).execute()


def _chunks(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        yield chunk

"""Order figures per customer: a full refresh sums every counted order, a
recent one the customers with orders dated near or after the last refresh;
the figures say when they were taken."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from crm_tui import clock
from crm_tui.models import order_figures
from crm_tui.models.order_figures import (FULL, RECENT, OrderFigures, OrderFiguresRefresh,
                                          OrderTotals)
from crm_tui.models.sales_system import Order

NOW = dt.datetime(2026, 11, 20, 9, 0)


@pytest.fixture
def frozen(crm_db):
    moment = {"now": NOW}
    clock.set_clock(lambda: moment["now"])
    return moment


def add_order(number: int, customer_id: int, day: dt.date, status: int, amount: str) -> Order:
    return Order.create(number=f"SO{number:06d}", customer_id=customer_id, date=day,
                        status=status, amount=Decimal(amount))


def sums_by_hand() -> tuple[dict, dict]:
    """Per (customer, year) and per customer: [orders, amount, last date]
    of the shipped and paid orders, summed in Python."""
    years, totals = {}, {}
    for order in Order.select():
        if order.status not in (5, 6):
            continue
        for table, key in ((years, (order.customer_id, order.date.year)),
                           (totals, order.customer_id)):
            figures = table.setdefault(key, [0, Decimal(0), order.date])
            figures[0] += 1
            figures[1] += Decimal(order.amount)
            figures[2] = max(figures[2], order.date)
    return years, totals


def stored() -> tuple[dict, dict]:
    years = {(row.customer_id, row.year): [row.orders, Decimal(row.amount).quantize(Decimal("0.01")),
                                          row.last_order_date]
             for row in OrderFigures.select()}
    totals = {row.customer_id: [row.orders, Decimal(row.amount).quantize(Decimal("0.01")),
                                row.last_order_date]
              for row in OrderTotals.select()}
    return years, totals


def some_orders() -> None:
    days = [dt.date(2024, 3, 1), dt.date(2025, 7, 9), dt.date(2025, 12, 31), dt.date(2026, 11, 1)]
    number = 0
    for customer_id in range(1, 8):
        for day in days[: customer_id % 4 + 1]:
            for status in (customer_id % 6 + 1, 5, 6):
                number += 1
                add_order(number, customer_id, day, status, f"{customer_id * 100 + number}.25")


def test_the_first_refresh_sums_every_order(frozen):
    some_orders()
    result = order_figures.refresh(RECENT)
    assert result.kind == FULL  # nothing to go on before the first
    assert stored() == sums_by_hand()
    assert result.customers == 7
    assert order_figures.figures_as_of() == NOW


def test_a_recent_refresh_takes_new_orders_and_recent_changes(frozen):
    some_orders()
    pending = add_order(800, 6, dt.date(2026, 11, 15), 2, "30.00")
    order_figures.refresh(FULL)
    frozen["now"] = NOW + dt.timedelta(hours=2)
    add_order(900, 3, dt.date(2026, 11, 20), 6, "77.00")  # a new order
    add_order(901, 42, dt.date(2026, 11, 19), 5, "12.50")  # a new customer's first
    Order.update(status=5).where(Order.id == pending.id).execute()  # shipped since

    result = order_figures.refresh(RECENT)

    assert result.kind == RECENT
    # Only the customers with orders from a week before the last refresh on.
    assert result.customers == len({o.customer_id for o in Order.select()
                                     .where(Order.date >= dt.date(2026, 11, 13))})
    assert stored() == sums_by_hand()
    assert order_figures.figures_as_of() == NOW + dt.timedelta(hours=2)


def test_an_old_order_changed_waits_for_the_full_refresh(frozen):
    some_orders()
    order_figures.refresh(FULL)
    old = Order.get(Order.customer_id == 2, Order.date == dt.date(2024, 3, 1), Order.status == 5)
    Order.update(status=1).where(Order.id == old.id).execute()  # a shipment taken back

    order_figures.refresh(RECENT)
    assert stored() != sums_by_hand()  # as documented: outside the recent window

    order_figures.refresh(FULL)
    assert stored() == sums_by_hand()


def test_figures_are_refreshed_when_stale_only(frozen):
    assert not order_figures.figures_are_fresh()
    assert order_figures.refresh_if_stale().kind == FULL
    frozen["now"] = NOW + order_figures.FRESH_FOR - dt.timedelta(seconds=1)
    assert order_figures.refresh_if_stale() is None
    frozen["now"] = NOW + order_figures.FRESH_FOR
    assert order_figures.refresh_if_stale().kind == RECENT
    assert OrderFiguresRefresh.select().count() == 2


def test_a_customer_whose_orders_all_went_back_leaves_the_figures(frozen):
    order = add_order(1, 5, dt.date(2026, 11, 18), 6, "10.00")
    order_figures.refresh(FULL)
    assert OrderTotals.get_by_id(5).orders == 1
    Order.update(status=2).where(Order.id == order.id).execute()
    order_figures.refresh(RECENT)
    assert not OrderTotals.select().where(OrderTotals.customer_id == 5).exists()
    assert not OrderFigures.select().where(OrderFigures.customer_id == 5).exists()


def test_many_batches_give_the_same_figures(frozen, monkeypatch):
    some_orders()
    order_figures.refresh(FULL)
    monkeypatch.setattr(order_figures, "BATCH", 2)
    frozen["now"] = NOW + dt.timedelta(days=400)
    for number, customer_id in enumerate(range(1, 8), start=500):
        add_order(number, customer_id, dt.date(2027, 12, 1), 6, "1.10")
    assert order_figures.refresh(RECENT).customers == 7
    assert stored() == sums_by_hand()


def test_a_recent_refresh_sums_before_it_takes_the_write_lock(sqlite_db, tmp_path, monkeypatch):
    """On SQLite every other user's save waits while a refresh holds the
    write lock: the recent orders are summed before it is taken."""
    import sqlite3

    moment = {"now": NOW}
    clock.set_clock(lambda: moment["now"])
    some_orders()
    order_figures.refresh(FULL)
    add_order(900, 3, NOW.date(), 5, "10.00")
    moment["now"] = NOW + dt.timedelta(hours=1)
    real_sums = order_figures._sums_by_customer_and_year
    saved_while_summing = []

    def sums(*args, **kwargs):
        # Another user saves meanwhile, without waiting for any lock.
        other = sqlite3.connect(tmp_path / "crm.sqlite3", timeout=0)
        try:
            other.execute("UPDATE customer SET fax = fax WHERE id = -1")
            other.commit()
            saved_while_summing.append(True)
        except sqlite3.OperationalError as error:  # "database is locked"
            saved_while_summing.append(str(error))
        finally:
            other.close()
        return real_sums(*args, **kwargs)

    monkeypatch.setattr(order_figures, "_sums_by_customer_and_year", sums)
    result = order_figures.refresh(RECENT)
    assert result.kind == RECENT and saved_while_summing == [True]
    assert stored() == sums_by_hand()

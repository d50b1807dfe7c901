"""Per-customer order figures summed from the covering index, never the order rows."""
from __future__ import annotations

import pytest

from crm_tui.db import init_databases
from crm_tui.models.base import is_postgres
from crm_tui import clock
from crm_tui.models import database, order_figures
from crm_tui.models.sales_system import Order

COVERING = "sales_order_customer_id_status_date_amount"


def index_names(db) -> set[str]:
    return {index.name for index in db.get_indexes("sales_order")}


def test_init_replaces_the_older_order_index_with_the_covering_one(crm_db):
    # A database made before: the three-column index, not the covering one.
    crm_db.execute_sql(f"DROP INDEX {COVERING}")
    crm_db.execute_sql("CREATE INDEX sales_order_customer_id_status_date "
                       "ON sales_order (customer_id, status, date)")
    init_databases(crm_db, crm_db)
    names = index_names(crm_db)
    assert COVERING in names and "sales_order_customer_id_status_date" not in names
    init_databases(crm_db, crm_db)  # safe to run again
    assert COVERING in index_names(crm_db)


@pytest.mark.parametrize("kind", ["full", "recent"])
def test_summing_the_order_figures_reads_only_the_covering_index(crm_db, kind):
    if is_postgres(crm_db):
        pytest.skip("the plan asked of SQLite; PostgreSQL chooses by its statistics")
    if kind == "recent":
        order_figures.refresh(order_figures.FULL)  # a recent refresh needs one before
        Order.create(number="SO1", customer_id=7, date=clock.today(), status=6, amount=5)
    statements = []
    real_execute = database.obj.execute_sql

    def recorded(sql, params=None, *args, **kwargs):
        statements.append((sql, params))
        return real_execute(sql, params, *args, **kwargs)

    database.obj.execute_sql = recorded
    try:
        order_figures.refresh(kind)
    finally:
        del database.obj.execute_sql
    sql, params = next((sql, params) for sql, params in statements
                       if "sales_order" in sql and "GROUP BY" in sql)
    plan = " | ".join(row[-1] for row in crm_db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert f"COVERING INDEX {COVERING}" in plan, plan

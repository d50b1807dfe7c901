"""The churn scan under pressure: several processes at once, and a sales
system in a database of its own."""
import datetime as dt
import multiprocessing
import os
from decimal import Decimal

import pytest
from peewee import fn

from crm_tui import clock
from crm_tui.db import open_database
from crm_tui.models import SALES_MODELS, Order, database, sales_database
from crm_tui.models.base import is_postgres
from crm_tui.models.churn import CLOSED, OPEN_STATUSES, WARNING, ChurnAlert, scan
from crm_tui.models.customers import Customer
from crm_tui.models.sales_system import PAID
from tests.conftest import PG_URL, at, make_customer

CUSTOMERS = 3000
WORKERS = 4
MOMENT = dt.datetime(2026, 7, 2, 2, 0)


def _database_spec(db) -> tuple[str, str]:
    """What a fresh process needs to open the same database."""
    if is_postgres(db):
        return "postgres", db.connect_params["options"]
    return "sqlite", db.database


def _open(spec: tuple[str, str]):
    kind, where = spec
    if kind == "postgres":
        from playhouse.db_url import connect

        return connect(PG_URL, options=where)
    return open_database(f"sqlite:///{where}")


def scan_in_another_process(spec, barrier, results) -> None:
    db = _open(spec)
    database.initialize(db)
    sales_database.initialize(db)
    db.connect()
    clock.set_clock(lambda: MOMENT)
    barrier.wait()
    try:
        results.put(("ok", scan(6).added))
    except Exception as error:  # reported to the test, which fails on it
        results.put(("error", repr(error)))
    finally:
        db.close()


def _many_customers(manager, count: int) -> None:
    at(2026, 1, 1)
    first = make_customer(manager)
    rows = [{**first.__data__, "id": None, "number": f"KH{index:010d}"} for index in range(count - 1)]
    for row in rows:
        row.pop("id")
    Customer.insert_many(rows).execute()


def test_scans_from_several_processes_at_once_add_one_alert_per_customer(crm_db, people):
    _many_customers(people.manager, CUSTOMERS)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    processes = [context.Process(target=scan_in_another_process,
                                 args=(_database_spec(crm_db), barrier, results))
                 for _ in range(WORKERS)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert [kind for kind, _ in outcomes] == ["ok"] * WORKERS, outcomes
    # Every customer got exactly one alert, however the work was shared.
    assert sum(added for _, added in outcomes) == CUSTOMERS
    assert ChurnAlert.select().count() == CUSTOMERS
    per_customer = (ChurnAlert.select(ChurnAlert.customer, fn.COUNT(ChurnAlert.id))
                    .group_by(ChurnAlert.customer).having(fn.COUNT(ChurnAlert.id) > 1))
    assert per_customer.count() == 0


@pytest.fixture
def separate_sales(crm_db, tmp_path):
    """The sales system in a SQLite file of its own, beside the CRM's
    database (SQLite, and PostgreSQL when configured)."""
    sales = open_database(f"sqlite:///{tmp_path / 'sales.sqlite3'}")
    sales.connect()
    sales_database.initialize(sales)
    sales.create_tables(SALES_MODELS)
    # The CRM's own database has no orders: a scan reading there would see none.
    yield sales
    sales.close()
    sales_database.initialize(crm_db)


def test_scan_reads_a_separate_sales_database(crm_db, separate_sales, people):
    at(2026, 1, 1)
    active = make_customer(people.manager, name="常下单公司")
    quiet = make_customer(people.manager, name="久未下单公司")
    never = make_customer(people.manager, name="从未下单公司")
    for number, (customer, date, status) in enumerate([
            (active, dt.date(2026, 6, 20), PAID), (active, dt.date(2025, 3, 1), PAID),
            (quiet, dt.date(2025, 11, 5), PAID), (quiet, dt.date(2026, 6, 1), 2)]):
        Order.create(number=f"SO{number}", customer_id=customer.id, date=date, status=status,
                     amount=Decimal("1"))
    assert Order._meta.database.obj is separate_sales
    at(2026, 7, 2)
    result = scan(6)
    assert (result.scanned, result.added) == (3, 2)
    alerts = {a.customer_id: a for a in ChurnAlert.select()}
    assert set(alerts) == {quiet.id, never.id}
    assert alerts[quiet.id].last_order_date == dt.date(2025, 11, 5)
    assert alerts[never.id].last_order_date is None
    assert scan(6).added == 0

    Order.create(number="SO9", customer_id=quiet.id, date=dt.date(2026, 7, 3), status=PAID,
                 amount=Decimal("1"))
    at(2026, 7, 4)
    result = scan(6)
    assert (result.added, result.closed) == (0, 1)
    assert ChurnAlert.get_by_id(alerts[quiet.id].id).status == CLOSED
    assert ChurnAlert.get_by_id(alerts[never.id].id).status == WARNING
    # The scan's working table is gone with its transaction.
    assert not crm_db.table_exists("churn_last_order")


def test_scan_on_a_separate_sales_database_handles_many_customers(crm_db, separate_sales, people):
    # More customers than one batch of the copied last-order dates.
    _many_customers(people.manager, 1200)
    ids = [customer_id for (customer_id,) in Customer.select(Customer.id).tuples()]
    Order.insert_many([{"number": f"SO{i}", "customer_id": customer_id, "status": PAID,
                        "date": dt.date(2026, 6, 1) if i % 2 else dt.date(2025, 1, 1),
                        "amount": Decimal("1")} for i, customer_id in enumerate(ids)]).execute()
    at(2026, 7, 2)
    assert scan(6).added == 600
    assert ChurnAlert.select().where(ChurnAlert.status.in_(OPEN_STATUSES)).count() == 600


@pytest.mark.skipif(os.name != "posix", reason="spawned processes share the file on POSIX")
def test_process_spec_opens_the_same_database(crm_db):
    spec = _database_spec(crm_db)
    other = _open(spec)
    other.connect()
    assert other.table_exists("churn_alert")
    other.close()

"""Report figures checked against the same figures computed here, in plain
Python over the rows the test created: on SQLite and PostgreSQL, in each
role's scope, and with the orders in a separate sales database."""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_tui.db import open_database
from crm_tui.models import SALES_MODELS, database, order_figures, sales_database
from crm_tui.models.order_figures import OrderFigures, OrderTotals
from crm_tui.models import reports
from crm_tui.models.churn import CONFIRMED, DEFERRED, WARNING, ChurnAlert
from crm_tui.models.customers import DELETED, LOST, NORMAL, Customer
from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION, SERVICE_TYPE, DictionaryEntry
from crm_tui.models.errors import PermissionDenied, ValidationError
from crm_tui.models.sales_system import Order
from crm_tui.models.service import Service
from crm_tui.models.users import Role, RolePermission
from crm_tui.models.validation import cents
from tests.conftest import make_customer

NAMES = ["北京远大科技", "上海浦东贸易", "广州天河电子", "深圳南山软件", "杭州西湖茶业",
         "成都锦江物流", "武汉光谷光电", "南京鼓楼医药"]


class Data:
    """What the test wrote, kept as plain Python values for the checks."""

    def __init__(self):
        self.customers = []   # dicts: id, number, name, manager_id, manager, status, level, ...
        self.orders = []      # dicts: customer_id, date, status, amount
        self.services = []    # dicts: customer_id, type, created_at
        self.churns = []      # dicts: alert_id, customer_id, status, lost_date, reason


def build(people, seed: int = 7) -> Data:
    """Customers of two managers in every status, orders of every status over
    three years, services of every type, churn alerts in every state."""
    rng = random.Random(seed)
    data = Data()
    levels = [entry.id for entry in DictionaryEntry.of_type(CUSTOMER_LEVEL)]
    regions = [entry.id for entry in DictionaryEntry.of_type(REGION)]
    types = [entry.id for entry in DictionaryEntry.of_type(SERVICE_TYPE)]
    for index in range(36):
        manager = people.manager if index % 3 else people.other_manager
        customer = make_customer(
            manager, actor=people.admin, name=f"{NAMES[index % len(NAMES)]}{index:02d}有限公司",
            level=rng.choice(levels), region=rng.choice(regions),
            credit=str(rng.randint(1, 5)), satisfaction=str(rng.randint(1, 5)))
        status = NORMAL if index % 9 else (LOST if index % 2 else DELETED)
        if status != NORMAL:
            Customer.update(status=status).where(Customer.id == customer.id).execute()
        data.customers.append({
            "id": customer.id, "number": customer.number, "name": customer.name,
            "manager_id": manager.id, "manager": manager.display_name, "status": status,
            "level": customer.level_id, "credit": customer.credit,
            "satisfaction": customer.satisfaction})
    order_rows = []
    for number in range(600):
        customer = rng.choice(data.customers[:-4])  # the last four have no orders
        row = {"number": f"SO{number:06d}", "customer_id": customer["id"],
               "date": dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(3 * 365)),
               "status": rng.randint(1, 6),
               "amount": Decimal(rng.randrange(1, 10_000_000)) / 100}
        order_rows.append(row)
        data.orders.append(row)
    # An order of a customer the CRM does not know: the sales system may hold such.
    stranger = {"number": "SO999999", "customer_id": 999_999, "date": dt.date(2025, 5, 5),
                "status": 6, "amount": Decimal("5.00")}
    order_rows.append(stranger)
    Order.insert_many(order_rows).execute()
    for index in range(80):
        customer = rng.choice(data.customers)
        created = dt.datetime(2024, 1, 1, 8) + dt.timedelta(hours=rng.randrange(3 * 365 * 24))
        service = Service.create(type=rng.choice(types), summary=f"服务{index}",
                                 customer=customer["id"], request="请求", status="new",
                                 created_by=people.manager.id, created_at=created)
        data.services.append({"customer_id": customer["id"], "type": service.type_id,
                              "created_at": created})
    for index, customer in enumerate(data.customers):
        if index % 4:
            continue
        status = (CONFIRMED, CONFIRMED, WARNING, DEFERRED)[index // 4 % 4]
        lost = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(500)) if status == CONFIRMED else None
        alert = ChurnAlert.create(customer=customer["id"], status=status, lost_date=lost,
                                  reason=f"原因{index}" if lost else "")
        data.churns.append({"alert_id": alert.id, "customer_id": customer["id"],
                            "status": status, "lost_date": lost, "reason": alert.reason})
    return data


def visible(data: Data, user, people) -> list[dict]:
    """The customers `user` may see, by the rule of the SPEC, written out."""
    rows = [c for c in data.customers if c["status"] != DELETED]
    if user.id in (people.manager.id, people.other_manager.id):
        rows = [c for c in rows if c["manager_id"] == user.id]
    return rows


def expected_contribution(data, user, people, name="", year=None):
    customers = {c["id"]: c for c in visible(data, user, people) if name in c["name"]}
    totals, counts = defaultdict(Decimal), Counter()
    for order in data.orders:
        if order["customer_id"] not in customers or order["status"] not in (5, 6):
            continue
        if year is not None and order["date"].year != year:
            continue
        totals[order["customer_id"]] += order["amount"]
        counts[order["customer_id"]] += 1
    rows = [(cid, customers[cid]["number"], customers[cid]["name"], customers[cid]["manager"],
             counts[cid], totals[cid]) for cid in totals]
    return sorted(rows, key=lambda row: (-row[5], row[0]))


@pytest.fixture
def data(crm_db, people, snapshots):
    # Seeded: the same rows every time, so built once and copied for each test.
    def build_and_sum():
        rows = build(people)
        order_figures.refresh(order_figures.FULL)
        return rows
    return snapshots.restore_or_build(crm_db, "reports", build_and_sum)


@pytest.fixture
def separate_sales(crm_db, tmp_path):
    """Move the orders into a sales database of their own (another SQLite file)."""
    orders = list(Order.select().dicts())
    sales_db = open_database(f"sqlite:///{tmp_path / 'sales.sqlite3'}")
    sales_database.initialize(sales_db)
    sales_db.connect()
    sales_db.create_tables(SALES_MODELS)
    Order.insert_many(orders).execute()
    # The CRM's own copies are emptied, so a report that read them would be wrong.
    with crm_db.bind_ctx([Order]):
        Order.delete().execute()
    OrderFigures.delete().execute()
    OrderTotals.delete().execute()
    assert sales_database.obj is not database.obj
    order_figures.refresh(order_figures.FULL)
    yield sales_db
    sales_db.close()


ROLES = ["admin", "executive", "supervisor", "manager", "other_manager"]


@pytest.mark.parametrize("role", ROLES)
def test_contribution_matches_the_orders_in_each_scope(data, people, role):
    user = getattr(people, role)
    assert sales_database.obj is database.obj
    expected = expected_contribution(data, user, people)
    assert expected, "the data must give every scope something to sum"
    assert [tuple(row) for row in reports.contribution(user)] == expected


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_contribution_with_orders_in_a_separate_database(data, separate_sales, people, role):
    user = getattr(people, role)
    expected = expected_contribution(data, user, people)
    assert [tuple(row) for row in reports.contribution(user)] == expected
    assert [tuple(row) for row in reports.contribution(user, limit=5)] == expected[:5]
    assert [tuple(row) for row in reports.contribution(user, name="远大", year=2025)] == \
        expected_contribution(data, user, people, name="远大", year=2025)


def test_separate_database_in_many_batches(data, separate_sales, people, monkeypatch):
    # Batches of three rows: the figures are read and written in many batches.
    monkeypatch.setattr(order_figures, "BATCH", 3)
    order_figures.refresh(order_figures.FULL)
    expected = expected_contribution(data, people.admin, people)
    assert [tuple(row) for row in reports.contribution(people.admin)] == expected
    assert [tuple(row) for row in reports.contribution(people.admin, limit=7)] == expected[:7]
    assert reports.contribution_summary(people.admin) == (
        len(expected), sum(row[5] for row in expected))


@pytest.mark.parametrize("name,year", [("远大", None), ("", 2025), ("上海", 2024), ("没有", None)])
def test_contribution_filters(data, people, name, year):
    expected = expected_contribution(data, people.supervisor, people, name, year)
    assert [tuple(row) for row in reports.contribution(people.supervisor, name, year)] == expected
    assert reports.contribution_summary(people.supervisor, name, year) == (
        len(expected), sum((row[5] for row in expected), Decimal("0.00")))


def test_contribution_limit_keeps_the_biggest(data, people):
    expected = expected_contribution(data, people.executive, people)
    top = reports.contribution(people.executive, limit=3)
    assert [tuple(row) for row in top] == expected[:3]
    assert top[0].amount >= top[1].amount >= top[2].amount


@pytest.mark.parametrize("dimension", reports.DIMENSIONS)
@pytest.mark.parametrize("role", ["executive", "manager"])
def test_composition_counts_each_category(data, people, dimension, role):
    user = getattr(people, role)
    counted = Counter(c[dimension] for c in visible(data, user, people) if c["status"] == NORMAL)
    rows = reports.composition(user, dimension)
    assert {row.key: row.count for row in rows} == {
        row.key: counted.get(row.key, 0) for row in rows}
    assert sum(row.count for row in rows) == sum(counted.values())
    if dimension == "level":
        assert [row.label for row in rows] == [e.item for e in DictionaryEntry.of_type(CUSTOMER_LEVEL)]
    else:
        assert [row.label for row in rows] == ["1", "2", "3", "4", "5"]


def test_composition_refuses_an_unknown_dimension(data, people):
    with pytest.raises(ValidationError):
        reports.composition(people.admin, "postcode")


def _expected_services(data, user, people, first=None, last=None):
    ids = {c["id"] for c in visible(data, user, people)}
    return Counter(s["type"] for s in data.services if s["customer_id"] in ids
                   and (first is None or s["created_at"].date() >= first)
                   and (last is None or s["created_at"].date() <= last))


@pytest.mark.parametrize("role", ["supervisor", "manager", "other_manager"])
@pytest.mark.parametrize("first,last", [(None, None), (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
                                        (dt.date(2024, 3, 15), dt.date(2024, 9, 30)),
                                        (dt.date(2026, 6, 1), None)])
def test_service_composition_by_type_and_dates(data, people, role, first, last):
    user = getattr(people, role)
    expected = _expected_services(data, user, people, first, last)
    rows = reports.service_composition(user, first, last)
    assert [row.label for row in rows] == [e.item for e in DictionaryEntry.of_type(SERVICE_TYPE)]
    assert {row.key: row.count for row in rows} == {row.key: expected.get(row.key, 0) for row in rows}


def test_service_composition_year_and_reversed_dates(data, people):
    first, last = reports.year_range(2025)
    expected = _expected_services(data, people.admin, people, first, last)
    assert sum(row.count for row in reports.service_composition(people.admin, first, last)) == \
        sum(expected.values()) > 0
    with pytest.raises(ValidationError):
        reports.service_composition(people.admin, dt.date(2025, 2, 1), dt.date(2025, 1, 1))


def _expected_churns(data, user, people, text="", manager_id=None):
    customers = {c["id"]: c for c in visible(data, user, people)}
    rows = []
    for churn in data.churns:
        customer = customers.get(churn["customer_id"])
        if churn["status"] != CONFIRMED or customer is None:
            continue
        if text and text not in customer["name"] and text not in customer["number"]:
            continue
        if manager_id is not None and customer["manager_id"] != manager_id:
            continue
        rows.append((churn["alert_id"], churn["lost_date"], customer["number"], customer["name"],
                     customer["manager"], churn["reason"]))
    return sorted(rows, key=lambda row: (row[1], row[0]), reverse=True)


@pytest.mark.parametrize("role", ["executive", "manager"])
def test_churn_analysis_lists_confirmed_churns(data, people, role):
    user = getattr(people, role)
    expected = _expected_churns(data, user, people)
    assert expected
    assert [tuple(row) for row in reports.churn(user)] == expected
    months = Counter(row[1].strftime("%Y-%m") for row in expected)
    by_month = [(row.label, row.count) for row in reports.churn_by_month(user)]
    assert [(label, count) for label, count in by_month if count] == sorted(months.items())
    # The months between are there too, so the chart's axis is time.
    labels = [label for label, _ in by_month]
    assert labels[0] == min(months) and labels[-1] == max(months)
    assert all(dt.date.fromisoformat(b + "-01") - dt.date.fromisoformat(a + "-01")
               <= dt.timedelta(days=31) for a, b in zip(labels, labels[1:]))


def test_churn_analysis_filters_by_customer_and_manager(data, people):
    user = people.supervisor
    for text, manager in [("远大", None), ("", people.other_manager.id),
                          ("有限公司", people.manager.id), ("KH", None)]:
        assert [tuple(row) for row in reports.churn(user, text, manager)] == \
            _expected_churns(data, user, people, text, manager)
    managers = {row[4] for row in _expected_churns(data, user, people)}
    assert {name for _, name in reports.churn_managers(user)} == managers


def test_reports_need_report_view(data, people):
    manager_role = Role.get(Role.key == "manager")
    from crm_tui.models.users import Permission
    RolePermission.delete().where(
        (RolePermission.role == manager_role)
        & (RolePermission.permission == Permission.get(Permission.code == "report.view"))).execute()
    calls = [lambda: reports.contribution(people.manager),
             lambda: reports.composition(people.manager, "level"),
             lambda: reports.service_composition(people.manager),
             lambda: reports.churn(people.manager),
             lambda: reports.churn_by_month(people.manager),
             lambda: reports.order_figures_to_wait_for(people.manager)]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert reports.contribution(people.supervisor)


@given(st.lists(st.integers(min_value=-10**10, max_value=10**10), min_size=1, max_size=40))
def test_an_amount_summed_as_floating_point_reads_back_to_the_cent(amounts_in_cents):
    """SQLite sums decimal columns as floating point; `cents` must read such a
    sum back as the exact total of the cent amounts, as the text of the
    float would give it."""
    total = sum(amount / 100 for amount in amounts_in_cents)
    exact = Decimal(sum(amounts_in_cents)) / 100
    assert cents(total) == exact
    assert cents(total) == Decimal(str(total)).quantize(Decimal("0.01"))
    # PostgreSQL sums numeric columns exactly, as Decimal.
    assert cents(exact) == exact and str(cents(exact)) == str(exact.quantize(Decimal("0.01")))


def test_a_report_waits_only_for_figures_never_summed(crm_db, people, monkeypatch):
    """No figures yet: the report waits for them; stale ones are shown as
    they are (and summed again afterwards); fresh ones are simply read."""
    build(people)
    assert reports.order_figures_to_wait_for(people.executive) is True
    order_figures.refresh(order_figures.FULL)
    assert reports.order_figures_to_wait_for(people.executive) is None
    later = order_figures.figures_as_of() + order_figures.FRESH_FOR * 2
    monkeypatch.setattr(order_figures.clock, "now", lambda: later)
    assert reports.order_figures_to_wait_for(people.executive) is False

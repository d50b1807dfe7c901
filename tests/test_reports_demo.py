"""Every report over the demo company's data, checked against figures
computed here in plain Python from the rows themselves (read whole, then
counted and summed by hand), for every demo account's scope, on SQLite and
PostgreSQL."""
from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from crm_tui.demo import DEMO_ACCOUNTS, DemoCompany
from crm_tui.models import reports
from crm_tui.models.churn import ChurnAlert
from crm_tui.models.customers import Customer
from crm_tui.models.dictionary import CUSTOMER_LEVEL, DictionaryEntry
from crm_tui.models.sales_system import Order
from crm_tui.models.service import Service
from crm_tui.models.users import User
from tests.conftest import at


@pytest.fixture
def demo(crm_db, snapshots):
    at(2026, 11, 24)
    # The same seed builds the same company: built once, copied for each login.
    snapshots.restore_or_build(
        crm_db, "demo", DemoCompany(seed=2024, progress=lambda message: None).build)
    users = {login: User.get(User.login == login) for login, *_ in DEMO_ACCOUNTS}
    customers = [row for row in Customer.select().dicts()]
    managers = {user.id: user.display_name for user in User.select()}
    return users, customers, managers


def in_scope(user, customers):
    """The SPEC's rule, written out: managers their own, the others all; never deleted."""
    rows = [c for c in customers if c["status"] != "deleted"]
    if user.role.key == "manager":
        rows = [c for c in rows if c["manager"] == user.id]
    return rows


LOGINS = [login for login, *_ in DEMO_ACCOUNTS]


@pytest.mark.parametrize("login", LOGINS)
def test_every_report_matches_the_demo_rows(demo, login):
    users, customers, managers = demo
    user = users[login]
    scope = {c["id"]: c for c in in_scope(user, customers)}
    assert scope, "every demo account sees some customers"

    # 4.1 contribution, all years and the last full year
    orders = list(Order.select().dicts())
    for year in (None, 2025):
        totals, counts = defaultdict(Decimal), Counter()
        for order in orders:
            if order["customer_id"] in scope and order["status"] in (5, 6) \
                    and (year is None or order["date"].year == year):
                totals[order["customer_id"]] += Decimal(str(order["amount"]))
                counts[order["customer_id"]] += 1
        expected = sorted(((cid, scope[cid]["number"], scope[cid]["name"],
                            managers[scope[cid]["manager"]], counts[cid],
                            totals[cid].quantize(Decimal("0.01"))) for cid in totals),
                          key=lambda row: (-row[5], row[0]))
        assert expected
        assert [tuple(row) for row in reports.contribution(user, year=year)] == expected

    # 4.2 composition, each dimension
    normal = [c for c in scope.values() if c["status"] == "normal"]
    levels = {entry.id: entry.item for entry in DictionaryEntry.of_type(CUSTOMER_LEVEL)}
    by_level = Counter(levels[c["level"]] for c in normal)
    assert {row.label: row.count for row in reports.composition(user, "level")} == \
        {item: by_level.get(item, 0) for item in levels.values()}
    for dimension in ("credit", "satisfaction"):
        counted = Counter(str(c[dimension]) for c in normal)
        assert {row.label: row.count for row in reports.composition(user, dimension)} == \
            {str(score): counted.get(str(score), 0) for score in range(1, 6)}

    # 4.3 service composition, all dates and one year
    services = [s for s in Service.select().dicts() if s["customer"] in scope]
    for first, last in ((None, None), reports.year_range(2026)):
        counted = Counter(s["type"] for s in services
                          if first is None or first <= s["created_at"].date() <= last)
        assert {row.key: row.count for row in reports.service_composition(user, first, last)
                if row.count} == dict(counted)

    # 4.4 churn analysis
    confirmed = [a for a in ChurnAlert.select().dicts()
                 if a["status"] == "confirmed" and a["customer"] in scope]
    expected = sorted(((a["id"], a["lost_date"], scope[a["customer"]]["number"],
                        scope[a["customer"]]["name"], managers[scope[a["customer"]]["manager"]],
                        a["reason"]) for a in confirmed),
                      key=lambda row: (row[1], row[0]), reverse=True)
    assert [tuple(row) for row in reports.churn(user)] == expected
    if user.role.key != "manager":
        assert expected, "the demo has confirmed churns"

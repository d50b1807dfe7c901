"""Funnel, forecast and performance figures checked against the same
figures computed here in plain Python over the rows the test wrote, on
SQLite and PostgreSQL, in the scope of an account manager and of a
supervisor, with the period and manager filters."""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest

from crm_tui.models import funnel as reports
from crm_tui.models.contracts import PAYMENT_METHOD, Contract, Instalment, Payment
from crm_tui.models.customers import DELETED, Customer, Interaction
from crm_tui.models.errors import PermissionDenied, ValidationError
from crm_tui.models.funnel import Target
from crm_tui.models.sales import (ASSIGNED, FAILED, OPPORTUNITY_STATUSES, SUCCEEDED, UNASSIGNED,
                                  Opportunity, stages)
from crm_tui.models.users import Role, RolePermission
from tests.conftest import entry, make_customer

CENT = Decimal("0.01")
YEAR = 2026


class Data:
    def __init__(self):
        self.opportunities = []  # dicts as written
        self.targets = []        # dicts: manager, month (date), amount ...
        self.contracts = []      # dicts: manager, sign_date, amount, status
        self.payments = []       # dicts: manager, date, amount
        self.customers = []      # dicts: manager, created_at, status
        self.interactions = []   # dicts: created_by, date


def build(people, seed: int = 11) -> Data:
    rng = random.Random(seed)
    data = Data()
    stage_ids = [stage.id for stage in stages()]
    managers = [people.manager, people.other_manager]
    rows = []
    for index in range(160):
        status = rng.choice(OPPORTUNITY_STATUSES)
        creator = rng.choice([people.manager, people.other_manager, people.supervisor])
        assignee = None if status == UNASSIGNED else rng.choice(managers)
        amount = None if index % 9 == 0 else Decimal(rng.randrange(0, 5_000_000)) / 100
        close = None if index % 13 == 0 else dt.date(YEAR - 1, 11, 1) + dt.timedelta(
            days=rng.randrange(500))
        row = {"source": "", "customer_name": f"客户{index}", "summary": "概要",
               "description": "描述", "success_rate": rng.randint(0, 100),
               "created_by": creator.id, "assigned_to": assignee.id if assignee else None,
               "status": status,
               "created_at": dt.datetime(YEAR - 1, 6, 1) + dt.timedelta(hours=rng.randrange(
                   24 * 540)),
               "stage": rng.choice(stage_ids + [None]) if index % 17 == 0 else rng.choice(
                   stage_ids),
               "expected_amount": amount, "expected_close": close}
        rows.append(row)
    Opportunity.insert_many(rows).execute()
    data.opportunities = rows
    for manager in managers:
        for month in (1, 2, 5, 12):
            values = {"manager": manager.id, "month": f"{YEAR}-{month:02d}",
                      "amount": str(rng.randrange(100_000, 900_000)),
                      "payments": str(rng.randrange(50_000, 500_000)),
                      "new_customers": str(rng.randrange(1, 9)),
                      "interactions": str(rng.randrange(5, 50))}
            Target.set_by_user(people.supervisor, values)
            data.targets.append({"manager": manager.id, "month": dt.date(YEAR, month, 1),
                                 "amount": Decimal(values["amount"])})
    method = entry(PAYMENT_METHOD).id
    for index in range(24):
        manager = managers[index % 2]
        customer = make_customer(manager, actor=people.admin, name=f"业绩客户{index}有限公司")
        created = dt.datetime(YEAR - 1, 12, 1) + dt.timedelta(hours=rng.randrange(24 * 300))
        status = DELETED if index % 7 == 0 else "normal"
        Customer.update(created_at=created, status=status).where(
            Customer.id == customer.id).execute()
        data.customers.append({"manager": manager.id, "created_at": created, "status": status})
        contract_status = rng.choice(["draft", "in_force", "completed", "terminated"])
        sign = dt.date(YEAR - 1, 12, 15) + dt.timedelta(days=rng.randrange(300))
        amount = Decimal(rng.randrange(1_000_000, 90_000_000)) / 100
        contract = Contract.create(number=f"HT{index:04d}", title="合同", customer=customer.id,
                                   amount=amount, start_date=sign, end_date=sign,
                                   sign_date=None if contract_status == "draft" else sign,
                                   status=contract_status, created_by=manager.id)
        data.contracts.append({"manager": manager.id, "sign_date": contract.sign_date,
                               "amount": amount, "status": contract_status})
        instalment = Instalment.create(contract=contract.id, due_date=sign, amount=amount)
        for _ in range(rng.randrange(3)):
            paid_on = sign + dt.timedelta(days=rng.randrange(60))
            paid = Decimal(rng.randrange(1, 1_000_000)) / 100
            Payment.create(contract=contract.id, instalment=instalment.id, date=paid_on,
                           amount=paid, method=method)
            data.payments.append({"manager": manager.id, "date": paid_on, "amount": paid})
        for _ in range(rng.randrange(4)):
            logger = rng.choice(managers + [people.supervisor])
            day = dt.date(YEAR - 1, 12, 20) + dt.timedelta(days=rng.randrange(200))
            Interaction.create(customer=customer.id, date=day, place="电话", summary="回访",
                               created_by=logger.id)
            data.interactions.append({"created_by": logger.id, "date": day})
    return data


def sees(user, people, row) -> bool:
    if user.id in (people.supervisor.id, people.executive.id, people.admin.id):
        return True
    return user.id in (row["created_by"], row["assigned_to"])


def month_of(day) -> str:
    return f"{day.year:04d}-{day.month:02d}"


# ----- funnel ---------------------------------------------------------------------

def expected_funnel(data, user, people, first=None, last=None, manager=None):
    steps = [stage.id for stage in stages()]
    rows = [row for row in data.opportunities if sees(user, people, row)
            and (first is None or row["created_at"].date() >= first)
            and (last is None or row["created_at"].date() <= last)
            and (manager is None or row["assigned_to"] == manager)]
    won_step = len(steps)

    def step(row):
        if row["status"] == SUCCEEDED:
            return won_step
        return steps.index(row["stage"]) if row["stage"] in steps else 0

    result = []
    for index in range(won_step + 1):
        here = [row for row in rows if step(row) == index and row["status"] != FAILED]
        reached = sum(1 for row in rows if step(row) >= index)
        following = sum(1 for row in rows if step(row) >= index + 1)
        conversion = None
        if index < won_step and reached:
            conversion = (Decimal(100 * following) / reached).quantize(Decimal("0.1"))
        amount = sum((row["expected_amount"] or Decimal(0) for row in here), Decimal(0))
        result.append((len(here), amount.quantize(CENT), reached, conversion))
    failed = sum(1 for row in rows if row["status"] == FAILED)
    return result, len(rows), failed


@pytest.mark.parametrize("who", ["manager", "supervisor"])
def test_funnel_figures(crm_db, people, who):
    data = build(people)
    user = getattr(people, who)
    for first, last, manager in [(None, None, None),
                                 (dt.date(YEAR, 1, 1), dt.date(YEAR, 6, 30), None),
                                 (None, dt.date(YEAR - 1, 12, 31), people.manager.id),
                                 (dt.date(YEAR, 2, 1), None, people.other_manager.id)]:
        found = reports.funnel(user, first, last, manager)
        expected, total, failed = expected_funnel(data, user, people, first, last, manager)
        assert [(row.now, row.amount, row.reached, row.conversion) for row in found.rows] \
            == expected
        assert (found.total, found.failed) == (total, failed)
        # The funnel narrows: each step reached by no more than the one before.
        reached = [row.reached for row in found.rows]
        assert reached == sorted(reached, reverse=True)
    assert [row.label for row in found.rows][:4] == ["初步接洽", "需求确认", "方案报价", "谈判审核"]


def test_funnel_dates_must_be_in_order(crm_db, people):
    with pytest.raises(ValidationError):
        reports.funnel(people.supervisor, dt.date(YEAR, 5, 1), dt.date(YEAR, 4, 1))


# ----- forecast ----------------------------------------------------------------

def window(first: dt.date) -> list[str]:
    """The twelve months from `first`'s, as YYYY-MM."""
    labels = []
    year, month = first.year, first.month
    for _ in range(12):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return labels


def expected_forecast(data, user, people, first, manager=None):
    months = {label: [0, Decimal(0), Decimal(0)] for label in window(first)}
    for row in data.opportunities:
        close = row["expected_close"]
        if (row["status"] in (UNASSIGNED, ASSIGNED) and close and month_of(close) in months
                and sees(user, people, row)
                and (manager is None or row["assigned_to"] == manager)):
            figures = months[month_of(close)]
            figures[0] += 1
            amount = row["expected_amount"] or Decimal(0)
            figures[1] += amount
            figures[2] += amount * row["success_rate"] / 100
    targets = defaultdict(Decimal)
    for target in data.targets:
        if month_of(target["month"]) not in months:
            continue
        if ((user.id == target["manager"] or user.id == people.supervisor.id)
                and (manager is None or target["manager"] == manager)):
            targets[month_of(target["month"])] += target["amount"]
    return [(label, count, expected.quantize(CENT),
             weighted.quantize(CENT, rounding=ROUND_HALF_UP), targets.get(label))
            for label, (count, expected, weighted) in months.items()]


@pytest.mark.parametrize("who", ["manager", "supervisor"])
def test_forecast_figures(crm_db, people, who):
    data = build(people)
    user = getattr(people, who)
    for first, manager in [(dt.date(YEAR, 1, 1), None), (dt.date(YEAR - 1, 9, 17), None),
                           (dt.date(YEAR, 5, 1), people.manager.id),
                           (dt.date(YEAR, 1, 31), people.other_manager.id)]:
        found = reports.forecast(user, first, manager)
        assert [tuple(row) for row in found] == expected_forecast(data, user, people, first,
                                                                  manager)
    everything = reports.forecast(user, dt.date(YEAR, 1, 1))
    assert any(row.count for row in everything) and any(row.target for row in everything)


def test_forecast_shows_a_new_opportunity_weighted(crm_db, people):
    from tests.test_opportunities import new_opportunity

    before = {row.month: row for row in reports.forecast(people.manager, dt.date(YEAR, 1, 1))}
    new_opportunity(people.manager, expected_amount="80000", expected_close=f"{YEAR}-07-20",
                    success_rate="35")
    after = {row.month: row for row in reports.forecast(people.manager, dt.date(YEAR, 1, 1))}
    assert after[f"{YEAR}-07"].weighted - before[f"{YEAR}-07"].weighted == Decimal("28000.00")
    assert after[f"{YEAR}-07"].expected == Decimal("80000.00")


# ----- performance --------------------------------------------------------------

def expected_performance(data, user, people, manager=None):
    allowed = ({people.manager.id, people.other_manager.id, people.supervisor.id}
               if user.id == people.supervisor.id else {user.id})
    if manager is not None:
        allowed &= {manager}
    rows = defaultdict(lambda: [0, Decimal(0), Decimal(0), 0, 0, None])
    for contract in data.contracts:
        if (contract["manager"] in allowed and contract["status"] != "draft"
                and contract["sign_date"].year == YEAR):
            row = rows[(contract["manager"], month_of(contract["sign_date"]))]
            row[0] += 1
            row[1] += contract["amount"]
    for payment in data.payments:
        if payment["manager"] in allowed and payment["date"].year == YEAR:
            rows[(payment["manager"], month_of(payment["date"]))][2] += payment["amount"]
    for customer in data.customers:
        if (customer["manager"] in allowed and customer["status"] != DELETED
                and customer["created_at"].year == YEAR):
            rows[(customer["manager"], month_of(customer["created_at"]))][3] += 1
    for interaction in data.interactions:
        if interaction["created_by"] in allowed and interaction["date"].year == YEAR:
            rows[(interaction["created_by"], month_of(interaction["date"]))][4] += 1
    for target in data.targets:
        if target["manager"] in allowed:
            rows[(target["manager"], month_of(target["month"]))][5] = target["amount"]
    return {key: (count, signed.quantize(CENT), paid.quantize(CENT), new, logged, target)
            for key, (count, signed, paid, new, logged, target) in rows.items()}


@pytest.mark.parametrize("who", ["manager", "supervisor"])
def test_performance_figures(crm_db, people, who):
    data = build(people)
    user = getattr(people, who)
    for manager in (None, people.manager.id, people.other_manager.id):
        found = reports.performance(user, YEAR, manager)
        shown = {(row.manager_id, row.month): (
            row.contracts, row.signed, row.payments, row.new_customers, row.interactions,
            Decimal(row.target.amount) if row.target else None) for row in found}
        assert shown == expected_performance(data, user, people, manager)
        assert [(row.month, row.manager) for row in found] == sorted(
            (row.month, row.manager) for row in found)
    if who == "manager":
        assert {row.manager_id for row in reports.performance(user, YEAR)} == {user.id}


def test_reports_need_the_report_right(crm_db, people):
    manager_role = Role.get(Role.key == "manager")
    RolePermission.delete().where(RolePermission.role == manager_role).execute()
    for call in (lambda: reports.funnel(people.manager),
                 lambda: reports.forecast(people.manager, dt.date(YEAR, 1, 1)),
                 lambda: reports.performance(people.manager, YEAR)):
        with pytest.raises(PermissionDenied):
            call()

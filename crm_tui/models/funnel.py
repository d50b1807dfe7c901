"""Sales funnel, forecast and performance (M15: 销售漏斗分析, 销售额预测,
销售业绩分析), and the targets (业绩目标) they are measured against.

- A target is one account manager's goal for one month: the amount of
  contracts to sign, and optionally payments to receive, new customers and
  interactions to log. Only those with target.set (supervisors,
  executives, the administrator) set, change or delete them; an account
  manager reads their own.
- Funnel: the opportunities created in a period, per stage: how many stand
  there now and their expected amount, how many reached it (an opportunity
  at a later stage, or won, passed through it) and the share of those that
  went on to the next stage; the last step is 开发成功.
- Forecast: open opportunities by month of expected close, twelve months
  from a given one: the expected amount, the weighted amount (expected
  amount × success rate) and the months' targets.
- Performance: per manager and month, contracts signed, payments received,
  new customers and interactions logged, beside the targets.

Every figure is a GROUP BY in the database over the user's scope; Python
only merges the few grouped rows. Amounts are summed as whole cents
(integers), so SQLite's floating point never loses a cent.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from peewee import (Cast, DateField, DateTimeField, DecimalField, ForeignKeyField, IntegerField,
                    IntegrityError, fn)

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.base import BaseModel, database
from crm_tui.models.contracts import SIGNED, Contract, Payment
from crm_tui.models.customers import DELETED, Customer, Interaction, active_manager, manager_choices
from crm_tui.models.dictionary import stage_rate
from crm_tui.models.errors import ValidationError
from crm_tui.models.kinds import Action, Column, RecordKind, money, register
from crm_tui.models.reports import year_month, year_range
from crm_tui.models.sales import ASSIGNED, FAILED, SUCCEEDED, UNASSIGNED, Opportunity, stages
from crm_tui.models.users import MANAGER, Role, User, require, scoped
from crm_tui.models.validation import Field, clean
from crm_tui.models.workflow import Visible, delete_as_read, update_as_read

CENTS = Decimal(100)
OPEN = (UNASSIGNED, ASSIGNED)


# ----- targets (业绩目标) ---------------------------------------------------

def parse_month(value: Any) -> dt.date:
    """"2026-03" (or a date) as the first day of that month."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value or "").strip()
    try:
        year, month = (int(part) for part in text.split("-"))
        return dt.date(year, month, 1)
    except (TypeError, ValueError):
        raise ValidationError({"month": t("target.error.month")}) from None


def month_text(value: dt.date | None) -> str:
    return value.strftime("%Y-%m") if value else ""


TARGET_FIGURE_FIELDS = (
    Field("amount", "target.amount", kind="decimal", required=True, minimum=0),
    Field("payments", "target.payments", kind="decimal", minimum=0),
    Field("new_customers", "target.new_customers", kind="int", minimum=0, maximum=100000),
    Field("interactions", "target.interactions", kind="int", minimum=0, maximum=100000),
)
TARGET_FIELDS = (
    Field("manager", "target.manager", kind="choice", required=True, choices=manager_choices),
    Field("month", "target.month", required=True, max_length=7),
    *TARGET_FIGURE_FIELDS,
)


class Target(Visible, BaseModel):
    manager = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    # The first day of the month the target is for.
    month = DateField()
    amount = DecimalField(max_digits=14, decimal_places=2)
    payments = DecimalField(max_digits=14, decimal_places=2, null=True)
    new_customers = IntegerField(null=True)
    interactions = IntegerField(null=True)
    set_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    set_at = DateTimeField(default=clock.now)
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("manager", "month"), True), (("month",), False))

    def __str__(self) -> str:
        return f"{month_text(self.month)}"

    @classmethod
    def visible_to(cls, user: User | None):
        """Every target for those who set them; an account manager's own."""
        return scoped(cls.select(), user, perm.TARGET_SET, {perm.REPORT_VIEW},
                      lambda own: cls.manager == own.id)

    @classmethod
    def set_by_user(cls, actor: User, values: dict[str, Any]) -> "Target":
        """A new target for an active account manager and a month that has none."""
        require(actor, perm.TARGET_SET)
        data = clean(TARGET_FIELDS, values)
        data["manager"] = active_manager(data["manager"]).id
        data["month"] = parse_month(data["month"])
        try:
            with database.atomic():
                if cls.select().where((cls.manager == data["manager"])
                                      & (cls.month == data["month"])).exists():
                    raise ValidationError({"month": t("target.error.exists")})
                target = cls.create(set_by=actor.id, set_at=clock.now(), **data)
                audit.record(actor, "target", target.id, audit.CREATE,
                             {name: (None, value) for name, value in data.items()})
        except IntegrityError:  # set by someone else at the same moment
            raise ValidationError({"month": t("target.error.exists")}) from None
        return target

    def update_by(self, actor: User, values: dict[str, Any]) -> "Target":
        """Change the figures; the manager and the month stay."""
        require(actor, perm.TARGET_SET)
        data = clean(TARGET_FIGURE_FIELDS, values, partial=True)
        with database.atomic():
            changes = audit.diff(self, data)
            update_as_read(self, {**data, "set_by": actor.id, "set_at": clock.now()})
            audit.record(actor, "target", self.id, audit.UPDATE, changes)
        return Target.get_by_id(self.id)

    def delete_by(self, actor: User) -> None:
        require(actor, perm.TARGET_SET)
        with database.atomic():
            delete_as_read(self)
            audit.record(actor, "target", self.id, audit.DELETE,
                         {"amount": (self.amount, None)})


def _targets_query(user: User, search: str, _within: dict[str, Any]):
    query = (Target.visible_to(user)
             .select(Target, User.display_name.alias("manager_name"))
             .join_from(Target, User, on=(Target.manager == User.id))
             .order_by(Target.month.desc(), User.display_name))
    if search.strip():
        query = query.where(User.display_name.contains(search.strip()))
    return query.objects()


def _count_text(value: Any) -> str:
    return "" if value is None else f"{value:,}"


def _target_rows(target: Target) -> list[tuple[str, Any]]:
    manager = User.get_by_id(target.manager_id)
    setter = User.get_or_none(User.id == target.set_by_id)
    return [
        ("target.manager", manager.display_name),
        ("target.month", month_text(target.month)),
        ("target.amount", money(target.amount)),
        ("target.payments", money(target.payments)),
        ("target.new_customers", _count_text(target.new_customers)),
        ("target.interactions", _count_text(target.interactions)),
        ("target.set_by", f"{setter.display_name if setter else ''}  "
                          f"{target.set_at:%Y-%m-%d %H:%M}"),
    ]


def _may_set(actor: User) -> None:
    require(actor, perm.TARGET_SET)


TARGET = register(RecordKind(
    name="target", title="target.title", opens="target",
    columns=[
        Column("month", "report.column.month", 7, Target.month, format=month_text),
        Column("manager_name", "target.manager", 10, User.display_name),
        Column("amount", "target.amount", 16, Target.amount, format=money),
        Column("payments", "target.payments", 16, Target.payments, format=money),
        Column("new_customers", "target.column.new_customers", 8, Target.new_customers,
               format=_count_text),
        Column("interactions", "target.column.interactions", 8, Target.interactions,
               format=_count_text),
    ],
    query=_targets_query, get=Target.get_visible,
    words=lambda target: {"month": month_text(target.month),
                          "manager": User.get_by_id(target.manager_id).display_name},
    heading=lambda target: t("target.heading", month=month_text(target.month),
                             manager=User.get_by_id(target.manager_id).display_name),
    rows=_target_rows,
    actions=[
        Action("new", "n", "target.action.new", on_row=False,
               check=lambda _parent, actor: _may_set(actor),
               form=lambda _parent, _actor: TARGET_FIELDS,
               prefill=lambda _parent, _actor: {"month": month_text(clock.today())},
               title="target.new_title", done="target.saved",
               run=lambda _parent, actor, values: Target.set_by_user(actor, values)),
        Action("edit", "e", "target.action.edit",
               check=lambda _target, actor: _may_set(actor),
               form=lambda _target, _actor: TARGET_FIGURE_FIELDS,
               prefill=lambda target, _actor: {field.name: getattr(target, field.name)
                                               for field in TARGET_FIGURE_FIELDS},
               title="target.edit_title", done="target.saved",
               run=lambda target, actor, values: target.update_by(actor, values)),
        Action("delete", "d", "target.action.delete", leaves=True,
               check=lambda _target, actor: _may_set(actor),
               ask="target.delete_question", done="target.deleted",
               run=lambda target, actor, _values: target.delete_by(actor)),
    ],
))


# ----- shared pieces of the reports ---------------------------------------

def _cents(column):
    """A money column as whole cents, summed exactly on both databases."""
    return fn.SUM(Cast(fn.ROUND(column * 100), "BIGINT"))


def _amount(cents: Any) -> Decimal:
    return (Decimal(int(cents or 0)) / CENTS).quantize(Decimal("0.01"))


def _datetime_range(year: int) -> tuple[dt.datetime, dt.datetime]:
    first, last = year_range(year)
    return dt.datetime.combine(first, dt.time.min), dt.datetime.combine(
        last + dt.timedelta(days=1), dt.time.min)


def managers_in_scope(user: User) -> list[int] | None:
    """Whose figures `user` may read: None for everyone's (who sees every
    customer), else only their own."""
    granted = user.permissions()
    if perm.CUSTOMER_VIEW_ALL in granted:
        return None
    return [user.id]


def _only(query, column, managers: list[int] | None, manager_id: int | None):
    if managers is not None:
        query = query.where(column.in_(managers))
    if manager_id is not None:
        query = query.where(column == manager_id)
    return query


def report_managers(user: User) -> list[tuple[int, str]]:
    """(id, name) of the account managers whose figures `user` may read:
    the choices of the reports' manager filter."""
    require(user, perm.REPORT_VIEW)
    managers = managers_in_scope(user)
    query = (User.select(User.id, User.display_name)
             .join(Role, on=(User.role == Role.id))
             .where(Role.key == MANAGER)
             .order_by(User.display_name, User.id))
    if managers is not None:
        query = query.where(User.id.in_(managers))
    return list(query.tuples())


# ----- funnel (销售漏斗分析) ------------------------------------------------

class FunnelRow(NamedTuple):
    """One step of the funnel: a stage, or the last step, 开发成功 (key None)."""
    key: int | None
    label: str
    rate: int | None
    now: int            # opportunities standing here now (won ones: won)
    amount: Decimal     # their expected amount
    reached: int        # opportunities that came this far
    conversion: Decimal | None  # % of `reached` that went on to the next step


@dataclass(frozen=True)
class Funnel:
    rows: list[FunnelRow]
    total: int
    failed: int


def funnel(user: User, date_from: dt.date | None = None, date_to: dt.date | None = None,
           manager_id: int | None = None) -> Funnel:
    """The funnel of the opportunities `user` sees created from `date_from`
    to `date_to` (both included, either open), of one manager (assigned to
    them) or all."""
    require(user, perm.REPORT_VIEW)
    if date_from and date_to and date_from > date_to:
        raise ValidationError({"date_to": t("report.error.dates_reversed")})
    query = (Opportunity.visible_to(user)
             .select(Opportunity.status, Opportunity.stage, fn.COUNT(Opportunity.id),
                     _cents(Opportunity.expected_amount))
             .group_by(Opportunity.status, Opportunity.stage))
    if date_from:
        query = query.where(Opportunity.created_at >= dt.datetime.combine(date_from, dt.time.min))
    if date_to:
        query = query.where(Opportunity.created_at < dt.datetime.combine(
            date_to + dt.timedelta(days=1), dt.time.min))
    if manager_id is not None:
        query = query.where(Opportunity.assigned_to == manager_id)
    steps = list(stages())
    rank = {entry.id: index for index, entry in enumerate(steps)}
    won_rank = len(steps)
    now = [0] * (won_rank + 1)
    cents = [0] * (won_rank + 1)
    furthest = [0] * (won_rank + 1)  # opportunities whose furthest step is this one
    failed = total = 0
    for status, stage_id, count, amount in query.tuples():
        total += count
        # Without a known stage: taken to be at the first one.
        step = won_rank if status == SUCCEEDED else rank.get(stage_id, 0)
        furthest[step] += count
        if status == FAILED:
            failed += count
            continue
        now[step] += count
        cents[step] += int(amount or 0)
    reached = [sum(furthest[step:]) for step in range(won_rank + 1)]
    rows = []
    for step in range(won_rank + 1):
        following = reached[step + 1] if step < won_rank else None
        conversion = (None if following is None or not reached[step]
                      else (Decimal(100 * following) / reached[step]).quantize(Decimal("0.1")))
        entry = steps[step] if step < won_rank else None
        rows.append(FunnelRow(entry.id if entry else None,
                              entry.item if entry else t("report.funnel.won"),
                              stage_rate(entry) if entry else None,
                              now[step], _amount(cents[step]), reached[step], conversion))
    return Funnel(rows, total, failed)


# ----- forecast (销售额预测) -----------------------------------------------

class ForecastRow(NamedTuple):
    month: str
    count: int
    expected: Decimal
    weighted: Decimal
    target: Decimal | None


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


FORECAST_MONTHS = 12


def forecast(user: User, first: dt.date, manager_id: int | None = None,
             months: int = FORECAST_MONTHS) -> list[ForecastRow]:
    """Open opportunities `user` sees, expected to close in the `months`
    months from the month of `first`, by month: count, expected amount,
    weighted amount (Σ expected × success rate / 100, rounded to cents once
    per month), and the targets' amount of the month (of the manager, or
    of every manager in scope). Every month of the window is listed."""
    require(user, perm.REPORT_VIEW)
    start = add_months(first, 0)
    end = add_months(start, months)
    month = year_month(Opportunity.expected_close)
    query = (Opportunity.visible_to(user)
             .select(month, fn.COUNT(Opportunity.id), _cents(Opportunity.expected_amount),
                     fn.SUM(Cast(fn.ROUND(Opportunity.expected_amount * 100), "BIGINT")
                            * Opportunity.success_rate))
             .where(Opportunity.status.in_(OPEN), Opportunity.expected_close >= start,
                    Opportunity.expected_close < end)
             .group_by(month))
    if manager_id is not None:
        query = query.where(Opportunity.assigned_to == manager_id)
    found = {label: (count, expected, weighted) for label, count, expected, weighted
             in query.tuples()}
    targets = _target_amounts(user, start, end, manager_id)
    rows = []
    for offset in range(months):
        label = month_text(add_months(start, offset))
        count, expected, weighted = found.get(label, (0, 0, 0))
        weighted_amount = (Decimal(int(weighted or 0)) / (CENTS * 100)).quantize(Decimal("0.01"))
        rows.append(ForecastRow(label, count, _amount(expected), weighted_amount,
                                targets.get(label)))
    return rows


def _target_amounts(user: User, start: dt.date, end: dt.date, manager_id: int | None
                    ) -> dict[str, Decimal]:
    query = (Target.visible_to(user)
             .select(Target.month, _cents(Target.amount))
             .where(Target.month >= start, Target.month < end)
             .group_by(Target.month))
    query = _only(query, Target.manager, managers_in_scope(user), manager_id)
    return {month_text(_as_date(month)): _amount(cents) for month, cents in query.tuples()}


def _as_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


# ----- performance (销售业绩分析) -------------------------------------------

@dataclass
class PerformanceRow:
    month: str
    manager_id: int
    manager: str
    contracts: int = 0
    signed: Decimal = Decimal("0.00")
    payments: Decimal = Decimal("0.00")
    new_customers: int = 0
    interactions: int = 0
    target: Target | None = None

    def share(self) -> Decimal | None:
        """Signed amount as a percentage of the month's target amount."""
        if self.target is None or not self.target.amount:
            return None
        return (self.signed * 100 / Decimal(self.target.amount)).quantize(Decimal("0.1"))


def performance(user: User, year: int, manager_id: int | None = None) -> list[PerformanceRow]:
    """Per account manager and month of `year`: contracts signed (count and
    amount, by the customer's manager and the sign date), payments received
    (by payment date), new customers (created, not deleted) and
    interactions logged (by who logged them and their date), each with the
    month's target. Only months with a figure or a target are listed; an
    account manager reads only their own."""
    require(user, perm.REPORT_VIEW)
    first, last = year_range(year)
    start, end = _datetime_range(year)
    managers = managers_in_scope(user)
    rows: dict[tuple[int, str], PerformanceRow] = {}

    def row(manager: int, month: str) -> PerformanceRow:
        return rows.setdefault((manager, month), PerformanceRow(month, manager, ""))

    signed_month = year_month(Contract.sign_date)
    signed = _only(Contract.select(Customer.manager, signed_month, fn.COUNT(Contract.id),
                                   _cents(Contract.amount))
                   .join(Customer, on=(Contract.customer == Customer.id))
                   .where(Contract.status.in_(SIGNED), Contract.sign_date >= first,
                          Contract.sign_date <= last)
                   .group_by(Customer.manager, signed_month),
                   Customer.manager, managers, manager_id)
    for manager, month, count, cents in signed.tuples():
        found = row(manager, month)
        found.contracts, found.signed = count, _amount(cents)

    paid_month = year_month(Payment.date)
    paid = _only(Payment.select(Customer.manager, paid_month, _cents(Payment.amount))
                 .join(Contract, on=(Payment.contract == Contract.id))
                 .join(Customer, on=(Contract.customer == Customer.id))
                 .where(Payment.date >= first, Payment.date <= last)
                 .group_by(Customer.manager, paid_month),
                 Customer.manager, managers, manager_id)
    for manager, month, cents in paid.tuples():
        row(manager, month).payments = _amount(cents)

    created_month = year_month(Customer.created_at)
    created = _only(Customer.select(Customer.manager, created_month, fn.COUNT(Customer.id))
                    .where(Customer.created_at >= start, Customer.created_at < end,
                           Customer.status != DELETED)
                    .group_by(Customer.manager, created_month),
                    Customer.manager, managers, manager_id)
    for manager, month, count in created.tuples():
        row(manager, month).new_customers = count

    logged_month = year_month(Interaction.date)
    logged = _only(Interaction.select(Interaction.created_by, logged_month,
                                      fn.COUNT(Interaction.id))
                   .where(Interaction.date >= first, Interaction.date <= last,
                          Interaction.created_by.is_null(False))
                   .group_by(Interaction.created_by, logged_month),
                   Interaction.created_by, managers, manager_id)
    for manager, month, count in logged.tuples():
        row(manager, month).interactions = count

    targets = _only(Target.select().where(Target.month >= first, Target.month <= last),
                    Target.manager, managers, manager_id)
    for target in targets:
        row(target.manager_id, month_text(_as_date(target.month))).target = target

    names = dict(User.select(User.id, User.display_name)
                 .where(User.id.in_([manager for manager, _month in rows] or [0])).tuples())
    for (manager, _month), found in rows.items():
        found.manager = names.get(manager, "")
    return sorted(rows.values(), key=lambda found: (found.month, found.manager, found.manager_id))


# ----- the reports' filters ---------------------------------------------------

PERIOD_FILTERS = (Field("date_from", "report.filter.date_from", kind="date"),
                  Field("date_to", "report.filter.date_to", kind="date"))
FORECAST_FILTERS = (Field("month", "report.filter.from_month", max_length=7),)


def forecast_start(values: dict[str, Any]) -> dt.date:
    """The forecast's first month as typed (YYYY-MM); this month when blank."""
    text = clean(FORECAST_FILTERS, values)["month"]
    return parse_month(text) if text else add_months(clock.today(), 0)

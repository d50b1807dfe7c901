"""Today's agenda (今日待办): what waits for the signed-in user, one list
ranked by urgency.

Each source is a function `source(user, today) -> (count, items)` in
`SOURCES`: the number of things it has for the user and the most urgent
of them (at most `limit`). A module with more to put on the agenda adds
one function to the list. An item names the record kind and id that Enter
opens, the day it fell due (or since when it waits) and a line of text.

Urgency: the longest overdue first; on the same day, the sources in the
order of `SOURCES` (a plan item before a service, ...), then by id.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Callable

from peewee import fn

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import contracts, permissions as perm, sales, service, surveys
from crm_tui.models.churn import OPEN_STATUSES, ChurnAlert
from crm_tui.models.contracts import Contract, ContractStep
from crm_tui.models.customers import Customer
from crm_tui.models.kinds import money
from crm_tui.models.sales import Opportunity, PlanItem
from crm_tui.models.service import Service
from crm_tui.models.users import User
from crm_tui.models.validation import cents

# The most items one source puts on the list (its count still counts all).
LIMIT = 200


@dataclass(frozen=True)
class AgendaItem:
    source: str   # the source's name: "plan", "service", ... (its label: agenda.source.<name>)
    kind: str     # the record kind Enter opens
    record_id: int
    due: dt.date  # the day it fell due, or since when it waits
    text: str
    # Ranks items of the same day: the source's place in SOURCES.
    order: int = 0
    # True: `due` is a deadline (a plan item's day, an instalment's due
    # date); False: the day it began to wait (a service, an alert).
    deadline: bool = True

    @property
    def key(self) -> tuple[str, int, str]:
        """What the item is, whatever its text: to tell a new item from one seen."""
        return (self.source, self.record_id, self.due.isoformat())

    def days_late(self, today: dt.date) -> int:
        return (today - self.due).days


Source = Callable[[User, dt.date, int], tuple[int, list[AgendaItem]]]


def _day(value: dt.datetime | dt.date | None, today: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return value or today


def plan_items_due(user: User, today: dt.date, limit: int) -> tuple[int, list[AgendaItem]]:
    """Items of the user's open plans dated today or earlier, no result yet."""
    query = (PlanItem.select(PlanItem.id, PlanItem.date, PlanItem.content,
                             PlanItem.opportunity, Opportunity.customer_name)
             .join(Opportunity, on=(PlanItem.opportunity == Opportunity.id))
             .where((Opportunity.assigned_to == user.id) & (Opportunity.status == sales.ASSIGNED)
                    & (PlanItem.result == "") & (PlanItem.date <= today)))
    rows = query.order_by(PlanItem.date, PlanItem.id).limit(limit).objects()
    return query.count(), [
        AgendaItem("plan", "opportunity", row.opportunity_id, row.date,
                   t("agenda.line", name=row.customer_name, text=row.content)) for row in rows]


def services_waiting(user: User, today: dt.date, limit: int) -> tuple[int, list[AgendaItem]]:
    """Services assigned to the user and not handled yet; for whoever
    assigns services, the new ones too (as the home figure counts them)."""
    waiting = (Service.assigned_to == user.id) & (Service.status == service.ASSIGNED)
    if user.has_perm(perm.SERVICE_ASSIGN):
        waiting = waiting | (Service.status == service.NEW)
    since = fn.COALESCE(Service.assigned_at, Service.created_at)
    query = (Service.select(Service.id, Service.summary, Service.status,
                            since.alias("since"), Customer.name.alias("customer_name"))
             .join(Customer, on=(Service.customer == Customer.id)).where(waiting))
    rows = query.order_by(since, Service.id).limit(limit).objects()
    return query.count(), [
        AgendaItem("service", "service", row.id, _day(_moment(row.since), today),
                   t("agenda.line", name=row.customer_name, text=row.summary), deadline=False)
        for row in rows]


def churn_alerts(user: User, today: dt.date, limit: int) -> tuple[int, list[AgendaItem]]:
    """Open churn alerts of the user's own customers."""
    query = (ChurnAlert.select(ChurnAlert.id, ChurnAlert.created_at, ChurnAlert.status,
                               Customer.name.alias("customer_name"))
             .join(Customer, on=(ChurnAlert.customer == Customer.id))
             .where((Customer.manager == user.id) & ChurnAlert.status.in_(OPEN_STATUSES)))
    rows = query.order_by(ChurnAlert.created_at, ChurnAlert.id).limit(limit).objects()
    return query.count(), [
        AgendaItem("churn", "churn_alert", row.id, _day(row.created_at, today),
                   t("agenda.churn_text", name=row.customer_name), deadline=False)
        for row in rows]


def contracts_to_approve(user: User, today: dt.date, limit: int) -> tuple[int, list[AgendaItem]]:
    """Submitted contracts the user may approve now, waiting since submitted."""
    submitted = (ContractStep.select(fn.MAX(ContractStep.at))
                 .where(ContractStep.contract == Contract.id))
    query = contracts.waiting_for_approval(user)
    rows = (query.select(Contract.id, Contract.number, Contract.title, Contract.amount,
                         Contract.created_at, submitted.alias("submitted_at"))
            .order_by(Contract.created_at, Contract.id).limit(limit).objects())
    return query.count(), [
        AgendaItem("approval", "contract", row.id,
                   _day(_moment(row.submitted_at) or row.created_at, today),
                   f"{row.number} {row.title} {money(row.amount)}", deadline=False)
        for row in rows]


def overdue_instalments(user: User, today: dt.date, limit: int) -> tuple[int, list[AgendaItem]]:
    """Instalments of the user's contracts in force, past due and not paid."""
    query = contracts.overdue_instalments(user, today)
    rows = query.limit(limit).objects()
    return query.count(), [
        AgendaItem("instalment", "contract", row.contract_id, row.due_date,
                   t("agenda.instalment_text", number=row.contract_number,
                     amount=money(row.amount))) for row in rows]


def survey_follow_ups(user: User, today: dt.date, limit: int) -> tuple[int, list[AgendaItem]]:
    """Customers of the user whose survey average fell below 3, not yet
    followed up; Enter opens the customer."""
    query = surveys.follow_ups_due(user)
    return query.count(), [
        AgendaItem("follow_up", "customer", row.customer_id, _day(row.created_at, today),
                   t("agenda.follow_up_text", name=row.customer_name, survey=row.survey_title,
                     average=cents(row.average)), deadline=False)
        for row in query.limit(limit)]


def _moment(value):
    """A time read through an alias: SQLite gives text back."""
    if isinstance(value, str) and value:
        return dt.datetime.fromisoformat(value)
    return value


# Every source, in the order same-day items are ranked; one line each.
SOURCES: list[Source] = [
    plan_items_due,
    overdue_instalments,
    contracts_to_approve,
    services_waiting,
    churn_alerts,
    survey_follow_ups,
]


@dataclass(frozen=True)
class Agenda:
    count: int
    items: list[AgendaItem]


def agenda(user: User, today: dt.date | None = None, limit: int = LIMIT) -> Agenda:
    """The user's agenda for `today` (the clock's, by default), most urgent first."""
    today = today or clock.today()
    count, items = 0, []
    for order, source in enumerate(SOURCES):
        found, some = source(user, today, limit)
        count += found
        items.extend(replace(item, order=order) for item in some)
    items.sort(key=lambda item: (item.due, item.order, item.record_id))
    return Agenda(count, items)


def agenda_count(user: User, today: dt.date | None = None) -> int:
    """How many things wait for the user (the home figure)."""
    today = today or clock.today()
    return sum(source(user, today, 1)[0] for source in SOURCES)


def newly_due(before: set[tuple], now: Agenda) -> list[AgendaItem]:
    """The items of `now` that were not on the agenda as last seen."""
    return [item for item in now.items if item.key not in before]

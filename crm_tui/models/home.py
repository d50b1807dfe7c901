"""The figures on a user's home screen (M9), each one SQL count or sum.

Scope follows the same rules as the lists: an account manager counts their
own customers, the opportunities created by or assigned to them, the
services waiting for them and the churn alerts of their customers; a role
that sees everything counts everything.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from peewee import fn

from crm_tui import clock
from crm_tui.models import permissions as perm
from crm_tui.models import contracts, sales, service
from crm_tui.models.agenda import agenda_count
from crm_tui.models.base import database, sales_database
from crm_tui.models.churn import open_alert_count
from crm_tui.models.customers import Customer
from crm_tui.models.sales import Opportunity
from crm_tui.models.sales_system import COUNTED_STATUSES, Order
from crm_tui.models.service import Service
from crm_tui.models.users import User
from crm_tui.models.validation import cents


@dataclass(frozen=True)
class HomeFigures:
    customers: int
    open_opportunities: int
    services_waiting: int
    open_churn_alerts: int
    month_order_amount: Decimal
    contracts_to_approve: int
    overdue_instalments: int
    agenda: int


def home_figures(user: User) -> HomeFigures:
    granted = user.permissions()
    return HomeFigures(
        customers=Customer.visible_to(user).count(),
        open_opportunities=open_opportunities(user, granted),
        services_waiting=services_waiting(user, granted),
        open_churn_alerts=open_churn_alerts(user),
        month_order_amount=month_order_amount(user, granted),
        contracts_to_approve=contracts.waiting_for_approval(user).count(),
        overdue_instalments=contracts.overdue_instalments(user).count(),
        agenda=agenda_count(user),
    )


def open_opportunities(user: User, granted: set[str]) -> int:
    query = Opportunity.select().where(Opportunity.status.in_((sales.UNASSIGNED, sales.ASSIGNED)))
    if perm.OPPORTUNITY_VIEW_ALL not in granted:
        query = query.where((Opportunity.created_by == user.id) | (Opportunity.assigned_to == user.id))
    return query.count()


def services_waiting(user: User, granted: set[str]) -> int:
    """Assigned to the user and not handled yet; for whoever assigns: new ones."""
    waiting = (Service.assigned_to == user.id) & (Service.status == service.ASSIGNED)
    if perm.SERVICE_ASSIGN in granted:
        waiting = waiting | (Service.status == service.NEW)
    return Service.select().where(waiting).count()


def open_churn_alerts(user: User) -> int:
    # The churn rights decide, as on the churn list itself.
    return open_alert_count(user)


def month_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first day of `today`'s month and of the next one."""
    first = today.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


def month_order_amount(user: User, granted: set[str]) -> Decimal:
    """This month's amount of counted orders (shipped, paid) of the user's customers."""
    first, following = month_bounds(clock.today())
    query = Order.select(fn.COALESCE(fn.SUM(Order.amount), 0)).where(
        Order.status.in_(COUNTED_STATUSES) & (Order.date >= first) & (Order.date < following))
    if perm.CUSTOMER_VIEW_ALL not in granted:
        visible = Customer.visible_to(user).select(Customer.id)
        if sales_database.obj is database.obj:
            query = query.where(Order.customer_id.in_(visible))
        else:
            # The sales system is another database: no subquery across them.
            ids = [customer_id for (customer_id,) in visible.tuples()]
            if not ids:
                return Decimal("0")
            query = query.where(Order.customer_id.in_(ids))
    return cents(query.scalar())

"""Reports (统计报表): contribution, composition, service composition, churn.

Every figure is computed by the database (SUM, COUNT, GROUP BY); Python only
walks the result rows. Every report is scoped through
`Customer.visible_to(user)`: executives, supervisors and administrators see
every customer, an account manager only their own.

Orders belong to the sales system, which may be another database. The
contribution report ranks customers by the order figures the CRM keeps per
customer (models/order_figures.py), so it reads one row per customer, in
SQL beside the customers, whichever database the orders are in.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Iterator, NamedTuple

from peewee import JOIN, fn

from crm_tui.i18n import t
from crm_tui.models import permissions as perm
from crm_tui.models.base import database, is_postgres
from crm_tui.models.churn import CONFIRMED, ChurnAlert
from crm_tui.models.customers import NORMAL, Customer
from crm_tui.models.dictionary import CUSTOMER_LEVEL, SERVICE_TYPE, DictionaryEntry
from crm_tui.models.errors import ValidationError
from crm_tui.models import order_figures
from crm_tui.models.order_figures import OrderFigures, OrderTotals
from crm_tui.models.service import Service
from crm_tui.models.users import User, require
from crm_tui.models.validation import Field, cents, clean


LEVEL, CREDIT, SATISFACTION = "level", "credit", "satisfaction"
DIMENSIONS = (LEVEL, CREDIT, SATISFACTION)
SCORES = (1, 2, 3, 4, 5)


class ContributionRow(NamedTuple):
    customer_id: int
    number: str
    name: str
    manager: str
    orders: int
    amount: Decimal


class CountRow(NamedTuple):
    """One bar of a composition: what is counted, its label, the count."""
    key: object
    label: str
    count: int


class ChurnRow(NamedTuple):
    alert_id: int
    lost_date: dt.date | None
    number: str
    customer: str
    manager: str
    reason: str


def year_range(year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of `year`, for date filters."""
    if not 1900 <= year <= 9999:
        raise ValidationError({"year": t("error.out_of_range", minimum=1900, maximum=9999)})
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


# ----- 4.1 客户贡献分析 contribution --------------------------------------

def _visible_customers(user: User, name: str):
    """The customers `user` sees whose name contains `name`, with their
    account manager's name."""
    return (_named(Customer.visible_to(user), name)
            .select(Customer.id, Customer.number, Customer.name,
                    User.display_name.alias("manager"))
            .join_from(Customer, User, JOIN.INNER, on=(Customer.manager == User.id)))


def _named(query, name: str):
    return query.where(Customer.name.contains(name.strip())) if name.strip() else query


def _figures(year: int | None):
    """The figures table to rank by, and the condition that picks the year."""
    if year is None:
        return OrderTotals, None
    year_range(year)  # refuses a year out of range
    return OrderFigures, OrderFigures.year == year


def contribution_query(user: User, name: str = "", year: int | None = None):
    """Per visible customer with counted orders (status 5/6): number of
    orders and their total amount, biggest total first (then by customer
    id), from the order figures (as of `order_figures.figures_as_of()`).

    `name` keeps customers whose name contains it; `year` keeps orders of
    that calendar year. Rows: id, number, name, manager, orders, amount.
    """
    require(user, perm.REPORT_VIEW)
    figures, condition = _figures(year)
    query = (_visible_customers(user, name)
             .select_extend(figures.orders.alias("orders"), figures.amount.alias("amount"))
             .join_from(Customer, figures, JOIN.INNER, on=(figures.customer_id == Customer.id))
             .order_by(figures.amount.desc(), Customer.id))
    return query.where(condition) if condition is not None else query


def iter_contribution(user: User, name: str = "", year: int | None = None,
                      limit: int | None = None) -> Iterator[ContributionRow]:
    """The rows of `contribution_query`; `limit` stops after that many."""
    query = contribution_query(user, name, year)
    if limit is not None:
        query = query.limit(limit)
    # The plain cursor: every column is already what the row holds, and a
    # hundred thousand rows through the model layer's converters cost more
    # than the query itself.
    for customer_id, number, customer_name, manager, orders, total in database.execute(query):
        yield ContributionRow(customer_id, number, customer_name, manager, orders, cents(total))


def contribution(user: User, name: str = "", year: int | None = None,
                 limit: int | None = None) -> list[ContributionRow]:
    return list(iter_contribution(user, name, year, limit))


def update_order_figures(user: User, now: bool = False) -> None:
    """Sum the recent orders again, when the figures are stale or when the
    user asks for it (`now`)."""
    require(user, perm.REPORT_VIEW)
    if now:
        order_figures.refresh(order_figures.RECENT)
    else:
        order_figures.refresh_if_stale()


def order_figures_to_wait_for(user: User) -> bool | None:
    """Before a contribution report: True when there are no figures yet
    (sum them first: the report waits); False when they are stale (show the
    report from them as they are, "as of" their time, and sum the recent
    orders again afterwards: at a million customers that takes seconds);
    None when they are fresh."""
    require(user, perm.REPORT_VIEW)
    if order_figures.figures_as_of() is None:
        return True
    return None if order_figures.figures_are_fresh() else False


def contribution_summary(user: User, name: str = "", year: int | None = None
                         ) -> tuple[int, Decimal]:
    """(customers with counted orders, their total amount) for the same filters."""
    require(user, perm.REPORT_VIEW)
    figures, condition = _figures(year)
    # Without the managers' names: a join that cannot change the sums
    # made the database read every customer through it (4x at 1,000,000).
    query = (_named(Customer.visible_to(user), name)
             .select(fn.COUNT(Customer.id), fn.SUM(figures.amount))
             .join_from(Customer, figures, JOIN.INNER, on=(figures.customer_id == Customer.id)))
    if condition is not None:
        query = query.where(condition)
    customers, total = query.tuples().get()
    return customers, cents(total)


# ----- 4.2 客户构成分析 composition ---------------------------------------

def composition(user: User, dimension: str) -> list[CountRow]:
    """Customers in status normal counted by level, credit or satisfaction;
    every level (in dictionary order) or score 1-5 is listed, zeros too."""
    require(user, perm.REPORT_VIEW)
    if dimension not in DIMENSIONS:
        raise ValidationError({"dimension": t("error.not_a_choice")})
    column = getattr(Customer, dimension)
    query = (Customer.visible_to(user)
             .select(column, fn.COUNT(Customer.id))
             .where(Customer.status == NORMAL)
             .group_by(column))
    counts = dict(query.tuples())
    if dimension == LEVEL:
        rows = [CountRow(entry.id, entry.item, counts.pop(entry.id, 0))
                for entry in DictionaryEntry.of_type(CUSTOMER_LEVEL)]
    else:
        rows = [CountRow(score, str(score), counts.pop(score, 0)) for score in SCORES]
    # Values outside the expected set (never written by the rules, but a
    # database edited by hand may hold them) still count.
    rows += [CountRow(key, str(key), count) for key, count in sorted(counts.items())]
    return rows


# ----- 4.3 客户服务分析 service composition -------------------------------

def service_composition(user: User, date_from: dt.date | None = None,
                        date_to: dt.date | None = None) -> list[CountRow]:
    """Services of visible customers created from `date_from` to `date_to`
    (both days included, either may be open) counted by type; every
    service type of the dictionary is listed, zeros too."""
    require(user, perm.REPORT_VIEW)
    if date_from and date_to and date_from > date_to:
        raise ValidationError({"date_to": t("report.error.dates_reversed")})
    query = (Customer.visible_to(user)
             .select(Service.type, fn.COUNT(Service.id))
             .join_from(Customer, Service, JOIN.INNER, on=(Service.customer == Customer.id))
             .group_by(Service.type))
    if date_from:
        query = query.where(Service.created_at >= dt.datetime.combine(date_from, dt.time.min))
    if date_to:
        next_day = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min)
        query = query.where(Service.created_at < next_day)
    counts = dict(query.tuples())
    rows = [CountRow(entry.id, entry.item, counts.pop(entry.id, 0))
            for entry in DictionaryEntry.of_type(SERVICE_TYPE)]
    if counts:
        labels = dict(DictionaryEntry.select(DictionaryEntry.id, DictionaryEntry.item)
                      .where(DictionaryEntry.id.in_(list(counts))).tuples())
        rows += [CountRow(key, labels.get(key, str(key)), count)
                 for key, count in sorted(counts.items())]
    return rows


# ----- 4.4 客户流失分析 churn ---------------------------------------------

def _confirmed_churns(user: User, customer: str, manager_id: int | None):
    query = (Customer.visible_to(user)
             .join_from(Customer, ChurnAlert, JOIN.INNER, on=(ChurnAlert.customer == Customer.id))
             .join_from(Customer, User, JOIN.INNER, on=(Customer.manager == User.id))
             .where(ChurnAlert.status == CONFIRMED))
    if customer.strip():
        text = customer.strip()
        query = query.where(Customer.name.contains(text) | Customer.number.contains(text))
    if manager_id is not None:
        query = query.where(Customer.manager == manager_id)
    return query


def churn_query(user: User, customer: str = "", manager_id: int | None = None):
    """Confirmed churns of visible customers, newest loss first, as dicts
    (alert_id, lost_date, number, customer, manager, reason): a query a
    table can page through."""
    require(user, perm.REPORT_VIEW)
    return (_confirmed_churns(user, customer, manager_id)
            .select(ChurnAlert.id.alias("alert_id"), ChurnAlert.lost_date,
                    Customer.number, Customer.name.alias("customer"),
                    User.display_name.alias("manager"), ChurnAlert.reason)
            .order_by(ChurnAlert.lost_date.desc(), ChurnAlert.id.desc())
            .dicts())


def iter_churn(user: User, customer: str = "", manager_id: int | None = None
               ) -> Iterator[ChurnRow]:
    for row in churn_query(user, customer, manager_id).iterator():
        yield ChurnRow(**row)


def churn(user: User, customer: str = "", manager_id: int | None = None) -> list[ChurnRow]:
    return list(iter_churn(user, customer, manager_id))


def year_month(column):
    if is_postgres():
        return fn.to_char(column, "YYYY-MM")
    return fn.strftime("%Y-%m", column)


def churn_by_month(user: User, customer: str = "", manager_id: int | None = None
                   ) -> list[CountRow]:
    """The same churns counted per month of the lost date, oldest first;
    the months between without churn are listed with 0."""
    require(user, perm.REPORT_VIEW)
    month = year_month(ChurnAlert.lost_date)
    query = (_confirmed_churns(user, customer, manager_id)
             .select(month, fn.COUNT(ChurnAlert.id))
             .where(ChurnAlert.lost_date.is_null(False))
             .group_by(month)
             .order_by(month))
    counts = dict(query.tuples())
    if not counts:
        return []
    # Every month from the first churn to the last, those without churn as 0.
    first, last = min(counts), max(counts)
    year, month = int(first[:4]), int(first[5:7])
    rows = []
    while (label := f"{year:04d}-{month:02d}") <= last:
        rows.append(CountRow(label, label, counts.get(label, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return rows


def churn_managers(user: User) -> list[tuple[int, str]]:
    """(id, name) of the managers whose visible customers have confirmed
    churns: the choices of the churn report's manager filter."""
    require(user, perm.REPORT_VIEW)
    query = (_confirmed_churns(user, "", None)
             .select(User.id, User.display_name)
             .distinct()
             .order_by(User.display_name, User.id))
    return list(query.tuples())


# ----- the reports' filters, as the screens show them ------------------

YEAR = Field("year", "report.filter.year", kind="int", minimum=1900, maximum=9999)
CONTRIBUTION_FILTERS = (Field("name", "report.filter.customer_name", max_length=100), YEAR)
SERVICE_FILTERS = (YEAR, Field("date_from", "report.filter.date_from", kind="date"),
                   Field("date_to", "report.filter.date_to", kind="date"))
CHURN_FILTERS = (Field("customer", "report.filter.customer", max_length=100),)


def service_dates(values: dict) -> tuple[dt.date | None, dt.date | None]:
    """The date range of the service report's filters: a year, or from/to."""
    data = clean(SERVICE_FILTERS, values)
    if data["year"] is not None:
        if data["date_from"] or data["date_to"]:
            raise ValidationError({"year": t("report.error.year_or_dates")})
        return year_range(data["year"])
    return data["date_from"], data["date_to"]

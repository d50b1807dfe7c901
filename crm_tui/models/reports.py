"""Reports (统计报表): contribution, composition, service composition, churn.

Every figure is computed by the database (SUM, COUNT, GROUP BY); Python only
walks the result rows. Every report is scoped through
`Customer.visible_to(user)`: executives, supervisors and administrators see
every customer, an account manager only their own.

Orders belong to the sales system, which may be another database
(`sales_database` bound to a different database than `database`). Then
orders cannot be joined to customers in SQL: the visible customers are read
from the CRM in batches, the sales database sums each batch's orders
grouped by customer, and the batches' results, each already sorted by the
database, are merged.
"""
from __future__ import annotations

import datetime as dt
import heapq
from decimal import Decimal
from itertools import islice
from typing import Iterator, NamedTuple

from peewee import JOIN, SQL, NodeList, fn

from crm_tui.i18n import t
from crm_tui.models import permissions as perm
from crm_tui.models.base import database, is_postgres, sales_database
from crm_tui.models.churn import CONFIRMED, ChurnAlert
from crm_tui.models.customers import NORMAL, Customer
from crm_tui.models.dictionary import CUSTOMER_LEVEL, SERVICE_TYPE, DictionaryEntry
from crm_tui.models.errors import ValidationError
from crm_tui.models.sales_system import COUNTED_STATUSES, Order
from crm_tui.models.service import Service
from crm_tui.models.users import User, require
from crm_tui.models.validation import Field, clean

CENT = Decimal("0.01")
# Customers per query to a separate sales database: well below the bound
# parameter limits of SQLite (999 in old builds) and PostgreSQL.
SALES_BATCH = 900

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


def sales_is_separate() -> bool:
    """True when the sales system's orders live in another database."""
    return sales_database.obj is not database.obj


def year_range(year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of `year`, for date filters."""
    if not 1900 <= year <= 9999:
        raise ValidationError({"year": t("error.out_of_range", minimum=1900, maximum=9999)})
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _money(value) -> Decimal:
    # SQLite sums DECIMAL columns as floating point: round back to cents.
    return Decimal(str(value or 0)).quantize(CENT)


# ----- 4.1 客户贡献分析 contribution --------------------------------------

def _order_filter(year: int | None):
    condition = Order.status.in_(COUNTED_STATUSES)
    if year is not None:
        first, last = year_range(year)
        date = Order.date
        if not is_postgres(sales_database):
            # "+date" keeps SQLite on the covering index (customer, status,
            # date, amount), probed per customer, instead of the date index,
            # which would read every order row of the year from the table.
            date = NodeList((SQL("+"), Order.date), glue="")
            first, last = first.isoformat(), last.isoformat()
        condition &= (date >= first) & (date <= last)
    return condition


def _visible_customers(user: User, name: str):
    query = (Customer.visible_to(user)
             .select(Customer.id, Customer.number, Customer.name, User.display_name)
             .join_from(Customer, User, JOIN.INNER, on=(Customer.manager == User.id)))
    if name.strip():
        query = query.where(Customer.name.contains(name.strip()))
    return query


def iter_contribution(user: User, name: str = "", year: int | None = None,
                      limit: int | None = None) -> Iterator[ContributionRow]:
    """Per visible customer with counted orders (status 5/6): number of
    orders and their total amount, biggest total first (then by customer id).

    `name` keeps customers whose name contains it; `year` keeps orders of
    that calendar year; `limit` stops after that many customers.
    """
    require(user, perm.REPORT_VIEW)
    if sales_is_separate():
        yield from _contribution_across_databases(user, name, year, limit)
        return
    amount = fn.SUM(Order.amount)
    query = (_visible_customers(user, name)
             .select_extend(fn.COUNT(Order.id), amount)
             .join_from(Customer, Order, JOIN.INNER, on=(Order.customer_id == Customer.id))
             .where(_order_filter(year))
             .group_by(Customer.id, Customer.number, Customer.name, User.display_name)
             .order_by(amount.desc(), Customer.id))
    if limit is not None:
        query = query.limit(limit)
    # The plain cursor: every column is already what the row holds, and a
    # hundred thousand rows through the model layer's converters cost more
    # than the query itself.
    for customer_id, number, customer_name, manager, orders, total in database.execute(query):
        yield ContributionRow(customer_id, number, customer_name, manager, orders, _money(total))


def contribution(user: User, name: str = "", year: int | None = None,
                 limit: int | None = None) -> list[ContributionRow]:
    return list(iter_contribution(user, name, year, limit))


def _batches(query, size: int) -> Iterator[list[tuple]]:
    rows = query.tuples().iterator()
    while batch := list(islice(rows, size)):
        yield batch


def _contribution_across_databases(user: User, name: str, year: int | None,
                                   limit: int | None) -> Iterator[ContributionRow]:
    sorted_batches = []
    customers = _visible_customers(user, name).order_by(Customer.id)
    for batch in _batches(customers, SALES_BATCH):
        by_id = {customer_id: (number, customer_name, manager)
                 for customer_id, number, customer_name, manager in batch}
        amount = fn.SUM(Order.amount)
        totals = (Order.select(Order.customer_id, fn.COUNT(Order.id), amount)
                  .where(_order_filter(year) & Order.customer_id.in_(list(by_id)))
                  .group_by(Order.customer_id)
                  .order_by(amount.desc(), Order.customer_id))
        if limit is not None:
            totals = totals.limit(limit)
        sorted_batches.append([
            ContributionRow(customer_id, *by_id[customer_id], orders, _money(total))
            for customer_id, orders, total in totals.tuples()])
    merged = heapq.merge(*sorted_batches, key=lambda row: (-row.amount, row.customer_id))
    yield from islice(merged, limit)


def contribution_summary(user: User, name: str = "", year: int | None = None
                         ) -> tuple[int, Decimal]:
    """(customers with counted orders, their total amount) for the same filters."""
    require(user, perm.REPORT_VIEW)
    if not sales_is_separate():
        query = (_visible_customers(user, name)
                 .select(fn.COUNT(fn.DISTINCT(Customer.id)), fn.SUM(Order.amount))
                 .join_from(Customer, Order, JOIN.INNER, on=(Order.customer_id == Customer.id))
                 .where(_order_filter(year)))
        customers, total = query.tuples().get()
        return customers, _money(total)
    customers, total = 0, Decimal(0)
    for batch in _batches(_visible_customers(user, name).order_by(Customer.id), SALES_BATCH):
        ids = [row[0] for row in batch]
        count, amount = (Order.select(fn.COUNT(fn.DISTINCT(Order.customer_id)), fn.SUM(Order.amount))
                         .where(_order_filter(year) & Order.customer_id.in_(ids))
                         .tuples().get())
        customers += count
        total += _money(amount)
    return customers, total


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

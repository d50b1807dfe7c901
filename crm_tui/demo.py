"""The demo database, and generated data at scale.

`prepare_demo` gives `crm-tui demo` a SQLite file with a believable
company's two years of work: customers across the regions and levels,
their contacts and interactions, orders in the sales system, opportunities,
services and churn alerts in every state. It is built once (or anew with
--fresh) into a side file and moved into place when complete, so an
interrupted build never leaves a half-filled demo behind.

`fill_at_scale` adds customers and orders by the hundred thousand to the
bound database, for benchmarks and load tests (`crm-tui demo-data`).

Both are deterministic for a seed, with dates relative to the CRM's clock,
and both write rows that obey the models' rules (one open churn alert per
customer, order lines adding up to the order, states with their history).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import itertools
import os
import random
import re
import time
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from peewee import Database, Model
from platformdirs import user_data_dir

from crm_tui import clock
from crm_tui import demo_campaigns
from crm_tui import demo_funnel
from crm_tui import demo_vocabulary as words
from crm_tui.config import Config, DatabaseConfig
from crm_tui.demo_surveys import make_demo_surveys
from crm_tui.models import (
    accounts,
    ChurnAlert,
    ChurnMeasure,
    Contact,
    Customer,
    DictionaryEntry,
    Interaction,
    MailMessage,
    Opportunity,
    Order,
    OrderLine,
    PlanItem,
    Product,
    Role,
    Service,
    ServiceEvent,
    Stock,
    User,
    churn,
    customers,
    database,
    sales,
    sales_database,
    service,
    users,
)
from crm_tui.demo_dedupe import DEMO_DUPLICATES, SCALE_SHARE, add_near_duplicates
from crm_tui.models import contracts, order_figures
from crm_tui.models.customers import customer_keys
from crm_tui.models.base import is_postgres
from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION, SERVICE_TYPE
from crm_tui.models.names import company_key

Progress = Callable[[str], None]

DEMO_PASSWORD = "demo1234"
# (login, display name, role key, password): shown on the login screen in demo mode.
DEMO_ACCOUNTS = [
    ("admin", "系统管理员", users.ADMIN, DEMO_PASSWORD),
    ("gao", "高总", users.EXECUTIVE, DEMO_PASSWORD),
    ("li", "李主管", users.SUPERVISOR, DEMO_PASSWORD),
    ("wang", "王经理", users.MANAGER, DEMO_PASSWORD),
    ("zhang", "张经理", users.MANAGER, DEMO_PASSWORD),
    ("liu", "刘经理", users.MANAGER, DEMO_PASSWORD),
]
DEMO_SEED = 2024
# How the demo's customers are shared among its account managers.
MANAGER_SHARES = {"wang": 40, "zhang": 35, "liu": 25}
# Sales system order statuses: 1 new ... 5 shipped (已发货), 6 paid (已回款).
ORDER_STATUSES = (1, 2, 3, 4, 5, 6)


def default_demo_path() -> Path:
    return Path(user_data_dir("crm-tui")) / "demo.sqlite3"


def demo_config(config: Config, path: Path) -> Config:
    """`config` pointed at the demo file (CRM and sales system in one)."""
    return dataclasses.replace(config, database=DatabaseConfig(url=f"sqlite:///{path}"))


def prepare_demo(config: Config, path: str | os.PathLike | None = None, fresh: bool = False,
                 progress: Progress = print, seed: int = DEMO_SEED) -> Config:
    """The config of the demo database: built if missing or `fresh`, else reused."""
    target = Path(path).expanduser().resolve() if path else default_demo_path()
    if target.exists() and not fresh:
        progress(f"demo database: {target}")
        return demo_config(config, target)
    started = time.perf_counter()
    progress(f"building the demo database {target} ...")
    build_demo_database(target, seed, progress)
    progress(f"demo database ready in {time.perf_counter() - started:.1f} s")
    return demo_config(config, target)


def build_demo_database(target: Path, seed: int = DEMO_SEED, progress: Progress = print) -> None:
    """Build the demo into a side file, then move it over `target`."""
    from crm_tui.db import init_databases, open_database
    from crm_tui.private import owner_only_umask, private_folder

    private_folder(target.parent)
    building = target.with_name(target.name + ".building")
    _remove_sqlite_files(building)
    db = open_database(f"sqlite:///{building}")
    database.initialize(db)
    sales_database.initialize(db)
    # The demo file (moved to `target` when built) and its -wal/-shm are owner-only.
    with owner_only_umask():
        db.connect(reuse_if_open=True)
    try:
        init_databases(db, db)
        DemoCompany(seed, progress).build()
        add_near_duplicates(DEMO_DUPLICATES, random.Random(seed), progress)
        # Fold the write-ahead log into the file, so the one file is the database.
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    _remove_sqlite_files(target)
    os.replace(building, target)
    _remove_sqlite_files(building)


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# ----- ids and bulk inserts --------------------------------------------------

def reserve_ids(db: Database, model: type[Model], count: int) -> list[int]:
    """Ids for `count` new rows of `model`; call inside a write transaction.

    PostgreSQL hands them out from the table's sequence, so writers at the
    same time never get the same ones. On SQLite the write transaction
    (BEGIN IMMEDIATE) holds the database's write lock, so the ids after
    the largest one stay free until it commits.
    """
    if count <= 0:
        return []
    table = model._meta.table_name
    if is_postgres(db):
        cursor = db.execute_sql(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (f'"{table}"', count))
        return [row[0] for row in cursor.fetchall()]
    largest = db.execute_sql(f'SELECT MAX(id) FROM "{table}"').fetchone()[0] or 0
    return list(range(largest + 1, largest + 1 + count))


def bulk_insert(db: Database, model: type[Model], columns: Sequence[str],
                rows: Sequence[tuple]) -> None:
    """Insert rows of plain values (text, numbers, None) as fast as the
    driver allows: executemany on SQLite, COPY on PostgreSQL."""
    if not rows:
        return
    table = model._meta.table_name
    names = ", ".join(f'"{model._meta.fields[name].column_name}"' for name in columns)
    cursor = db.cursor()
    if is_postgres(db):
        # COPY's CSV form: text is quoted (so "" stays an empty string),
        # numbers are not. The csv module quotes None as "" too, so the
        # columns that hold a None read "" as NULL (FORCE_NULL).
        buffer = io.StringIO()
        csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC).writerows(rows)
        buffer.seek(0)
        nullable = [f'"{model._meta.fields[name].column_name}"' for index, name in enumerate(columns)
                    if any(row[index] is None for row in rows)]
        force_null = f", FORCE_NULL ({', '.join(nullable)})" if nullable else ""
        cursor.copy_expert(f'COPY "{table}" ({names}) FROM STDIN WITH (FORMAT csv{force_null})',
                           buffer)
    else:
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)


def insert_rows(model: type[Model], rows: list[dict[str, Any]], batch: int = 200) -> None:
    """Insert model rows (dicts of field values) through the model. Rows
    may leave out fields (a new service has no handler yet): those get the
    field's default, as the model's create() would give them."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    defaults = {}
    for name in names:
        default = model._meta.fields[name].default
        defaults[name] = default() if callable(default) else default
    complete = [{**defaults, **row} for row in rows]
    for start in range(0, len(complete), batch):
        model.insert_many(complete[start:start + batch]).execute()


# ----- believable companies and people ----------------------------------------

@dataclass(frozen=True)
class Person:
    name: str
    sex: str  # M or F
    latin: str  # wei.wang: the mail address's local part


@dataclass
class Company:
    """A customer's own details (every column of Customer but the CRM's
    bookkeeping), and where it is."""

    fields: dict[str, Any]
    city: words.City
    domain: str


CENT = Decimal("0.01")
CAPITALS = (50, 100, 200, 300, 500, 800, 1000, 2000, 3000, 5000, 10000, 20000)
LEGAL_FORM_CUM = list(itertools.accumulate(weight for _, weight in words.LEGAL_FORMS))


class CompanyMaker:
    """Makes companies (name, address, bank, tax numbers ...) and people
    from the word lists, with a seeded random generator."""

    def __init__(self, rng: random.Random, regions: Sequence[tuple[int, str]]):
        self.rng = rng
        known = [(entry_id, item) for entry_id, item in regions if item in words.CITIES_BY_REGION]
        # Regions the administrator added are used only when none is known.
        self.regions = known or list(regions)
        self.cities = [words.CITIES_BY_REGION.get(item) or (words.city_for_unknown_region(item),)
                       for _, item in self.regions]
        self.region_cum = list(itertools.accumulate(
            words.REGION_WEIGHTS.get(item, words.DEFAULT_REGION_WEIGHT) for _, item in self.regions))

    def pick(self, choices: Sequence[Any]) -> Any:
        # Indexing by random() is several times cheaper than rng.choice,
        # which counts at scale (a hundred thousand companies).
        return choices[int(self.rng.random() * len(choices))]

    def digits(self, count: int) -> str:
        """`count` random digits, the first not zero (count <= 15)."""
        return str(int(self.rng.random() * 9 * 10 ** (count - 1)) + 10 ** (count - 1))

    def person(self) -> Person:
        surname, surname_latin = self.pick(words.SURNAMES)
        given, given_latin, sex = self.pick(words.GIVEN_NAMES)
        return Person(surname + given, sex, f"{given_latin}.{surname_latin}")

    def phone(self, city: words.City) -> str:
        return f"{city.area_code}-{self.pick('2345678')}{self.digits(7)}"

    def mobile(self) -> str:
        return f"1{self.pick('3456789')}{self.digits(9)}"

    def address(self, city: words.City) -> str:
        random_ = self.rng.random
        street = f"{self.pick(words.STREETS)}{int(random_() * 299) + 1}号"
        if random_() < 0.6:
            street += f"{self.pick(words.BUILDINGS)}{int(random_() * 26) + 2}层"
        return f"{city.province}{city.name}{self.pick(city.districts)}{street}"

    def company(self, level_rank: int, taken_names: set[str] | None = None) -> Company:
        """A company; with `taken_names`, one whose name is not in it yet
        (the name is added)."""
        pick, random_ = self.pick, self.rng.random
        for _ in range(50):
            index = weighted_index(self.rng, self.region_cum)
            region_id = self.regions[index][0]
            city = pick(self.cities[index])
            trade, trade_latin = pick(words.TRADE_NAMES)
            industry, industry_latin = pick(words.INDUSTRIES)
            form = words.LEGAL_FORMS[weighted_index(self.rng, LEGAL_FORM_CUM)][0]
            name = f"{city.short}{trade}{industry}{form}"
            if taken_names is None or name not in taken_names:
                break
        if taken_names is not None:
            taken_names.add(name)
        domain = f"{city.latin}{trade_latin}-{industry_latin}.com.cn"
        capital = CAPITALS[min(len(CAPITALS) - 1, int(random_() * 6) + level_rank * 3 // 2)]
        branch = (f"{city.short}分行" if random_() < 0.4
                  else f"{city.short}{pick(city.districts).rstrip('区镇')}支行")
        tax_number = city.admin_code + self.digits(9)
        phone = self.phone(city)
        fields = {
            "name": name,
            "region": region_id,
            "satisfaction": pick((2, 3, 3, 4, 4, 4, 5, 5)),
            "credit": pick((1, 2, 3, 3, 4, 4, 4, 5, 5)),
            "address": self.address(city),
            "postcode": f"{city.postcode}{int(random_() * 1000):03d}",
            "phone": phone,
            "fax": phone[:-1] + str((int(phone[-1]) + 1) % 10) if random_() < 0.6 else "",
            "website": f"www.{domain}" if random_() < 0.7 else "",
            "licence_number": city.admin_code + self.digits(9),
            "legal_representative": self.person().name,
            # 万元, as the form asks for them.
            "registered_capital": capital,
            "annual_turnover": round(capital * (0.8 + random_() * 14.2), 2),
            "bank": pick(words.BANKS) + branch,
            "bank_account": self.digits(9) + self.digits(10),
            # Before the 2015 merger of the two certificates the local and
            # the national tax office registered a company under one number.
            "local_tax_number": tax_number,
            "national_tax_number": tax_number,
        }
        return Company(fields, city, domain)


def weighted_index(rng: random.Random, cumulative: Sequence[float]) -> int:
    """An index into `cumulative` weights (itertools.accumulate), drawn by weight."""
    return bisect(cumulative, rng.random() * cumulative[-1])


def order_number(day: dt.date, order_id: int) -> str:
    """The sales system's order number: SO + date + the order's id."""
    return f"SO{day:%Y%m%d}{order_id:07d}"


def scan_time_after(day: dt.date) -> dt.datetime:
    """The churn worker's first scheduled run (Saturday 02:00) after `day`."""
    days = (5 - day.weekday()) % 7 or 7
    return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(2, 0))


# ----- the demo company ------------------------------------------------------

# What a demo customer's history looks like.
ACTIVE = "active"  # orders up to the last few months
NEW = "new"  # on file for a few weeks, no order yet
NEVER_ORDERED = "never_ordered"  # on file for months, never ordered: the scan finds it
STALE = "stale"  # last order 7+ months ago, no alert yet: the scan finds it
WARNING = "warning"  # open alert 预警
DEFERRED = "deferred"  # open alert 暂缓流失, with measures
CONFIRMED = "confirmed"  # 确认流失: the customer is lost
CLOSED = "closed"  # had an alert, then ordered again
DELETED = "deleted"  # soft-deleted
FROM_OPPORTUNITY = "from_opportunity"  # created by a succeeded opportunity

PROFILE_COUNTS = {NEW: 6, NEVER_ORDERED: 6, STALE: 14, WARNING: 8, DEFERRED: 6, CONFIRMED: 7,
                  CLOSED: 5, DELETED: 3}
DEMO_CUSTOMERS = 320  # besides those of succeeded opportunities
# How many orders a customer of each level places in two years: (least, most).
ORDERS_BY_LEVEL_RANK = ((3, 8), (4, 10), (10, 24), (8, 16), (14, 30))
LEVEL_WEIGHTS = (45, 20, 15, 12, 8)


def level_weights(level_count: int) -> list[int]:
    """Cumulative weights of the customer levels, commonest first; levels
    the administrator added after the seeded five are rare."""
    return list(itertools.accumulate((LEVEL_WEIGHTS + (2,) * level_count)[:level_count]))


@dataclass
class DemoCustomer:
    id: int
    company: Company
    manager: User
    level_id: int
    level_rank: int
    profile: str
    created_at: dt.datetime
    number: str = ""
    contacts: list[dict[str, Any]] = field(default_factory=list)
    order_days: list[dt.date] = field(default_factory=list)
    lost_at: dt.date | None = None
    alert: dict[str, Any] | None = None
    status: str = customers.NORMAL

    @property
    def name(self) -> str:
        return self.company.fields["name"]


class DemoCompany:
    """Builds the demo's data into the bound (empty, migrated) database."""

    def __init__(self, seed: int, progress: Progress = print):
        self.rng = random.Random(seed)
        self.progress = progress
        self.now = clock.now()
        self.today = self.now.date()

    def build(self) -> None:
        self.make_accounts()
        regions = [(entry.id, entry.item) for entry in DictionaryEntry.of_type(REGION)]
        self.levels = [entry.id for entry in DictionaryEntry.of_type(CUSTOMER_LEVEL)]
        self.level_cum = level_weights(len(self.levels))
        self.service_types = {entry.item: entry.id for entry in DictionaryEntry.of_type(SERVICE_TYPE)}
        self.maker = CompanyMaker(self.rng, regions)
        self.taken_names: set[str] = set()
        with database.atomic():
            self.make_products_and_stock()
            opportunities = self.plan_opportunities()
            self.make_customers(opportunities)
            self.make_orders()
            self.make_interactions_and_mail()
            self.insert_opportunities(opportunities)
            self.make_services()
            self.make_churn_alerts()
            self.make_contracts()
            self.progress(make_demo_surveys(self))
            demo_campaigns.make_campaigns(self)
            demo_funnel.fill_demo(self.rng, self.managers, self.supervisor, self.progress)
        # The reports read the orders through the figures summed per customer.
        order_figures.refresh(order_figures.FULL)

    # ----- helpers ---------------------------------------------------------
    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        if last <= first:
            return first
        return first + dt.timedelta(days=self.rng.randrange((last - first).days + 1))

    def work_time(self, day: dt.date) -> dt.datetime:
        """A moment of office hours on `day`, never after now."""
        moment = dt.datetime.combine(day, dt.time(self.rng.randrange(9, 18), self.rng.randrange(60)))
        return min(moment, self.now - dt.timedelta(minutes=self.rng.randrange(5, 120)))

    def days_ago(self, days: int) -> dt.date:
        return self.today - dt.timedelta(days=days)

    def later(self, moment: dt.datetime, least_hours: int, most_hours: int) -> dt.datetime:
        """A moment some hours after `moment`, never after now."""
        hours = self.rng.uniform(least_hours, most_hours)
        return min(moment + dt.timedelta(hours=hours), self.now)

    # ----- people ----------------------------------------------------------
    def make_accounts(self) -> None:
        self.accounts: dict[str, User] = {}
        for login, name, role_key, password in DEMO_ACCOUNTS:
            self.accounts[login] = accounts.create_user(None, login, name, role_key, password)
        self.managers = [self.accounts[login] for login in MANAGER_SHARES]
        self.manager_cum = list(itertools.accumulate(MANAGER_SHARES.values()))
        self.supervisor = self.accounts["li"]

    def pick_manager(self) -> User:
        return self.managers[weighted_index(self.rng, self.manager_cum)]

    # ----- the sales system's catalogue -------------------------------------
    def make_products_and_stock(self) -> None:
        self.products = []
        product_ids = reserve_ids(database.obj, Product, len(words.PRODUCTS))
        rows = []
        for product_id, (name, model, batch, unit, price, note) in zip(product_ids, words.PRODUCTS):
            rows.append({"id": product_id, "name": name, "model": model, "batch": batch,
                         "unit": unit, "price": Decimal(price), "note": note})
            self.products.append(rows[-1])
        insert_rows(Product, rows)
        stock = []
        for product in self.products:
            most = words.QUANTITY_BY_UNIT[product["unit"]][1]
            for warehouse in self.rng.sample(words.WAREHOUSES, self.rng.randrange(2, 5)):
                shelf = f"{self.rng.choice('ABCD')}-{self.rng.randrange(1, 20):02d}-{self.rng.randrange(1, 9):02d}"
                stock.append({"product": product["id"], "warehouse": warehouse, "location": shelf,
                              "quantity": self.rng.randrange(0, most * 20),
                              "note": self.rng.choice(("", "", "", "待检", "近效期优先发货"))})
        insert_rows(Stock, stock)
        self.progress(f"  {len(rows)} products, {len(stock)} stock rows")

    # ----- customers -------------------------------------------------------
    def pick_level(self) -> tuple[int, int]:
        rank = weighted_index(self.rng, self.level_cum)
        return self.levels[rank], rank

    def make_customers(self, opportunities: list[dict[str, Any]]) -> None:
        profiles = [profile for profile, count in PROFILE_COUNTS.items() for _ in range(count)]
        profiles += [ACTIVE] * (DEMO_CUSTOMERS - len(profiles))
        self.rng.shuffle(profiles)
        self.customers: list[DemoCustomer] = []
        for profile in profiles:
            level_id, rank = self.pick_level()
            created = self.work_time(self.days_ago(self.creation_age(profile)))
            self.customers.append(DemoCustomer(0, self.maker.company(rank, self.taken_names),
                                               self.pick_manager(), level_id, rank, profile,
                                               created))
        for opportunity in opportunities:
            if opportunity["status"] == sales.SUCCEEDED:
                level_id, rank = self.pick_level()
                company = self.maker.company(rank)
                company.fields["name"] = opportunity["customer_name"]
                customer = DemoCustomer(0, company, opportunity["assignee"], level_id, rank,
                                        FROM_OPPORTUNITY, opportunity["ended_at"])
                customer.contacts.append(opportunity["contact_person"])
                opportunity["customer_plan"] = customer
                self.customers.append(customer)
        # Ids and numbers in the order the customers came: KH + date + sequence.
        self.customers.sort(key=lambda customer: customer.created_at)
        ids = reserve_ids(database.obj, Customer, len(self.customers))
        per_day: dict[dt.date, int] = {}
        for customer, customer_id in zip(self.customers, ids):
            day = customer.created_at.date()
            per_day[day] = per_day.get(day, 0) + 1
            customer.id = customer_id
            customer.number = f"KH{day:%Y%m%d}{per_day[day]:03d}"
            self.plan_orders(customer)
        for customer in self.customers:
            if customer.profile == DELETED:
                customer.status = customers.DELETED
        self.plan_churn()
        insert_rows(Customer, [self.customer_row(customer) for customer in self.customers])
        self.progress(f"  {len(self.customers)} customers")
        self.make_contacts()

    def creation_age(self, profile: str) -> int:
        """How many days ago a customer of `profile` came on file."""
        # Customers whose churn story needs two years of orders came earlier.
        ranges = {ACTIVE: (200, 2000), NEW: (1, 45), NEVER_ORDERED: (220, 900),
                  DELETED: (400, 1500)}
        least, most = ranges.get(profile, (760, 2000))
        return self.rng.randrange(least, most)

    def customer_row(self, customer: DemoCustomer) -> dict[str, Any]:
        changed = customer.status != customers.NORMAL
        return {**customer.company.fields, "id": customer.id, "number": customer.number,
                "manager": customer.manager.id, "level": customer.level_id,
                "status": customer.status, "lost_at": customer.lost_at,
                "created_at": customer.created_at, "version": 2 if changed else 1}

    def make_contacts(self) -> None:
        rows = []
        for customer in self.customers:
            wanted = self.rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
            while len(customer.contacts) < wanted:
                person = self.maker.person()
                position = (words.POSITIONS[0] if not customer.contacts
                            else self.rng.choice(words.POSITIONS[1:]))
                customer.contacts.append({
                    "name": person.name, "sex": person.sex, "position": position,
                    "office_phone": self.maker.phone(customer.company.city),
                    "mobile": self.maker.mobile() if self.rng.random() < 0.85 else "",
                    "email": (f"{person.latin}@{customer.company.domain}"
                              if self.rng.random() < 0.8 else ""),
                    "note": self.rng.choice(words.CONTACT_NOTES)})
        contact_ids = iter(reserve_ids(database.obj, Contact,
                                       sum(len(customer.contacts) for customer in self.customers)))
        for customer in self.customers:
            for contact in customer.contacts:
                contact["id"] = next(contact_ids)
                rows.append({**contact, "customer": customer.id})
        insert_rows(Contact, rows)
        self.progress(f"  {len(rows)} contacts")

    # ----- orders (the sales system) -----------------------------------------
    def plan_orders(self, customer: DemoCustomer) -> None:
        """The days `customer` ordered on, as its profile says."""
        rng = self.rng
        start = max(customer.created_at.date() + dt.timedelta(days=7), self.days_ago(730))
        least, most = ORDERS_BY_LEVEL_RANK[min(customer.level_rank, len(ORDERS_BY_LEVEL_RANK) - 1)]
        count = rng.randrange(least, most + 1)
        profile = customer.profile
        if profile in (NEW, NEVER_ORDERED, DELETED):
            return
        if profile == ACTIVE:
            days = [self.day_between(start, self.today) for _ in range(count - 1)]
            # A counted order in the last months keeps an active customer off the churn list.
            days.append(self.day_between(self.days_ago(150), self.days_ago(46)))
        elif profile == FROM_OPPORTUNITY:
            first = customer.created_at.date() + dt.timedelta(days=3)
            days = [self.day_between(first, self.today) for _ in range(rng.randrange(1, 5))]
        else:
            last = self.days_ago({STALE: rng.randrange(215, 420), WARNING: rng.randrange(195, 250),
                                  DEFERRED: rng.randrange(220, 330), CONFIRMED: rng.randrange(300, 600),
                                  CLOSED: rng.randrange(250, 400)}[profile])
            days = [self.day_between(start, last) for _ in range(count - 1)] + [last]
        customer.order_days = sorted(days)

    def order_status(self, day: dt.date, counted: bool) -> int:
        age = (self.today - day).days
        if counted or age > 45:
            return 6 if self.rng.random() < 0.85 or age > 120 else 5
        if age > 10:
            return self.rng.choice((2, 3, 4, 5, 5, 6, 6))
        return self.rng.choice((1, 1, 2, 2, 3, 4, 5))

    def make_orders(self) -> None:
        plans = [(customer, day) for customer in self.customers for day in customer.order_days]
        plans.sort(key=lambda plan: plan[1])
        order_ids = reserve_ids(database.obj, Order, len(plans))
        orders, lines = [], []
        for (customer, day), order_id in zip(plans, order_ids):
            # A customer whose churn story rests on its orders has only counted ones.
            counted = customer.profile not in (ACTIVE, FROM_OPPORTUNITY)
            total = Decimal(0)
            for product in self.rng.sample(self.products, self.rng.choice((1, 1, 2, 2, 3, 4))):
                least, most = words.QUANTITY_BY_UNIT[product["unit"]]
                quantity = self.rng.randrange(least, most + 1)
                unit_price = (product["price"] * Decimal(str(self.rng.choice(words.PRICE_FACTORS)))
                              ).quantize(CENT)
                amount = (unit_price * quantity).quantize(CENT)
                total += amount
                lines.append({"order": order_id, "product": product["id"], "quantity": quantity,
                              "unit": product["unit"], "unit_price": unit_price, "amount": amount})
            address = customer.company.fields["address"]
            if self.rng.random() < 0.15:
                address = f"{self.maker.address(customer.company.city)}（工厂收货）"
            orders.append({"id": order_id, "number": order_number(day, order_id),
                           "customer_id": customer.id, "date": day, "delivery_address": address,
                           "status": self.order_status(day, counted), "amount": total})
        insert_rows(Order, orders)
        insert_rows(OrderLine, lines)
        self.progress(f"  {len(orders)} orders, {len(lines)} order lines")

    # ----- interactions and mail ----------------------------------------------
    def make_interactions_and_mail(self) -> None:
        rows = []
        for customer in self.customers:
            if customer.profile == NEW:
                count = self.rng.randrange(1, 3)
            else:
                count = self.rng.randrange(2, 9)
            first = max(customer.created_at.date(), self.days_ago(730))
            last = customer.lost_at or (self.days_ago(100) if customer.profile == DELETED
                                        else self.today)
            for _ in range(count):
                contact = self.rng.choice(customer.contacts)
                place, summary, detail = self.rng.choice(words.INTERACTIONS)
                day = self.day_between(first, last)
                rows.append({
                    "customer": customer.id, "contact": contact["id"], "date": day,
                    "place": place, "summary": summary,
                    "detail": detail.format(contact=contact["name"],
                                            product=self.rng.choice(self.products)["name"]),
                    "note": self.rng.choice(words.INTERACTION_NOTES), "source": "manual",
                    "created_by": customer.manager.id,
                    "created_at": self.work_time(day)})
        rows.extend(self.mail_interactions())
        rows.sort(key=lambda row: row["created_at"])
        ids = reserve_ids(database.obj, Interaction, len(rows))
        mail = []
        for row, interaction_id in zip(rows, ids):
            row["id"] = interaction_id
            message = row.pop("mail", None)
            if message:
                mail.append({**message, "interaction": interaction_id})
        insert_rows(Interaction, rows)
        insert_rows(MailMessage, mail)
        self.progress(f"  {len(rows)} interactions, {len(mail)} mail messages")

    def mail_interactions(self) -> list[dict[str, Any]]:
        """Mail sent to and received from contacts, each filed as an interaction."""
        rows = []
        writers = [customer for customer in self.customers
                   if customer.status == customers.NORMAL
                   and any(contact["email"] for contact in customer.contacts)]
        for number, customer in enumerate(self.rng.sample(writers, min(12, len(writers))), start=1):
            contact = next(contact for contact in customer.contacts if contact["email"])
            product = self.rng.choice(self.products)["name"]
            sent = self.work_time(self.day_between(self.days_ago(60), self.today))
            exchanges = [("out", sent)]
            if number % 2:
                exchanges.append(("in", self.later(sent, 2, 40)))
            for direction, moment in exchanges:
                subject, body = self.rng.choice(words.MAIL_OUT if direction == "out" else words.MAIL_IN)
                subject = subject.format(product=product)
                body = body.format(product=product, contact=contact["name"],
                                   manager=customer.manager.display_name)
                outgoing = direction == "out"
                sender = "sales@example.com" if outgoing else contact["email"]
                recipients = contact["email"] if outgoing else "sales@example.com"
                message = {
                    "message_id": f"<demo-{number}-{direction}@example.com>",
                    "direction": direction, "sender": sender, "recipients": recipients,
                    "subject": subject, "body": body, "date": moment, "customer": customer.id,
                    "contact": contact["id"], "status": "sent" if outgoing else "filed",
                    "created_by": customer.manager.id if outgoing else None}
                rows.append({
                    "customer": customer.id, "contact": contact["id"], "date": moment.date(),
                    "place": "电子邮件", "summary": subject, "detail": body,
                    "note": f"发送至 {recipients}" if outgoing else f"收自 {sender}",
                    "source": "mail_out" if outgoing else "mail_in",
                    "created_by": customer.manager.id if outgoing else None,
                    "created_at": moment, "mail": message})
        return rows

    # ----- opportunities and development plans --------------------------------
    def plan_opportunities(self) -> list[dict[str, Any]]:
        """Opportunities in every state; succeeded ones become customers."""
        plans = []
        states = ([sales.UNASSIGNED] * 8 + [sales.ASSIGNED] * 10 + [sales.SUCCEEDED] * 6
                  + [sales.FAILED] * 6)
        for status in states:
            rank = self.rng.randrange(5)
            company = self.maker.company(rank, self.taken_names)
            person = self.maker.person()
            phone = self.maker.mobile()
            product = self.rng.choice(self.products)["name"]
            summary, description = self.rng.choice(words.OPPORTUNITIES)
            age = {sales.UNASSIGNED: (1, 40), sales.ASSIGNED: (20, 120)}.get(status, (60, 330))
            created_at = self.work_time(self.days_ago(self.rng.randrange(*age)))
            creator = self.rng.choice(self.managers + [self.supervisor])
            plan = {
                "status": status, "source": self.rng.choice(words.OPPORTUNITY_SOURCES),
                "customer_name": company.fields["name"],
                "success_rate": self.rng.randrange(1, 10) * 10,
                "summary": summary.format(product=product),
                "contact": person.name, "contact_phone": phone,
                "description": description.format(product=product, count=self.rng.randrange(5, 60)),
                "created_by": creator, "created_at": created_at,
                "assignee": None, "assigned_at": None, "ended_at": None, "items": [],
                "contact_person": {"name": person.name, "sex": person.sex, "position": "采购经理",
                                   "office_phone": self.maker.phone(company.city), "mobile": phone,
                                   "email": f"{person.latin}@{company.domain}", "note": ""},
            }
            if status != sales.UNASSIGNED:
                self.plan_development(plan)
            plans.append(plan)
        return plans

    def plan_development(self, plan: dict[str, Any]) -> None:
        """The assignment and the plan items; the end for ended ones."""
        status = plan["status"]
        plan["assignee"] = self.rng.choice(self.managers)
        plan["assigned_at"] = self.later(plan["created_at"], 4, 96)
        steps = {sales.SUCCEEDED: len(words.PLAN_STEPS), sales.FAILED: self.rng.randrange(2, 5),
                 sales.ASSIGNED: self.rng.randrange(3, 6)}[status]
        day = plan["assigned_at"].date()
        for index in range(steps):
            day += dt.timedelta(days=self.rng.randrange(3, 12))
            content, result = words.PLAN_STEPS[min(index, len(words.PLAN_STEPS) - 1)]
            if status == sales.FAILED and index == steps - 1:
                result = self.rng.choice(words.FAILED_RESULTS)
            if status == sales.ASSIGNED and day >= self.today:
                result = ""  # still to come
            plan["items"].append({"date": day, "content": content, "result": result,
                                  "created_at": plan["assigned_at"] + dt.timedelta(hours=2)})
        if status in (sales.SUCCEEDED, sales.FAILED):
            last_day = min(day + dt.timedelta(days=self.rng.randrange(1, 4)), self.today)
            plan["ended_at"] = self.work_time(last_day)
            for item in plan["items"]:
                item["date"] = min(item["date"], last_day)

    def insert_opportunities(self, plans: list[dict[str, Any]]) -> None:
        ids = reserve_ids(database.obj, Opportunity, len(plans))
        rows, items = [], []
        transitions = {sales.UNASSIGNED: 0, sales.ASSIGNED: 1, sales.SUCCEEDED: 2, sales.FAILED: 2}
        for plan, opportunity_id in zip(sorted(plans, key=lambda plan: plan["created_at"]), ids):
            customer = plan.get("customer_plan")
            rows.append({
                "id": opportunity_id, "source": plan["source"],
                "customer_name": plan["customer_name"], "success_rate": plan["success_rate"],
                "summary": plan["summary"], "contact": plan["contact"],
                "contact_phone": plan["contact_phone"], "description": plan["description"],
                "created_by": plan["created_by"].id, "created_at": plan["created_at"],
                "assigned_to": plan["assignee"].id if plan["assignee"] else None,
                "assigned_at": plan["assigned_at"], "status": plan["status"],
                "ended_at": plan["ended_at"], "customer": customer.id if customer else None,
                "version": 1 + transitions[plan["status"]]})
            items += [{**item, "opportunity": opportunity_id} for item in plan["items"]]
        insert_rows(Opportunity, rows)
        insert_rows(PlanItem, items)
        self.progress(f"  {len(rows)} opportunities, {len(items)} plan items")

    # ----- services -------------------------------------------------------
    def make_services(self) -> None:
        """Services in every state, each with its event history."""
        candidates = [customer for customer in self.customers if customer.status == customers.NORMAL]
        stories = ([("new", 0)] * 8 + [("assigned", 0)] * 6 + [("assigned", 1)] * 2
                   + [("handled", 0)] * 8 + [("archived", 0)] * 29 + [("archived", 1)])
        services, events = [], []
        for state, sent_back in stories:
            age = {"new": (0, 6), "assigned": (3, 15), "handled": (5, 20)}.get(state, (20, 700))
            created = self.work_time(self.days_ago(self.rng.randrange(*age)))
            customer = self.rng.choice([c for c in candidates if c.created_at < created] or candidates)
            services.append(self.service_story(customer, created, state, sent_back, events))
        order = sorted(range(len(services)), key=lambda index: services[index]["created_at"])
        ids = reserve_ids(database.obj, Service, len(services))
        for service_id, index in zip(ids, order):
            services[index]["id"] = service_id
            for event in services[index].pop("events"):
                event["service"] = service_id
        events = sorted(events, key=lambda event: (event["at"], event["service"]))
        insert_rows(Service, services)
        insert_rows(ServiceEvent, events)
        self.progress(f"  {len(services)} services, {len(events)} service events")

    def service_story(self, customer: DemoCustomer, created: dt.datetime, state: str,
                      sent_back: int, all_events: list) -> dict[str, Any]:
        rng = self.rng
        type_name = rng.choices(list(words.SERVICES), weights=(45, 20, 35))[0]
        summary, request, handling, result = rng.choice(words.SERVICES[type_name])
        product = rng.choice(self.products)["name"]
        summary, request = summary.format(product=product), request.format(product=product)
        manager = customer.manager
        row = {"type": self.service_types.get(type_name) or next(iter(self.service_types.values())),
               "summary": summary, "customer": customer.id, "request": request,
               "status": service.NEW, "created_by": manager.id, "created_at": created,
               "version": 1, "events": []}

        def event(kind: str, actor: User, at: dt.datetime, text: str = "",
                  satisfaction: int | None = None) -> None:
            record = {"kind": kind, "actor": actor.id, "at": at, "text": text,
                      "satisfaction": satisfaction}
            row["events"].append(record)
            all_events.append(record)
            row["version"] += 0 if kind == service.CREATED else 1

        event(service.CREATED, manager, created, request)
        if state == "new":
            return row
        assignee = manager if rng.random() < 0.8 else rng.choice(self.managers)
        moment = self.later(created, 1, 24)
        row.update(status=service.ASSIGNED, assigned_to=assignee.id, assigned_at=moment)
        event(service.ASSIGNMENT, self.supervisor, moment, assignee.display_name)
        rounds = sent_back + (1 if state in ("handled", "archived") else 0)
        for round_number in range(rounds):
            moment = self.later(moment, 4, 48)
            text = handling if round_number == 0 else rng.choice(words.SECOND_HANDLINGS)
            row.update(status=service.HANDLED, handling=text, handled_by=assignee.id,
                       handled_at=moment)
            event(service.HANDLING, assignee, moment, text)
            if round_number < sent_back:
                # The customer was not satisfied: back to assigned, handled again.
                moment = self.later(moment, 2, 72)
                unhappy = rng.choice(words.UNSATISFIED_RESULTS)
                score = 2 if state == "archived" else rng.choice((1, 2))
                row.update(status=service.ASSIGNED, result=unhappy, satisfaction=score)
                event(service.FEEDBACK, manager, moment, unhappy, score)
        if state == "archived":
            moment = self.later(moment, 2, 96)
            score = 4 if sent_back else rng.choice((3, 4, 4, 5, 5))
            row.update(status=service.ARCHIVED, result=result, satisfaction=score,
                       archived_at=moment)
            event(service.FEEDBACK, manager, moment, result, score)
        return row

    # ----- churn -----------------------------------------------------------
    def plan_churn(self) -> None:
        """The alerts of the customers whose story has one, with the dates
        the weekly scan and the account manager would have given them."""
        for customer in self.customers:
            if customer.profile not in (WARNING, DEFERRED, CONFIRMED, CLOSED):
                continue
            last = customer.order_days[-1]
            created = scan_time_after(churn.months_before(last, -6))
            alert = {"customer": customer.id, "last_order_date": last, "created_at": created,
                     "status": churn.WARNING, "measures": [], "version": 1}
            customer.alert = alert
            moment = created
            measures = {WARNING: 0, DEFERRED: self.rng.randrange(1, 3),
                        CONFIRMED: self.rng.randrange(1, 3), CLOSED: 1}[customer.profile]
            for _ in range(measures):
                day = min(moment.date() + dt.timedelta(days=self.rng.randrange(2, 20)), self.today)
                moment = max(self.work_time(day), moment)
                alert["measures"].append({"text": self.rng.choice(words.CHURN_MEASURES),
                                          "author": customer.manager.id, "created_at": moment})
                alert.update(status=churn.DEFERRED, version=alert["version"] + 1)
            if customer.profile == CONFIRMED:
                lost = min(moment.date() + dt.timedelta(days=self.rng.randrange(7, 30)), self.today)
                alert.update(status=churn.CONFIRMED, reason=self.rng.choice(words.CHURN_REASONS),
                             lost_date=lost, version=alert["version"] + 1)
                customer.status, customer.lost_at = customers.LOST, lost
            elif customer.profile == CLOSED:
                # The customer ordered again; the next scan closed the alert.
                again = min(moment.date() + dt.timedelta(days=self.rng.randrange(5, 30)),
                            self.days_ago(8))
                customer.order_days.append(again)
                alert.update(status=churn.CLOSED, closed_at=scan_time_after(again),
                             closed_note=churn.ORDERED_AGAIN, version=alert["version"] + 1)

    def make_contracts(self) -> None:
        made = DemoContracts(self).make()
        self.progress(f"  {made} contracts with their plans and payments")

    def make_churn_alerts(self) -> None:
        alerts = [customer.alert for customer in self.customers if customer.alert]
        alerts.sort(key=lambda alert: alert["created_at"])
        ids = reserve_ids(database.obj, ChurnAlert, len(alerts))
        measures = []
        for alert, alert_id in zip(alerts, ids):
            alert["id"] = alert_id
            measures += [{**measure, "alert": alert_id} for measure in alert.pop("measures")]
        insert_rows(ChurnAlert, alerts)
        insert_rows(ChurnMeasure, measures)
        self.progress(f"  {len(alerts)} churn alerts, {len(measures)} measures")


# ----- contracts ----------------------------------------------------------------

# The demo's contracts: (final state, how many), from drafts to the end.
CONTRACT_STORIES = (("draft", 3), ("submitted", 2), ("large", 1), ("rejected", 1),
                    ("approved", 2), ("in_force", 6), ("overdue", 3), ("completed", 3),
                    ("terminated", 1))
CONTRACT_TITLES = ("年度设备供货合同", "配电系统改造合同", "备品备件框架合同", "自动化产线合同",
                   "技术服务合同", "运维外包合同")


class DemoContracts:
    """Contracts made through the rules themselves, each step with the
    clock moved to when it happened: drafted, planned, submitted, approved
    (by the executive too for a large one), signed, paid; some overdue."""

    def __init__(self, company: "DemoCompany"):
        self.company = company
        self.rng = company.rng
        self.method = DictionaryEntry.of_type(contracts.PAYMENT_METHOD).first().id

    def at(self, day: dt.date) -> None:
        moment = self.company.work_time(day)
        clock.set_clock(lambda: moment)

    def make(self) -> int:
        normal = [c for c in self.company.customers if c.status == customers.NORMAL]
        made, clock_before = 0, clock.current_clock()
        try:
            for story, count in CONTRACT_STORIES:
                for _ in range(count):
                    self.story(self.rng.choice(normal), story)
                    made += 1
        finally:
            clock.set_clock(clock_before)
        return made

    def story(self, customer: "DemoCustomer", story: str) -> None:
        company, manager = self.company, customer.manager
        active = story in ("in_force", "overdue", "completed", "terminated")
        start = company.days_ago(self.rng.randrange(120, 300) if active
                                 else self.rng.randrange(5, 40))
        amount = (Decimal(self.rng.randrange(150, 400)) * 10000 if story == "large"
                  else Decimal(self.rng.randrange(5, 80)) * 10000)
        self.at(start - dt.timedelta(days=10))
        contract = contracts.Contract.create_by(manager, {
            "title": self.rng.choice(CONTRACT_TITLES), "customer": customer.id,
            "amount": str(amount), "start_date": start.isoformat(),
            "end_date": (start + dt.timedelta(days=365)).isoformat(),
            "payment_terms": "按回款计划分期支付"})
        parts = self.rng.randrange(2, 5)
        share = (amount / parts).quantize(Decimal("1"))
        for index in range(parts):
            due = start + dt.timedelta(days=45 * (index + 1))
            part = share if index < parts - 1 else amount - share * (parts - 1)
            contract.add_instalment_by(manager, {"due_date": due.isoformat(),
                                                 "amount": str(part)})
        if story == "draft":
            return
        contract = contract.submit_by(manager)
        self.at(start - dt.timedelta(days=8))
        if story == "rejected":
            contract.reject_by(company.supervisor, {"comment": "付款条件需与财务确认"})
            return
        if story == "submitted":
            return
        contract = contract.approve_by(company.supervisor, {"comment": "同意"})
        if story == "large":
            return  # waiting for the executive
        if story == "approved":
            return
        self.at(start - dt.timedelta(days=5))
        signed = start - dt.timedelta(days=5)
        contract = contract.sign_by(manager, {"sign_date": signed.isoformat()})
        self.pay(contract, manager, story)

    def pay(self, contract, manager, story: str) -> None:
        """Completed: everything paid. In force: what fell due, but the last
        instalment. Overdue and terminated: the first instalment only."""
        company = self.company
        plan = list(contracts.Instalment.select()
                    .where(contracts.Instalment.contract == contract.id)
                    .order_by(contracts.Instalment.due_date))
        if story == "completed":
            to_pay = plan
        elif story == "in_force":
            to_pay = [item for item in plan[:-1] if item.due_date < company.today]
        else:
            to_pay = plan[:1]
        for instalment in to_pay:
            paid_on = min(instalment.due_date + dt.timedelta(days=self.rng.randrange(0, 10)),
                          company.today)
            self.at(paid_on)
            instalment.pay_by(manager, {"date": paid_on.isoformat(), "amount": instalment.amount,
                                        "method": self.method})
        if story == "terminated":
            self.at(company.days_ago(3))
            contracts.Contract.get_by_id(contract.id).terminate_by(
                manager, {"reason": "客户项目取消"})


# ----- data at scale ---------------------------------------------------------

@dataclass(frozen=True)
class ScaleFill:
    customers: int
    orders: int
    order_lines: int
    managers_created: int
    seconds: float
    contracts: int = 0
    instalments: int = 0


CUSTOMER_CHUNK = 5_000
ORDER_CHUNK = 20_000
# One account manager per this many generated customers.
CUSTOMERS_PER_MANAGER = 2_000
SCALE_MANAGER_LOGIN = "sales{:03d}"
# Generated customers came on file two to three years ago, before their orders.
SCALE_CREATED_DAYS = (731, 1095)
ORDER_DAYS = 730
STALE_AFTER_DAYS = 213  # seven months
CUSTOMER_COLUMNS = ("id", "number", "name", "region", "manager", "level",
                    "satisfaction", "credit", "address", "postcode", "phone", "fax", "website",
                    "licence_number", "legal_representative", "registered_capital",
                    "annual_turnover", "bank", "bank_account", "local_tax_number",
                    "national_tax_number", "status", "created_at", "version",
                    "name_key", "phone_key", "tax_key")
ORDER_COLUMNS = ("id", "number", "customer_id", "date", "delivery_address", "status", "amount")
LINE_COLUMNS = ("order", "product", "quantity", "unit", "unit_price", "amount")
CONTRACT_CHUNK = 5_000
SCALE_INSTALMENTS = 4
# The states of generated contracts, with their weights.
SCALE_CONTRACT_STATES = (("in_force", 60), ("completed", 25), ("draft", 5), ("submitted", 5),
                         ("approved", 3), ("terminated", 2))
SCALE_CONTRACT_COLUMNS = ("id", "number", "title", "customer", "amount", "start_date",
                          "end_date", "sign_date", "payment_terms", "note", "status",
                          "created_by", "created_at", "termination_reason", "version")
SCALE_INSTALMENT_COLUMNS = ("id", "contract", "due_date", "amount", "note", "paid")
SCALE_PAYMENT_COLUMNS = ("contract", "instalment", "date", "amount", "method", "reference",
                         "recorded_at")
# How many orders a customer of each level places, relative to the others.
ORDER_WEIGHT_BY_LEVEL_RANK = (1.0, 1.5, 3.0, 2.0, 4.0)


def fill_at_scale(customers: int, orders: int, seed: int = 1,
                  progress: Progress = print, contracts: int = 0, leads: int = 0) -> ScaleFill:
    """Add `customers` customers and `orders` orders (1-3 lines each) to the
    bound databases, in transactions of a few thousand rows.

    Adds to what is there: customer numbers continue each day's sequence,
    the account managers it needs (sales001 ...) are created once and reused.
    About one customer in twenty never orders and one in ten stopped
    ordering seven or more months ago, so the churn scan has work.
    """
    started = time.perf_counter()
    filler = _ScaleFiller(random.Random(seed), progress)
    managers_created = filler.ensure_managers(max(3, -(-customers // CUSTOMERS_PER_MANAGER)))
    filler.ensure_products()
    # One in a hundred of them typed again, a little differently.
    duplicates = customers // SCALE_SHARE
    filler.add_customers(customers - duplicates)
    add_near_duplicates(duplicates, random.Random(seed), progress)
    lines = filler.add_orders(orders)
    instalments = filler.add_contracts(contracts)
    demo_campaigns.fill_leads_at_scale(leads, filler.maker, insert_rows, reserve_ids, progress)
    summed = order_figures.refresh(order_figures.FULL)
    progress(f"order figures summed for {summed.customers:,} customers in {summed.seconds:.1f} s")
    seconds = time.perf_counter() - started
    progress(f"added {customers:,} customers, {orders:,} orders, {lines:,} order lines, "
             f"{contracts:,} contracts with {instalments:,} instalments in {seconds:.1f} s")
    return ScaleFill(customers, orders, lines, managers_created, seconds, contracts, instalments)


class _ScaleFiller:
    def __init__(self, rng: random.Random, progress: Progress):
        self.rng = rng
        self.progress = progress
        self.crm = database.obj
        self.sales = sales_database.obj
        self.today = clock.today()
        regions = [(entry.id, entry.item) for entry in DictionaryEntry.of_type(REGION)]
        self.levels = [entry.id for entry in DictionaryEntry.of_type(CUSTOMER_LEVEL)]
        if not regions or not self.levels:
            raise ValueError("the data dictionary has no regions or customer levels: "
                             "run crm-tui init first")
        self.maker = CompanyMaker(rng, regions)

    def ensure_managers(self, count: int) -> int:
        """The account managers sales001 ... sales<count>: reused when they
        exist, created (with the demo password) when not."""
        manager_role = Role.get(Role.key == users.MANAGER)
        logins = [SCALE_MANAGER_LOGIN.format(number) for number in range(1, count + 1)]
        existing = {user.login: user for user in User.select().where(User.login.in_(logins))}
        # One hash for all: hashing is slow on purpose, and they share a password.
        template = User()
        template.set_password(DEMO_PASSWORD)
        password_hash = template.password_hash
        new_rows = []
        for number, login in enumerate(logins):
            if login not in existing:
                surname = words.SURNAMES[number % len(words.SURNAMES)][0]
                given = words.GIVEN_NAMES[number // len(words.SURNAMES) % len(words.GIVEN_NAMES)][0]
                new_rows.append({"login": login, "display_name": surname + given,
                                 "role": manager_role.id, "active": True,
                                 "password_hash": password_hash, "created_at": clock.now()})
        with self.crm.atomic():
            insert_rows(User, new_rows)
        self.manager_ids = [user.id for user in User.select().where(
            User.login.in_(logins) & (User.role == manager_role.id) & (User.active == True))]  # noqa: E712
        if not self.manager_ids:
            raise ValueError("no active account manager to give the customers to")
        return len(new_rows)

    def ensure_products(self) -> None:
        """The catalogue (and its stock) when the sales system has none."""
        if not Product.select().exists():
            with self.sales.atomic():
                rows = [{"name": name, "model": model, "batch": batch, "unit": unit,
                         "price": Decimal(price), "note": note}
                        for name, model, batch, unit, price, note in words.PRODUCTS]
                insert_rows(Product, rows)
                insert_rows(Stock, [{"product": product_id, "warehouse": warehouse,
                                     "location": "A-01-01", "quantity": 500}
                                    for (product_id,) in Product.select(Product.id).tuples()
                                    for warehouse in words.WAREHOUSES[:2]])
        self.products = []
        for product_id, unit, price in Product.select(Product.id, Product.unit, Product.price).tuples():
            least, most = words.QUANTITY_BY_UNIT.get(unit, (1, 20))
            self.products.append((product_id, unit, int(Decimal(price) * 100), least, most))

    @staticmethod
    def next_sequences(field: Any, letters: str) -> dict[str, int]:
        """The last sequence number of each day's numbers (letters + date +
        n), so that generated numbers follow the ones there."""
        last: dict[str, int] = {}
        pattern = re.compile(letters + r"(\d{8})(\d+)$")
        for (number,) in field.model.select(field).where(
                field.startswith(letters)).tuples().iterator():
            found = pattern.match(number)
            if found:
                day, sequence = found.group(1), int(found.group(2))
                if sequence > last.get(day, 0):
                    last[day] = sequence
        return last

    def add_customers(self, count: int) -> None:
        rng = self.rng
        sequences = self.next_sequences(Customer.number, "KH")
        first, last = SCALE_CREATED_DAYS
        days = [self.today - dt.timedelta(days=offset) for offset in range(first, last)]
        self.customer_ids: list[int] = []
        self.customer_managers: list[int] = []
        self.addresses: list[str] = []
        self.stale: list[bool] = []
        weights: list[float] = []
        level_cum = level_weights(len(self.levels))
        ticker = _Ticker("customers", count, self.progress)
        done = 0
        while done < count:
            size = min(CUSTOMER_CHUNK, count - done)
            rows = []
            with self.crm.atomic():
                for customer_id in reserve_ids(self.crm, Customer, size):
                    day = days[rng.randrange(len(days))]
                    key = f"{day:%Y%m%d}"
                    sequences[key] = sequences.get(key, 0) + 1
                    rank = weighted_index(rng, level_cum)
                    values = self.maker.company(rank).fields
                    created = f"{day} {rng.randrange(9, 18):02d}:{rng.randrange(60):02d}:00"
                    values.update(id=customer_id, number=f"KH{key}{sequences[key]:03d}",
                                  manager=self.manager_ids[rng.randrange(len(self.manager_ids))],
                                  level=self.levels[rank], status=customers.NORMAL,
                                  created_at=created, version=1, **customer_keys(values))
                    rows.append(tuple(values[name] for name in CUSTOMER_COLUMNS))
                    self.customer_ids.append(customer_id)
                    self.customer_managers.append(values["manager"])
                    self.addresses.append(values["address"])
                    never = rng.random() < 0.05
                    self.stale.append(not never and rng.random() < 0.1)
                    rank = min(rank, len(ORDER_WEIGHT_BY_LEVEL_RANK) - 1)
                    weights.append(0.0 if never else ORDER_WEIGHT_BY_LEVEL_RANK[rank])
                bulk_insert(self.crm, Customer, CUSTOMER_COLUMNS, rows)
            done += size
            ticker.at(done)
        self.customer_cum = list(itertools.accumulate(weights))

    def add_orders(self, count: int) -> int:
        """Orders over the last two years, mostly shipped or paid; returns
        how many lines they have."""
        if count and (not self.customer_ids or self.customer_cum[-1] == 0):
            raise ValueError("no customer to give the orders to")
        rng, random_ = self.rng, self.rng.random
        day_text = [f"{self.today - dt.timedelta(days=offset)}" for offset in range(ORDER_DAYS)]
        day_compact = [text.replace("-", "") for text in day_text]
        # Recent orders are still on their way; older ones shipped (5) or paid (6).
        statuses = [(1, 1, 2, 2, 3, 4, 5) if offset <= 10
                    else (2, 3, 4, 5, 5, 6, 6) if offset <= 45
                    else (5, 6, 6, 6, 6, 6, 6, 6, 6, 6) for offset in range(ORDER_DAYS)]
        products, product_count = self.products, len(self.products)
        stale_span = ORDER_DAYS - STALE_AFTER_DAYS
        lines_total = 0
        ticker = _Ticker("orders", count, self.progress)
        done = 0
        while done < count:
            size = min(ORDER_CHUNK, count - done)
            buyers = rng.choices(range(len(self.customer_ids)), cum_weights=self.customer_cum, k=size)
            order_rows, line_rows = [], []
            with self.sales.atomic():
                for order_id, buyer in zip(reserve_ids(self.sales, Order, size), buyers):
                    if self.stale[buyer]:
                        offset = STALE_AFTER_DAYS + int(random_() * stale_span)
                    else:
                        offset = int(random_() * ORDER_DAYS)
                    total = 0
                    for _ in range(1 + int(random_() * 3)):
                        product_id, unit, price, least, most = products[int(random_() * product_count)]
                        quantity = least + int(random_() * (most - least + 1))
                        amount = price * quantity
                        total += amount
                        line_rows.append((order_id, product_id, quantity, unit, price / 100,
                                          amount / 100))
                    status_choices = statuses[offset]
                    order_rows.append((order_id, f"SO{day_compact[offset]}{order_id:07d}",
                                       self.customer_ids[buyer], day_text[offset],
                                       self.addresses[buyer],
                                       status_choices[int(random_() * len(status_choices))],
                                       total / 100))
                bulk_insert(self.sales, Order, ORDER_COLUMNS, order_rows)
                bulk_insert(self.sales, OrderLine, LINE_COLUMNS, line_rows)
            lines_total += len(line_rows)
            done += size
            ticker.at(done)
        return lines_total


    def add_contracts(self, count: int) -> int:
        """Contracts of the generated customers, four instalments each, in
        the states a company's contracts are in: mostly in force (with the
        instalments due paid, one in ten of the older ones late) or
        completed; some drafts, submitted, approved, terminated. Returns how
        many instalments they have."""
        if count and not self.customer_ids:
            raise ValueError("no customer to give the contracts to")
        rng = self.rng
        method = DictionaryEntry.of_type(contracts.PAYMENT_METHOD).first().id
        states = [state for state, weight in SCALE_CONTRACT_STATES for _ in range(weight)]
        sequences = self.next_sequences(contracts.Contract.number, "HT")
        instalments_total = 0
        ticker = _Ticker("contracts", count, self.progress)
        done = 0
        while done < count:
            size = min(CONTRACT_CHUNK, count - done)
            contract_rows, instalment_rows, payment_rows = [], [], []
            with self.crm.atomic():
                contract_ids = reserve_ids(self.crm, contracts.Contract, size)
                instalment_ids = iter(reserve_ids(self.crm, contracts.Instalment,
                                                  size * SCALE_INSTALMENTS))
                for contract_id in contract_ids:
                    buyer = rng.randrange(len(self.customer_ids))
                    state = states[rng.randrange(len(states))]
                    start = self.today - dt.timedelta(days=rng.randrange(30, 700))
                    key = f"{start:%Y%m%d}"
                    sequences[key] = sequences.get(key, 0) + 1
                    part = Decimal(rng.randrange(1, 20)) * 10000
                    signed = state in ("in_force", "completed", "terminated")
                    contract_rows.append((
                        contract_id, f"HT{key}{sequences[key]:03d}",
                        CONTRACT_TITLES[rng.randrange(len(CONTRACT_TITLES))],
                        self.customer_ids[buyer], float(part * SCALE_INSTALMENTS),
                        f"{start}", f"{start + dt.timedelta(days=365)}",
                        f"{start}" if signed else None, "", "", state,
                        self.customer_managers[buyer], f"{start} 09:00:00",
                        "客户项目取消" if state == "terminated" else "", 1))
                    for number in range(SCALE_INSTALMENTS):
                        instalment_id = next(instalment_ids)
                        due = start + dt.timedelta(days=90 * (number + 1))
                        late = rng.random() < 0.1
                        paid = state == "completed" or (
                            state == "in_force" and due < self.today and not late)
                        instalment_rows.append((instalment_id, contract_id, f"{due}",
                                                float(part), "", float(part) if paid else 0))
                        if paid:
                            payment_rows.append((contract_id, instalment_id, f"{due}",
                                                 float(part), method, "",
                                                 f"{due} 10:00:00"))
                bulk_insert(self.crm, contracts.Contract, SCALE_CONTRACT_COLUMNS, contract_rows)
                bulk_insert(self.crm, contracts.Instalment, SCALE_INSTALMENT_COLUMNS,
                            instalment_rows)
                bulk_insert(self.crm, contracts.Payment, SCALE_PAYMENT_COLUMNS, payment_rows)
            instalments_total += len(instalment_rows)
            done += size
            ticker.at(done)
        return instalments_total


class _Ticker:
    """Progress in tenths: "customers 30,000 / 100,000"."""

    def __init__(self, what: str, total: int, progress: Progress):
        self.what, self.total, self.progress = what, total, progress
        self.next_tenth = 1
        self.started = time.perf_counter()

    def at(self, done: int) -> None:
        if self.total and (done * 10 >= self.next_tenth * self.total or done == self.total):
            self.progress(f"  {self.what} {done:,} / {self.total:,} "
                          f"({time.perf_counter() - self.started:.1f} s)")
            self.next_tenth = done * 10 // self.total + 1

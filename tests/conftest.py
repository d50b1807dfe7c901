"""Shared fixtures.

`crm_db` runs a test on a fresh SQLite file and, when CRM_TEST_PG_URL is set
(CI sets it), again on PostgreSQL, each time migrated and seeded like a real
install. On PostgreSQL every test process works in a schema of its own, so
test runs side by side do not disturb each other. A PostgreSQL URL that does
not answer fails the tests: it is never skipped.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from decimal import Decimal

import pytest
from argon2 import PasswordHasher

from crm_tui import clock
from crm_tui.config import DatabaseConfig
from crm_tui.db import init_databases, open_database
from crm_tui.i18n import set_locale
from crm_tui.models import accounts, database, sales_database, users
from crm_tui.models.customers import Customer
from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION, DictionaryEntry

PG_URL = os.environ.get("CRM_TEST_PG_URL", "")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])
PASSWORD = "correct horse"


@pytest.fixture(autouse=True)
def fast_password_hashing(request, monkeypatch):
    """Cheap argon2 parameters, except in tests marked real_hashing."""
    if "real_hashing" not in request.keywords:
        monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture(autouse=True)
def english_and_real_clock():
    set_locale("en")
    yield
    clock.set_clock(None)


def _sqlite(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    return db, lambda: None


def _postgres():
    from playhouse.db_url import connect

    schema = f"crm_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = connect(PG_URL)
    admin.connect()  # an unreachable server fails the test here, on purpose
    admin.execute_sql(f"CREATE SCHEMA {schema}")
    db = connect(PG_URL, options=f"-c search_path={schema}")

    def drop():
        db.close()
        admin.execute_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.close()

    return db, drop


def bind_fresh_database(backend: str, tmp_path):
    db, cleanup = _sqlite(tmp_path) if backend == "sqlite" else _postgres()
    database.initialize(db)
    sales_database.initialize(db)
    db.connect(reuse_if_open=True)
    init_databases(db, db)
    return db, cleanup


@pytest.fixture(params=BACKENDS)
def crm_db(request, tmp_path):
    """A migrated, seeded database: SQLite, and PostgreSQL when configured."""
    db, cleanup = bind_fresh_database(request.param, tmp_path)
    yield db
    cleanup()


@pytest.fixture
def sqlite_db(tmp_path):
    """SQLite only: for screen tests, which test the screens, not the SQL."""
    db, cleanup = bind_fresh_database("sqlite", tmp_path)
    yield db
    cleanup()


@pytest.fixture
def sqlite_url(sqlite_db, tmp_path) -> DatabaseConfig:
    return DatabaseConfig(url=f"sqlite:///{tmp_path / 'crm.sqlite3'}")


def make_user(role_key: str, login: str, name: str | None = None) -> users.User:
    return accounts.create_user(None, login, name or login.title(), role_key, PASSWORD)


@pytest.fixture
def people(request):
    """One user of each role, and two account managers. Needs a database
    fixture first (crm_db or sqlite_db)."""
    class People:
        admin = make_user("admin", "admin", "管理员")
        executive = make_user("executive", "exec", "高总")
        supervisor = make_user("supervisor", "super", "李主管")
        manager = make_user("manager", "wang", "王经理")
        other_manager = make_user("manager", "zhao", "赵经理")
    return People


def entry(type_name: str, item: str | None = None) -> DictionaryEntry:
    query = DictionaryEntry.of_type(type_name)
    if item:
        query = query.where(DictionaryEntry.item == item)
    return query.first()


def customer_values(manager: users.User, **overrides) -> dict:
    """A complete, valid customer form."""
    values = {
        "name": "北京远大科技有限公司", "region": entry(REGION, "北京").id, "manager": manager.id,
        "level": entry(CUSTOMER_LEVEL, "大客户").id, "satisfaction": "4", "credit": "5",
        "address": "北京市海淀区中关村大街1号", "postcode": "100080", "phone": "010-62345678",
        "legal_representative": "张伟", "bank": "中国工商银行北京分行",
        "bank_account": "0200001234567890123", "local_tax_number": "110108123456789",
        "national_tax_number": "110108987654321", "registered_capital": "500",
    }
    values.update(overrides)
    return values


def make_customer(manager: users.User, actor: users.User | None = None, **overrides) -> Customer:
    return Customer.create_by(actor or manager, customer_values(manager, **overrides))


def at(year: int, month: int, day: int, hour: int = 9) -> None:
    """Move the CRM's clock to a fixed time."""
    moment = dt.datetime(year, month, day, hour)
    clock.set_clock(lambda: moment)


__all__ = ["Decimal", "PASSWORD", "at", "customer_values", "entry", "make_customer", "make_user"]

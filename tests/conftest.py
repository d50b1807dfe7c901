"""Shared fixtures.

`crm_db` runs a test on a fresh SQLite file and, when CRM_TEST_PG_URL is set
(CI sets it), again on PostgreSQL, each time migrated and seeded like a real
install. The migrating is done once per test process (pytest-xdist runs
several): SQLite tests get a copy of a migrated file, PostgreSQL tests the
process's own schema brought back to its migrated state. So test processes
side by side do not disturb each other. A PostgreSQL URL that does not
answer fails the tests: it is never skipped.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest
from argon2 import PasswordHasher
from peewee import AutoField, Database, sort_models

from crm_tui import clock
from crm_tui.config import DatabaseConfig
from crm_tui.db import init_databases, open_database
from crm_tui.i18n import set_locale
from crm_tui.models import CRM_MODELS, SALES_MODELS, accounts, database, sales_database, users
from crm_tui.models.base import is_postgres
from crm_tui.models.customers import Customer
from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION, DictionaryEntry

PG_URL = os.environ.get("CRM_TEST_PG_URL", "")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])
PASSWORD = "correct horse"
MIGRATED = "migrated"


def pytest_configure(config):
    # Scrolling and other animations finish at once, so a key that scrolls
    # a long form needs no wait for the scroll to play out. Textual reads
    # this when it is first imported: when the test modules are collected.
    os.environ["TEXTUAL_ANIMATIONS"] = "none"


@pytest.fixture(autouse=True)
def fast_password_hashing(request, monkeypatch):
    """Cheap argon2 parameters, except in tests marked real_hashing."""
    if "real_hashing" not in request.keywords:
        monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture(autouse=True)
def private_folders(tmp_path, monkeypatch):
    """The user's data, log and config folders inside the test's own folder
    (for this process and the commands it starts), never the real home."""
    for variable in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / "home" / variable.lower()))
    for variable in ("CRM_TUI_SMTP_PASSWORD", "CRM_TUI_IMAP_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(autouse=True)
def english_and_real_clock():
    set_locale("en")
    yield
    clock.set_clock(None)


# ----- databases: migrated once per test process, copied for each test ------

def _bind_and_migrate(db: Database) -> None:
    database.initialize(db)
    sales_database.initialize(db)
    db.connect(reuse_if_open=True)
    init_databases(db, db)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated, seeded SQLite file, made once per test process."""
    path = tmp_path_factory.mktemp("template") / "crm.sqlite3"
    db = open_database(f"sqlite:///{path}")
    _bind_and_migrate(db)
    # Everything into the file itself, so that a copy of it is complete.
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


def _sqlite(template: Path, tmp_path: Path) -> Database:
    """A copy of the migrated file: a millisecond, where migrating takes ~70."""
    path = tmp_path / "crm.sqlite3"
    shutil.copyfile(template, path)
    db = open_database(f"sqlite:///{path}")
    database.initialize(db)
    sales_database.initialize(db)
    db.connect()
    return db


class PostgresSchema:
    """The test process's own PostgreSQL schema, migrated and seeded once.

    Before each test it is brought back to that state: every table emptied
    and the seeded rows (roles, permissions, dictionary) copied back from a
    snapshot schema that keeps them, ids starting where a new install
    starts. That takes milliseconds where migrating a new schema takes most
    of a second. A test that changed the tables themselves gets a newly
    migrated schema instead. Each test still gets a connection of its own.
    """

    def __init__(self) -> None:
        from playhouse.db_url import connect

        self._connect = connect
        self.admin = connect(PG_URL)
        self.admin.connect()  # an unreachable server fails the tests here, on purpose
        self._build()

    def connection(self) -> Database:
        # No waiting for the disk at each commit: a test database need not
        # survive a power cut.
        return self._connect(PG_URL, options=f"-c search_path={self.name} "
                                             "-c synchronous_commit=off")

    def fresh(self) -> Database:
        """A new connection to the schema, in its just-migrated state."""
        db = self._bound_connection()
        try:
            if self._shape(db) != self.shape:
                raise RuntimeError("a test changed the tables")
            self.restore(db, MIGRATED)
        except Exception:  # a changed schema, or rows still locked by a test
            db.close()
            self.drop()
            self._build()
            db = self._bound_connection()
            self.restore(db, MIGRATED)
        return db

    def _bound_connection(self) -> Database:
        db = self.connection()
        database.initialize(db)
        sales_database.initialize(db)
        db.connect()
        return db

    def take(self, db: Database, label: str) -> None:
        """Keep a copy of every table's rows, to `restore` later."""
        kept = f"{self.name}_{label}"
        db.execute_sql(f"CREATE SCHEMA {kept}")
        filled = [table for table in self.tables
                  if db.execute_sql(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]]
        for table in filled:
            db.execute_sql(f'CREATE TABLE {kept}."{table}" AS SELECT * FROM "{table}"')
        self.snapshots[label] = ";\n".join(
            [f'DELETE FROM "{table}"' for table in reversed(self.tables)]
            + [f'INSERT INTO "{table}" SELECT * FROM {kept}."{table}"' for table in filled]
            + ["SELECT " + ", ".join(
                f"setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"), false)'
                for table in self.counters)])

    def restore(self, db: Database, label: str) -> bool:
        """Put back the rows kept as `label`; False when none were."""
        if label not in self.snapshots:
            return False
        with db.atomic():
            db.execute_sql("SET LOCAL lock_timeout = '10s'")
            # The rows were consistent when kept: no foreign key checks, row
            # by row, while they are put back (the test user is a superuser).
            db.execute_sql("SET LOCAL session_replication_role = replica")
            db.execute_sql(self.snapshots[label])
        return True

    def drop(self) -> None:
        for schema in [self.name] + [f"{self.name}_{label}" for label in self.snapshots]:
            self.admin.execute_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    def _build(self) -> None:
        self.name = f"crm_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.snapshots: dict[str, str] = {}
        self.admin.execute_sql(f"CREATE SCHEMA {self.name}")
        db = self.connection()
        _bind_and_migrate(db)
        models = sort_models(CRM_MODELS + SALES_MODELS)
        self.tables = [model._meta.table_name for model in models]
        self.counters = [model._meta.table_name for model in models
                         if isinstance(model._meta.primary_key, AutoField)]
        self.take(db, MIGRATED)
        self.shape = self._shape(db)
        db.close()

    def _shape(self, db: Database) -> list[tuple]:
        """The schema's tables, columns, indexes and sequences."""
        return db.execute_sql(
            "SELECT c.relname, c.relkind, a.attname, a.atttypid FROM pg_class c "
            "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
            "AND NOT a.attisdropped WHERE c.relnamespace = %s::regnamespace "
            "ORDER BY c.relname, a.attname", (self.name,)).fetchall()


@pytest.fixture(scope="session")
def postgres_schema():
    schema = PostgresSchema()
    yield schema
    schema.drop()
    schema.admin.close()


class Snapshots:
    """Database contents built once per test process and copied into a
    test's database afterwards, for data that takes seconds to build (the
    demo company, the report figures' data) and that many tests read. The
    build must give the same rows every time: a seeded random generator,
    a fixed clock."""

    def __init__(self, request, folder: Path) -> None:
        self.request = request
        self.folder = folder
        self.files: dict[str, Path] = {}
        self.built: dict[tuple[bool, str], Any] = {}

    def restore_or_build(self, db: Database, label: str, build: Callable[[], Any]) -> Any:
        """Give `db`, a fresh test database, the contents `build()` leaves in
        one: built the first time, copied from then on. Returns what the
        build returned, the first time."""
        key = (is_postgres(db), label)
        if is_postgres(db):
            schema = self.request.getfixturevalue("postgres_schema")
            if schema.restore(db, label):
                return self.built[key]
            self.built[key] = build()
            schema.take(db, label)
            return self.built[key]
        path = Path(db.database)
        if label in self.files:
            db.close()
            shutil.copyfile(self.files[label], path)
            db.connect()
            return self.built[key]
        self.built[key] = build()
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        self.files[label] = self.folder / f"{label}.sqlite3"
        shutil.copyfile(path, self.files[label])
        return self.built[key]


@pytest.fixture(scope="session")
def snapshots(request, tmp_path_factory) -> Snapshots:
    return Snapshots(request, tmp_path_factory.mktemp("snapshots"))


@pytest.fixture(params=BACKENDS)
def crm_db(request, tmp_path):
    """A migrated, seeded database: SQLite, and PostgreSQL when configured."""
    if request.param == "sqlite":
        db = _sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        db = request.getfixturevalue("postgres_schema").fresh()
    yield db
    db.close()


@pytest.fixture
def sqlite_db(sqlite_template, tmp_path):
    """SQLite only: for screen tests, which test the screens, not the SQL."""
    db = _sqlite(sqlite_template, tmp_path)
    yield db
    db.close()


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


def offers(record, actor: users.User, action_id: str) -> bool:
    """Whether the record's kind offers action `action_id` to `actor` now:
    what the screens show, from the same check the write runs."""
    from crm_tui.models.kinds import kind

    # A model's record kind bears its table's name (service, churn_alert ...).
    return kind(type(record)._meta.table_name).action(action_id).allowed(record, actor)


def at(year: int, month: int, day: int, hour: int = 9) -> None:
    """Move the CRM's clock to a fixed time."""
    moment = dt.datetime(year, month, day, hour)
    clock.set_clock(lambda: moment)


__all__ = ["Decimal", "PASSWORD", "at", "customer_values", "entry", "make_customer", "make_user",
           "offers"]

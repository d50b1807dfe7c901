"""The database: built from a URL, tuned for many users at once, migrated.

SQLite (the embedded default) runs in WAL mode with foreign keys on, a busy
timeout, and write transactions that take the write lock when they begin
(BEGIN IMMEDIATE): many SSH sessions writing at once then wait for each
other instead of failing with "database is locked". PostgreSQL is the same
code with another URL.

Only `crm-tui init` and `crm-tui demo` create a database (`bind(...,
create=True)`); everything else opens an existing one and stops with a
one-line message when it is missing, empty or not yet upgraded, so a typo in
a path never starts an empty CRM.

Statements slower than `slow_query_ms` are logged to the app log (the SQL
text only: the parameters may hold personal data or password hashes).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from urllib.parse import urlparse

from peewee import Database, OperationalError, PostgresqlDatabase

from crm_tui.config import Config, DatabaseConfig
from crm_tui.db_faults import FaultTellingSqliteDatabase
from crm_tui.models.base import database, sales_database
from crm_tui.private import owner_only_umask, private_folder

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_TABLE = "schema_migration"
BUSY_TIMEOUT_SECONDS = 30
SLOW_QUERY_LOG = logging.getLogger("crm_tui.slow_query")


class DatabaseUnavailable(Exception):
    """The database named in the config cannot be opened; message for people."""


class _TimedStatements:
    """Logs statements slower than `slow_query_seconds` (0: none)."""

    slow_query_seconds: float = 0.0

    def execute_sql(self, sql, params=None, *args, **kwargs):
        if not self.slow_query_seconds:
            return super().execute_sql(sql, params, *args, **kwargs)
        started = time.perf_counter()
        try:
            return super().execute_sql(sql, params, *args, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            if elapsed >= self.slow_query_seconds:
                SLOW_QUERY_LOG.warning("slow query, %.0f ms: %s", elapsed * 1000, " ".join(sql.split()))


class CrmSqliteDatabase(_TimedStatements, FaultTellingSqliteDatabase):
    """SQLite with slow statements logged and faults told plainly."""


class CrmPostgresqlDatabase(_TimedStatements, PostgresqlDatabase):
    pass


def sqlite_path(url: str) -> Path | None:
    """The file of an sqlite:/// URL; None for other URLs and :memory:."""
    if urlparse(url).scheme != "sqlite":
        return None
    path = url[len("sqlite:///"):]
    return Path(path) if path and path != ":memory:" else None


def open_database(url: str, slow_query_ms: int = 0) -> Database:
    """A Peewee database for `url` (sqlite:///file or postgresql://...)."""
    database = _database_for(url)
    database.slow_query_seconds = slow_query_ms / 1000
    return database


def _database_for(url: str) -> Database:
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///"):]
        if path and path != ":memory:":
            private_folder(Path(path).parent)
        return CrmSqliteDatabase(
            path,
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": BUSY_TIMEOUT_SECONDS * 1000,
                # Safe in WAL mode: a power cut may lose the last commits,
                # never corrupt the file.
                "synchronous": "normal",
                "cache_size": -64 * 1024,
            },
            timeout=BUSY_TIMEOUT_SECONDS,
            lock_type="IMMEDIATE",
        )
    if scheme in ("postgres", "postgresql", "postgresext"):
        # Only PostgreSQL needs the URL parser: not loaded at every start.
        from playhouse.db_url import parse as parse_url

        settings = parse_url(url)
        if not settings.get("database"):
            raise DatabaseUnavailable(f"{redact(url)} has no database name")
        return CrmPostgresqlDatabase(**settings)
    raise DatabaseUnavailable(f"unsupported database URL {redact(url)}: use sqlite:/// or postgresql://")


def bind(settings: DatabaseConfig | Config, create: bool = False) -> tuple[Database, Database]:
    """Point the model proxies at the configured databases and check they open.

    Without `create`, an SQLite file that does not exist is refused instead
    of being made (only `crm-tui init` and the demo create databases).
    """
    slow_query_ms = settings.logs.slow_query_ms if isinstance(settings, Config) else 0
    if isinstance(settings, Config):
        settings = settings.database
    crm_url, sales_url = settings.effective_url, settings.effective_sales_url
    for url in {crm_url, sales_url}:
        _check_file(url, create=create and url == crm_url)
    crm_db = open_database(crm_url, slow_query_ms)
    sales_db = crm_db if sales_url == crm_url else open_database(sales_url, slow_query_ms)
    database.initialize(crm_db)
    sales_database.initialize(sales_db)
    for db, url in ((crm_db, crm_url), (sales_db, sales_url)):
        try:
            # A SQLite file made now, and its -wal/-shm, are owner-only.
            with owner_only_umask():
                db.connect(reuse_if_open=True)
        except (OperationalError, Exception) as error:  # psycopg2 raises its own types
            raise DatabaseUnavailable(f"cannot open database {redact(url)}: "
                                      f"{str(error).strip().splitlines()[0]}") from None
    return crm_db, sales_db


def _check_file(url: str, create: bool) -> None:
    path = sqlite_path(url)
    if path is None or create:
        if path is not None:
            private_folder(path.parent)
        return
    if not path.exists():
        raise DatabaseUnavailable(f"no database at {path}: create it with `crm-tui init`")
    if path.is_file() and path.stat().st_size == 0:
        # Opening would turn it into an empty database (WAL mode writes a header).
        raise DatabaseUnavailable(f"{path} holds no CRM tables: create them with `crm-tui init`")


def check_ready(crm_db: Database, url: str) -> None:
    """Refuse a database `crm-tui init` has not made or not yet upgraded.
    Answered from the migration table itself: the migration runner is not
    loaded at every start."""
    try:
        applied = applied_migrations(crm_db)
    except Exception as error:  # psycopg2 raises its own types
        raise DatabaseUnavailable(f"cannot read database {redact(url)}: "
                                  f"{str(error).strip().splitlines()[0]}") from None
    if not applied:
        raise DatabaseUnavailable(f"{redact(url)} holds no CRM tables: create them with `crm-tui init`")
    known = set(known_migrations())
    newer = sorted(set(applied) - known)
    if newer:
        raise DatabaseUnavailable(f"{redact(url)} was upgraded by a newer crm-tui ({newer[-1]}): "
                                  f"install that version")
    if known - set(applied):
        raise DatabaseUnavailable(f"{redact(url)} needs an upgrade: run `crm-tui init`")


def redact(url: str) -> str:
    """`url` with its password (if any) replaced by ***."""
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def migrate(crm_db: Database) -> list[str]:
    """Apply pending migrations; returns their names (empty when up to date)."""
    if not _may_be_pending(crm_db):
        return []
    from playhouse.migrations import Runner

    return Runner(crm_db, str(MIGRATIONS)).up()


def pending_migrations(crm_db: Database) -> list[str]:
    from playhouse.migrations import Runner

    return [m.name for m in Runner(crm_db, str(MIGRATIONS)).status() if not m.applied]


def applied_migrations(crm_db: Database) -> list[str]:
    """The migrations recorded as applied, in order ([] for a database
    without the migration table)."""
    if not crm_db.table_exists(MIGRATION_TABLE):
        return []
    return sorted(name for (name,) in crm_db.execute_sql(f"SELECT name FROM {MIGRATION_TABLE}"))


def known_migrations() -> list[str]:
    """The migration files this version carries, in order."""
    return sorted(path.stem for path in MIGRATIONS.glob("[0-9]*.py"))


# Indexes the models cannot declare (PostgreSQL trigram indexes of the
# customer search, migration 0007): a schema check leaves them out.
TEXT_SEARCH_INDEXES = frozenset({"customer_name_trigram", "customer_number_trigram"})


def _may_be_pending(crm_db: Database) -> bool:
    """False when every migration file is recorded as applied: the common
    case at every start, answered without loading the migration runner
    (and the database drivers it pulls in)."""
    return not set(known_migrations()) <= set(applied_migrations(crm_db))


def init_databases(crm_db: Database, sales_db: Database) -> list[str]:
    """Create or upgrade the CRM's schema; safe to run again.

    When the sales system shares the CRM's database (the default, and the
    demo), its tables are created too, so a single-file install works. A
    separate sales database is never written to.
    """
    from crm_tui.models import SALES_MODELS

    applied = migrate(crm_db)
    if sales_db is crm_db:
        crm_db.create_tables(SALES_MODELS, safe=True)
        # The covering index (customer, status, date, amount) replaced this
        # one, which is its prefix: keeping both would slow every order write.
        crm_db.execute_sql("DROP INDEX IF EXISTS sales_order_customer_id_status_date")
    return applied


__all__ = ["DatabaseUnavailable", "applied_migrations", "bind",
           "check_ready", "init_databases", "known_migrations", "migrate", "open_database",
           "pending_migrations", "redact", "sqlite_path"]

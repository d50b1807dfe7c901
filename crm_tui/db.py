"""The database: built from a URL, tuned for many users at once, migrated.

SQLite (the embedded default) runs in WAL mode with foreign keys on, a busy
timeout, and write transactions that take the write lock when they begin
(BEGIN IMMEDIATE): many SSH sessions writing at once then wait for each
other instead of failing with "database is locked". PostgreSQL is the same
code with another URL.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from peewee import Database, OperationalError, SqliteDatabase
from playhouse.db_url import connect
from playhouse.migrations import Runner

from crm_tui.config import Config, DatabaseConfig
from crm_tui.models import CRM_MODELS, SALES_MODELS, database, sales_database

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_SECONDS = 30


class DatabaseUnavailable(Exception):
    """The database named in the config cannot be opened; message for people."""


def open_database(url: str) -> Database:
    """A Peewee database for `url` (sqlite:///file or postgresql://...)."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///"):]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteDatabase(
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
        return connect(url)
    raise DatabaseUnavailable(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")


def bind(settings: DatabaseConfig | Config) -> tuple[Database, Database]:
    """Point the model proxies at the configured databases and check they open."""
    if isinstance(settings, Config):
        settings = settings.database
    crm_db = open_database(settings.url)
    same = not settings.sales_url or settings.sales_url == settings.url
    sales_db = crm_db if same else open_database(settings.sales_url)
    database.initialize(crm_db)
    sales_database.initialize(sales_db)
    for db, url in ((crm_db, settings.url), (sales_db, settings.sales_url or settings.url)):
        try:
            db.connect(reuse_if_open=True)
        except (OperationalError, Exception) as error:  # psycopg2 raises its own types
            raise DatabaseUnavailable(f"cannot open database {_redact(url)}: "
                                      f"{str(error).strip().splitlines()[0]}") from None
    return crm_db, sales_db


def _redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def migrate(crm_db: Database) -> list[str]:
    """Apply pending migrations; returns their names (empty when up to date)."""
    return Runner(crm_db, str(MIGRATIONS)).up()


def pending_migrations(crm_db: Database) -> list[str]:
    return [m.name for m in Runner(crm_db, str(MIGRATIONS)).status() if not m.applied]


def init_databases(crm_db: Database, sales_db: Database) -> list[str]:
    """Create or upgrade the CRM's schema; safe to run again.

    When the sales system shares the CRM's database (the default, and the
    demo), its tables are created too, so a single-file install works. A
    separate sales database is never written to.
    """
    applied = migrate(crm_db)
    if sales_db is crm_db:
        crm_db.create_tables(SALES_MODELS, safe=True)
    return applied


__all__ = ["CRM_MODELS", "SALES_MODELS", "DatabaseUnavailable", "bind", "init_databases",
           "migrate", "open_database", "pending_migrations"]

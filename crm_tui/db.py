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

from peewee import Database, OperationalError, PostgresqlDatabase, SqliteDatabase

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
        from playhouse.db_url import connect  # only PostgreSQL needs it: not loaded at every start

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
    if not _may_be_pending(crm_db):
        return []
    from playhouse.migrations import Runner

    return Runner(crm_db, str(MIGRATIONS)).up()


def pending_migrations(crm_db: Database) -> list[str]:
    from playhouse.migrations import Runner

    return [m.name for m in Runner(crm_db, str(MIGRATIONS)).status() if not m.applied]


# Indexes the models cannot declare (PostgreSQL trigram indexes of the
# customer search, migration 0003): a schema check leaves them out.
TEXT_SEARCH_INDEXES = frozenset({"customer_name_trigram", "customer_number_trigram"})

# The migration runner's own table of applied migrations.
MIGRATION_TABLE = "schema_migration"


def _may_be_pending(crm_db: Database) -> bool:
    """False when every migration file is recorded as applied: the common
    case at every start, answered without loading the migration runner
    (and the database drivers it pulls in)."""
    files = {path.stem for path in MIGRATIONS.glob("[0-9]*.py")}
    if not crm_db.table_exists(MIGRATION_TABLE):
        return True
    applied = {name for (name,) in crm_db.execute_sql(f"SELECT name FROM {MIGRATION_TABLE}")}
    return not files <= applied


def init_databases(crm_db: Database, sales_db: Database) -> list[str]:
    """Create or upgrade the CRM's schema; safe to run again.

    When the sales system shares the CRM's database (the default, and the
    demo), its tables are created too, so a single-file install works. A
    separate sales database is never written to.
    """
    applied = migrate(crm_db)
    if sales_db is crm_db:
        crm_db.create_tables(SALES_MODELS, safe=True)
        # The covering index (customer, status, date, amount) replaced this
        # one, which is its prefix: keeping both would slow every order write.
        crm_db.execute_sql("DROP INDEX IF EXISTS sales_order_customer_id_status_date")
    return applied


def is_postgres(db: Database) -> bool:
    return isinstance(db, PostgresqlDatabase)


__all__ = ["CRM_MODELS", "SALES_MODELS", "DatabaseUnavailable", "bind", "init_databases",
           "migrate", "open_database", "pending_migrations", "is_postgres"]

"""The database proxies, the base model every CRM table derives from, and
the one place that tells the databases apart."""
from __future__ import annotations

from peewee import Database, DatabaseProxy, Model, PostgresqlDatabase

# The CRM's own database, bound by crm_tui.db.bind().
database = DatabaseProxy()
# The sales system's database (orders, products, stock): read only for the
# CRM. By default the same database object as `database`.
sales_database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class SalesModel(Model):
    class Meta:
        database = sales_database
        legacy_table_names = False


def is_postgres(db: Database | DatabaseProxy = database) -> bool:
    """True on PostgreSQL, False on SQLite: every SQL that differs between
    the two asks here. `db` is the CRM's database unless another is given."""
    if isinstance(db, DatabaseProxy):
        db = db.obj
    return isinstance(db, PostgresqlDatabase)

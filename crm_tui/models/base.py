"""The database proxies and the base model every CRM table derives from."""
from __future__ import annotations

from peewee import DatabaseProxy, Model

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

"""Duplicates and merges of customers.

- The customer's duplicate keys (name_key, phone_key, tax_key; see
  models/names.py), filled for every customer there, with indexes that
  also hold status and manager, so the duplicate search groups by a key
  reading an index alone.
- merged_into: the customer a merged-away customer went into; its number
  stays an alias of that customer for the sales system's orders.
- customer_merge: one row per merge, with what undoing it needs.
- The right to undo a merge (customer.merge_undo), an administrator's.
"""
from peewee import (CharField, DateTimeField, ForeignKeyField, IntegerField, Model, Table,
                    TextField)

from crm_tui.migrations.rights import grant_rights

from crm_tui.models.names import company_key, phone_key, tax_key

PERMISSIONS = {"customer.merge_undo": "undo a merge of two customers from the audit log"}
GRANTS = {"admin": list(PERMISSIONS)}
BATCH = 2000
COLUMNS = [
    "ALTER TABLE customer ADD COLUMN name_key VARCHAR(100) NOT NULL DEFAULT ''",
    "ALTER TABLE customer ADD COLUMN phone_key VARCHAR(30) NOT NULL DEFAULT ''",
    "ALTER TABLE customer ADD COLUMN tax_key VARCHAR(50) NOT NULL DEFAULT ''",
    "ALTER TABLE customer ADD COLUMN merged_into_id INTEGER "
    "REFERENCES customer (id) ON DELETE SET NULL",
]


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Customer(Model):
        class Meta:
            database = db
            table_name = "customer"

    class CustomerMerge(Model):
        kept = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
        merged = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
        actor = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        at = DateTimeField()
        kept_before = TextField(default="{}")
        kept_version = IntegerField()
        merged_status = CharField(max_length=10)
        moved = TextField(default="{}")
        undone_at = DateTimeField(null=True)
        undone_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "customer_merge"

    # Plain ALTER TABLE on both databases: the migrator would rebuild
    # SQLite's customer table for a NOT NULL column, and the rebuild drops
    # the triggers of the text index (migration 0007).
    for statement in COLUMNS:
        db.execute_sql(statement)
    _fill_keys(db)
    migrator.migrate(
        migrator.add_index("customer", ("merged_into_id",), False),
        migrator.add_index("customer", ("name_key", "status", "manager_id"), False),
        migrator.add_index("customer", ("phone_key", "status", "manager_id"), False),
        migrator.add_index("customer", ("tax_key", "status", "manager_id"), False),
    )
    db.create_tables([CustomerMerge])
    grant_rights(db, PERMISSIONS, GRANTS)


def _fill_keys(db):
    """The keys of the customers there, in batches by id."""
    customer = Table("customer", ("id", "name", "phone", "national_tax_number",
                                  "name_key", "phone_key", "tax_key")).bind(db)
    last = 0
    while True:
        rows = list(customer.select(customer.id, customer.name, customer.phone,
                                    customer.national_tax_number)
                    .where(customer.id > last).order_by(customer.id).limit(BATCH).tuples())
        if not rows:
            return
        with db.atomic():
            for row_id, name, phone, tax in rows:
                customer.update(name_key=company_key(name), phone_key=phone_key(phone),
                                tax_key=tax_key(tax)).where(customer.id == row_id).execute()
        last = rows[-1][0]



def down(migrator, db):
    db.execute_sql("DROP TABLE customer_merge")

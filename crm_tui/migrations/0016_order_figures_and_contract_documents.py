"""Order figures per customer and year, and per customer over all years,
summed from the sales system's orders (models/order_figures.py), and the
record of each refresh. Filled by the first refresh, not here: a large
sales database would make the migration long.

Documents may belong to a contract of their customer; instalments keep the
day the worker found them overdue."""
from peewee import (CharField, CompositeKey, DateField, DateTimeField, DecimalField,
                    ForeignKeyField, IntegerField, Model)


def up(migrator, db):
    class OrderFigures(Model):
        customer_id = IntegerField()
        year = IntegerField()
        orders = IntegerField()
        amount = DecimalField(max_digits=16, decimal_places=2)
        last_order_date = DateField()

        class Meta:
            database = db
            table_name = "order_figures"
            primary_key = CompositeKey("customer_id", "year")
            indexes = ((("year", "amount", "customer_id"), False),)

    class OrderTotals(Model):
        customer_id = IntegerField(primary_key=True)
        orders = IntegerField()
        amount = DecimalField(max_digits=16, decimal_places=2)
        last_order_date = DateField()

        class Meta:
            database = db
            table_name = "order_totals"
            indexes = ((("amount", "customer_id"), False),)

    class OrderFiguresRefresh(Model):
        kind = CharField(max_length=10)
        started_at = DateTimeField()
        finished_at = DateTimeField(index=True)
        customers = IntegerField()
        seconds = DecimalField(max_digits=10, decimal_places=3)

        class Meta:
            database = db
            table_name = "order_figures_refresh"

    db.create_tables([OrderFigures, OrderTotals, OrderFiguresRefresh])

    class Contract(Model):
        class Meta:
            database = db
            table_name = "contract"

    migrator.migrate(
        migrator.add_column("document", "contract_id",
                            ForeignKeyField(Contract, field=Contract.id, null=True, backref="+",
                                            on_delete="SET NULL")),
        # The day the worker found an instalment overdue.
        migrator.add_column("instalment", "overdue_since", DateField(null=True)))

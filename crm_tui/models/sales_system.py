"""The sales system's tables: products, stock, orders and their lines.

They belong to the company's sales system, not to the CRM, and the CRM only
reads them (M2.4, M5.2, M5.3). They live behind `sales_database`, which is
the CRM's own database unless config.yaml names another. Orders refer to
the CRM's customers by id (`customer_id`), not by a foreign key, since the
two may be different databases.
"""
from __future__ import annotations

from peewee import CharField, DateField, DecimalField, ForeignKeyField, IntegerField, TextField

from crm_tui.models.base import SalesModel

SHIPPED, PAID = 5, 6
# Only these statuses count as orders for the CRM (已发货, 已回款).
COUNTED_STATUSES = (SHIPPED, PAID)


class Product(SalesModel):
    name = CharField(max_length=100, index=True)
    model = CharField(max_length=60, default="")
    batch = CharField(max_length=60, default="")
    unit = CharField(max_length=10)
    price = DecimalField(max_digits=12, decimal_places=2)
    note = TextField(default="")


class Stock(SalesModel):
    product = ForeignKeyField(Product, backref="stock", on_delete="CASCADE")
    warehouse = CharField(max_length=60, index=True)
    location = CharField(max_length=30, default="")
    quantity = IntegerField(default=0)
    note = TextField(default="")


class Order(SalesModel):
    number = CharField(max_length=30, unique=True)
    customer_id = IntegerField()
    date = DateField()
    delivery_address = CharField(max_length=200, default="")
    # 1 new ... 5 shipped (已发货), 6 paid (已回款)
    status = IntegerField()
    amount = DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        table_name = "sales_order"
        # Covering for the per-customer order figures (count, total, last
        # date): a report reads the index alone, never the order rows.
        indexes = ((("customer_id", "status", "date", "amount"), False),
                   (("date",), False))


class OrderLine(SalesModel):
    order = ForeignKeyField(Order, backref="lines", on_delete="CASCADE")
    product = ForeignKeyField(Product, backref="+", on_delete="RESTRICT")
    quantity = IntegerField()
    unit = CharField(max_length=10)
    unit_price = DecimalField(max_digits=12, decimal_places=2)
    amount = DecimalField(max_digits=14, decimal_places=2)

"""Documents attached to customers (M8), stored once per content hash."""
from __future__ import annotations

from peewee import BigIntegerField, CharField, DateTimeField, ForeignKeyField

from crm_tui import clock
from crm_tui.models.base import BaseModel
from crm_tui.models.customers import Customer
from crm_tui.models.users import User


class Document(BaseModel):
    customer = ForeignKeyField(Customer, backref="documents", on_delete="CASCADE")
    name = CharField(max_length=250)
    size = BigIntegerField()
    sha256 = CharField(max_length=64, index=True)
    uploaded_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    uploaded_at = DateTimeField(default=clock.now)

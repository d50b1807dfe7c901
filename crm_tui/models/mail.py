"""Mail sent to and received from customers' contacts (M7)."""
from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from crm_tui import clock
from crm_tui.models.base import BaseModel
from crm_tui.models.customers import Contact, Customer, Interaction
from crm_tui.models.users import User

IN, OUT = "in", "out"


class MailMessage(BaseModel):
    # The Message-ID header: a message is filed once, however often fetched.
    message_id = CharField(max_length=250, unique=True)
    direction = CharField(max_length=3)
    sender = CharField(max_length=250)
    recipients = TextField(default="")
    subject = CharField(max_length=250, default="")
    body = TextField(default="")
    date = DateTimeField(default=clock.now)
    customer = ForeignKeyField(Customer, null=True, backref="mail", on_delete="SET NULL")
    contact = ForeignKeyField(Contact, null=True, backref="mail", on_delete="SET NULL")
    interaction = ForeignKeyField(Interaction, null=True, backref="+", on_delete="SET NULL")
    # sent, failed, filed or unmatched
    status = CharField(max_length=10, index=True)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

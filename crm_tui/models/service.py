"""Customer service (服务管理): a request from creation to archive.

Every handling and every feedback is kept as a `ServiceEvent`, so a service
sent back for handling again keeps its whole history.
"""
from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from crm_tui import clock
from crm_tui.models.base import BaseModel
from crm_tui.models.customers import Customer
from crm_tui.models.dictionary import DictionaryEntry
from crm_tui.models.users import User

NEW, ASSIGNED, HANDLED, ARCHIVED = "new", "assigned", "handled", "archived"
SERVICE_STATUSES = (NEW, ASSIGNED, HANDLED, ARCHIVED)


class Service(BaseModel):
    type = ForeignKeyField(DictionaryEntry, backref="+", on_delete="RESTRICT")
    summary = CharField(max_length=200)
    customer = ForeignKeyField(Customer, backref="services", on_delete="RESTRICT")
    request = TextField()
    status = CharField(max_length=10, default=NEW, index=True)
    created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField(default=clock.now, index=True)
    assigned_to = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    assigned_at = DateTimeField(null=True)
    # The latest round; earlier rounds are in the events.
    handling = TextField(default="")
    handled_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    handled_at = DateTimeField(null=True)
    result = TextField(default="")
    satisfaction = IntegerField(null=True)
    archived_at = DateTimeField(null=True)
    version = IntegerField(default=1)


class ServiceEvent(BaseModel):
    service = ForeignKeyField(Service, backref="events", on_delete="CASCADE")
    # create, assign, handle or feedback
    kind = CharField(max_length=10)
    actor = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    at = DateTimeField(default=clock.now)
    text = TextField(default="")
    satisfaction = IntegerField(null=True)

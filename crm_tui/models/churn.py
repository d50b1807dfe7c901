"""Churn alerts (客户流失预警), the measures taken on them, and the worker's
run log.

At most one open alert per customer is guaranteed by the database itself:
a partial unique index on (customer) over the open states, so no number of
scans or workers running at once can add a second.
"""
from __future__ import annotations

from peewee import SQL, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from crm_tui import clock
from crm_tui.models.base import BaseModel
from crm_tui.models.customers import Customer
from crm_tui.models.users import User

WARNING, DEFERRED, CONFIRMED, CLOSED = "warning", "deferred", "confirmed", "closed"
OPEN_STATUSES = (WARNING, DEFERRED)
ALERT_STATUSES = (WARNING, DEFERRED, CONFIRMED, CLOSED)


class ChurnAlert(BaseModel):
    customer = ForeignKeyField(Customer, backref="churn_alerts", on_delete="CASCADE")
    last_order_date = DateField(null=True)
    created_at = DateTimeField(default=clock.now)
    status = CharField(max_length=10, default=WARNING, index=True)
    reason = TextField(default="")
    lost_date = DateField(null=True)
    closed_at = DateTimeField(null=True)
    closed_note = CharField(max_length=200, default="")
    version = IntegerField(default=1)


# The guarantee: one open alert per customer.
ChurnAlert.add_index(
    ChurnAlert.index(ChurnAlert.customer, unique=True, name="churn_alert_one_open")
    .where(SQL("status IN ('warning', 'deferred')")))


class ChurnMeasure(BaseModel):
    alert = ForeignKeyField(ChurnAlert, backref="measures", on_delete="CASCADE")
    text = TextField()
    author = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)


class WorkerRun(BaseModel):
    # schedule, catch-up, once or app: what started the scan.
    trigger = CharField(max_length=10)
    started_at = DateTimeField(index=True)
    finished_at = DateTimeField(null=True)
    scanned = IntegerField(default=0)
    added = IntegerField(default=0)
    closed = IntegerField(default=0)
    # running, done or failed
    status = CharField(max_length=10, default="running")
    message = TextField(default="")

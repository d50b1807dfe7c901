"""Sales opportunities (销售机会) and customer development plans (客户开发计划).

The tables; the workflow rules (assign, plan, succeed, fail) live here too,
on the models, as the marketing module grows.
"""
from __future__ import annotations

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from crm_tui import clock
from crm_tui.models.base import BaseModel
from crm_tui.models.customers import Customer
from crm_tui.models.users import User

UNASSIGNED, ASSIGNED, SUCCEEDED, FAILED = "unassigned", "assigned", "succeeded", "failed"
OPPORTUNITY_STATUSES = (UNASSIGNED, ASSIGNED, SUCCEEDED, FAILED)


class Opportunity(BaseModel):
    source = CharField(max_length=100, default="")
    customer_name = CharField(max_length=100, index=True)
    success_rate = IntegerField()
    summary = CharField(max_length=200)
    contact = CharField(max_length=50, default="")
    contact_phone = CharField(max_length=30, default="")
    description = TextField()
    created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField(default=clock.now)
    assigned_to = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    assigned_at = DateTimeField(null=True)
    status = CharField(max_length=12, default=UNASSIGNED, index=True)
    ended_at = DateTimeField(null=True)
    # The customer created when development succeeded.
    customer = ForeignKeyField(Customer, null=True, backref="+", on_delete="SET NULL")
    version = IntegerField(default=1)


class PlanItem(BaseModel):
    opportunity = ForeignKeyField(Opportunity, backref="plan_items", on_delete="CASCADE")
    date = DateField()
    content = TextField()
    result = TextField(default="")
    created_at = DateTimeField(default=clock.now)

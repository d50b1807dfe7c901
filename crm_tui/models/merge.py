"""Merging two customers into one, and undoing a merge.

`merge_customers(actor, kept, merged, take)` keeps one customer, takes the
fields named in `take` from the other, moves everything that belongs to the
other (contacts, interactions, services, opportunities, churn alerts,
documents, mail, contracts, quotes: every table with a foreign key to the
customer) to the kept one, and marks the other deleted and `merged_into`
the kept one. Its number stays an alias: the sales system's orders, which
name customers by id and are never written, show under the kept customer
(`customers.customer_and_aliases`). One transaction; a `CustomerMerge` row
holds what undoing needs, and an audit row (table "customer_merge")
names it.

`undo_merge(actor, audit_row)` puts everything back, for an administrator
(customer.merge_undo), as long as the kept customer was not changed since.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Iterable

from peewee import (CharField, DateTimeField, ForeignKeyField, IntegerField, IntegrityError,
                    TextField)

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.audit import AuditLog
from crm_tui.models.base import BaseModel, database
from crm_tui.models.customers import CUSTOMER_FIELDS, DELETED, Customer
from crm_tui.models.errors import (ConcurrentEdit, InvalidTransition, NotFound, ValidationError)
from crm_tui.models.undo import register_inverse
from crm_tui.models.users import User, require
from crm_tui.models.workflow import record_id, update_as_read

MERGE, MERGE_UNDO = "merge", "merge_undo"
MERGE_TABLE = "customer_merge"
# The fields a merge chooses between, in the form's order.
MERGE_FIELDS = tuple(field.name for field in CUSTOMER_FIELDS)


class CustomerMerge(BaseModel):
    kept = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
    merged = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
    actor = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    at = DateTimeField(default=clock.now)
    # The kept customer's values of the fields taken from the other.
    kept_before = TextField(default="{}")
    # The kept customer's version right after the merge: an undo finds it
    # unchanged or refuses.
    kept_version = IntegerField()
    merged_status = CharField(max_length=10)
    # {"table.field": [ids]}: the records moved from the merged customer.
    moved = TextField(default="{}")
    undone_at = DateTimeField(null=True)
    undone_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        table_name = MERGE_TABLE


def dependents() -> dict[str, Any]:
    """Every foreign key to a customer that a merge moves, by "table.field".

    Read from the models, so a module added later (with its own foreign key
    to the customer) is moved too; the merge bookkeeping itself and the
    alias link are not."""
    found = {}
    for field in Customer._meta.backrefs:
        if field.model in (Customer, CustomerMerge):
            continue
        found[f"{field.model._meta.table_name}.{field.name}"] = field
    return found


def _locked(customer_id: Any) -> Customer | None:
    query = Customer.select().where(Customer.id == record_id(customer_id))
    if database.for_update:
        query = query.for_update()
    return query.first()


def _stored(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def merge_customers(actor: User, kept_id: Any, merged_id: Any,
                    take: Iterable[str] = ()) -> CustomerMerge:
    """Merge customer `merged_id` into `kept_id`, taking the fields `take`
    from the merged one; see the module's description."""
    take = list(dict.fromkeys(take))
    unknown = [name for name in take if name not in MERGE_FIELDS]
    if unknown:
        raise ValidationError({name: t("error.not_a_choice") for name in unknown})
    if record_id(kept_id) == record_id(merged_id):
        raise ValidationError({"merged": t("merge.error.same")})
    with database.atomic():
        kept, merged = _locked(kept_id), _locked(merged_id)
        if kept is None or merged is None:
            raise NotFound(t("error.not_found"))
        kept.check_editable_by(actor)
        merged.check_editable_by(actor)
        data = {name: merged.__data__.get(name) for name in take
                if merged.__data__.get(name) != kept.__data__.get(name)}
        before = {name: _stored(kept.__data__.get(name)) for name in data}
        if data:
            changes = audit.diff(kept, data)
            update_as_read(kept, data)
            audit.record(actor, "customer", kept.id, audit.UPDATE, changes)
        moved = _move(dependents(), merged.id, kept.id)
        update_as_read(merged, {"status": DELETED, "merged_into": kept.id})
        audit.record(actor, "customer", merged.id, MERGE,
                     {"merged_into": ("", kept.number), "status": (merged.status, DELETED)})
        merge = CustomerMerge.create(
            kept=kept.id, merged=merged.id, actor=actor, at=clock.now(),
            kept_before=json.dumps(before, ensure_ascii=False),
            kept_version=Customer.get_by_id(kept.id).version, merged_status=merged.status,
            moved=json.dumps(moved))
        audit.record(actor, MERGE_TABLE, merge.id, MERGE,
                     {"customer": (merged.number, kept.number)})
    return merge


def _move(fields: dict[str, Any], source: int, target: int,
          only: dict[str, list[int]] | None = None) -> dict[str, list[int]]:
    """Point the records of customer `source` (those of `only`, when given)
    at `target`; the ids moved, by "table.field"."""
    moved = {}
    for key, field in fields.items():
        model = field.model
        condition = field == source
        if only is not None:
            if not only.get(key):
                continue
            condition &= model._meta.primary_key.in_(only[key])
        ids = [row_id for (row_id,) in model.select(model._meta.primary_key)
               .where(condition).tuples()]
        if not ids:
            continue
        values = {field: target}
        if "version" in model._meta.fields:
            # Anyone holding one of them in a form saves over nothing.
            values[model._meta.fields["version"]] = model._meta.fields["version"] + 1
        try:
            with database.atomic():
                model.update(values).where(model._meta.primary_key.in_(ids)).execute()
        except IntegrityError:
            # One open churn alert per customer, say: both customers have one.
            raise InvalidTransition(t("merge.error.conflict",
                                      what=model._meta.table_name)) from None
        moved[key] = ids
    return moved


def merge_of_audit_row(audit_row: Any) -> CustomerMerge:
    """The merge an audit row of the merge names (NotFound otherwise)."""
    row = AuditLog.get_or_none(AuditLog.id == record_id(audit_row))
    if row is None or row.table_name != MERGE_TABLE or row.action != MERGE:
        raise NotFound(t("merge.error.not_a_merge"))
    merge = CustomerMerge.get_or_none(CustomerMerge.id == row.row_id)
    if merge is None:
        raise NotFound(t("merge.error.not_a_merge"))
    return merge


def check_undoable(actor: User, audit_row: Any) -> CustomerMerge:
    """The merge of `audit_row`, if `actor` may undo it now; raise otherwise."""
    require(actor, perm.CUSTOMER_MERGE_UNDO)
    merge = merge_of_audit_row(audit_row)
    if merge.undone_at is not None:
        raise InvalidTransition(t("merge.error.undone"))
    return merge


def undo_merge(actor: User, audit_row: Any) -> CustomerMerge:
    """Undo the merge that audit row `audit_row` records: the moved records
    go back, the kept customer's fields are as before, the merged customer
    is itself again. Refused when the kept customer changed since."""
    check_undoable(actor, audit_row)
    with database.atomic():
        merge = check_undoable(actor, audit_row)
        query = CustomerMerge.select().where(CustomerMerge.id == merge.id)
        merge = (query.for_update() if database.for_update else query).get()
        if merge.undone_at is not None:
            raise InvalidTransition(t("merge.error.undone"))
        kept, merged = _locked(merge.kept_id), _locked(merge.merged_id)
        if kept.version != merge.kept_version:
            raise ConcurrentEdit(t("merge.error.kept_changed", number=kept.number))
        if merged.merged_into_id != kept.id or merged.status != DELETED:
            raise InvalidTransition(t("merge.error.merged_changed", number=merged.number))
        _move(dependents(), kept.id, merged.id, only=json.loads(merge.moved))
        before = json.loads(merge.kept_before)
        if before:
            changes = audit.diff(kept, before)
            update_as_read(kept, before)
            audit.record(actor, "customer", kept.id, audit.UPDATE, changes)
        update_as_read(merged, {"status": merge.merged_status, "merged_into": None})
        audit.record(actor, "customer", merged.id, MERGE_UNDO,
                     {"merged_into": (kept.number, ""), "status": (DELETED, merge.merged_status)})
        CustomerMerge.update(undone_at=clock.now(), undone_by=actor.id).where(
            CustomerMerge.id == merge.id).execute()
        audit.record(actor, MERGE_TABLE, merge.id, MERGE_UNDO,
                     {"customer": (kept.number, merged.number)})
    return CustomerMerge.get_by_id(merge.id)


def _undo_merge_change(change: Any, actor: User) -> None:
    undo_merge(actor, change.first.id)


# z on a merge's row of the audit log (the general undo) undoes the merge.
register_inverse(MERGE, _undo_merge_change, table=MERGE_TABLE)

"""Undo (撤销) from the audit log.

A change is what one call of `audit.record` wrote: its rows share
`AuditLog.change`. Undoing it runs its inverse through the same model
methods a user's own edit would (the rights, the state, the version
check, the audit rows) and marks the change undone with one more audit row
(action "undo", field "change", new = the change's key), all in one
transaction.

Who: everyone may undo their own last change; with audit.undo_any (the
administrator) any change. Refused, with the reason, when the record moved
on: a later change of the same record (by anyone), or its fields no longer
hold what the change wrote.

Inverses are registered per audit action, optionally per table:
`register_inverse("merge", undo_merge, table="customer")`. Those here:
field edits (update → the old values, through the kind's edit action),
creates (→ the kind's delete action: a soft delete where the kind has one,
and only where its rules allow a delete), a customer's soft delete (→
restore) and its restore (→ delete again).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.audit import AuditLog
from crm_tui.models.base import database
from crm_tui.models.errors import ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied
from crm_tui.models.kinds import KINDS, Action, all_kinds, kind
from crm_tui.models.users import User

UNDO = "undo"


@dataclass(frozen=True)
class Change:
    """The audit rows of one change, in the order written."""

    rows: tuple[AuditLog, ...]

    @property
    def first(self) -> AuditLog:
        return self.rows[0]

    @property
    def key(self) -> str:
        # Rows written before changes had keys: the first row's id.
        return self.first.change or f"#{self.first.id}"

    @property
    def table(self) -> str:
        return self.first.table_name

    @property
    def row_id(self) -> int:
        return self.first.row_id

    @property
    def action(self) -> str:
        return self.first.action

    @property
    def actor_id(self) -> int | None:
        return self.first.actor_id

    @property
    def last_id(self) -> int:
        return max(row.id for row in self.rows)

    def fields(self) -> dict[str, tuple[str, str]]:
        """{field: (old, new)} as the audit rows hold them (text)."""
        return {row.field: (row.old, row.new) for row in self.rows if row.field}

    def text(self) -> str:
        """The change in one line, for the question before undoing it."""
        parts = [f"{name}: {old} → {new}" for name, (old, new) in self.fields().items()]
        return t("undo.change", action=self.action, table=self.table, row=self.row_id,
                 fields="; ".join(parts))

    @classmethod
    def of(cls, audit_id: Any) -> "Change":
        """The change audit row `audit_id` belongs to."""
        row = AuditLog.get_or_none(AuditLog.id == audit_id)
        if row is None:
            raise NotFound(t("error.not_found"))
        if row.change:
            rows = AuditLog.select().where(AuditLog.change == row.change)
        else:
            rows = AuditLog.select().where(
                (AuditLog.change == "") & (AuditLog.actor == row.actor_id)
                & (AuditLog.at == row.at) & (AuditLog.table_name == row.table_name)
                & (AuditLog.row_id == row.row_id) & (AuditLog.action == row.action))
        return cls(tuple(rows.order_by(AuditLog.id)))


# ----- the inverses ---------------------------------------------------------------
# inverse(change, actor): makes the change undone through the model's rules,
# raising the rule's refusal otherwise.
Inverse = Callable[[Change, User], Any]
_INVERSES: dict[tuple[str | None, str], Inverse] = {}


def register_inverse(action: str, inverse: Inverse, table: str | None = None) -> None:
    """Say how changes of audit action `action` (of `table` only, or of
    any table) are undone."""
    _INVERSES[(table, action)] = inverse


def inverse_for(change: Change) -> Inverse | None:
    """How `change` is undone; None when it cannot be. The inverses for
    any table work through the record kind of the table: a table without
    one (users, the dictionary) has only the inverses registered for it."""
    all_kinds()  # every model module loaded: every inverse registered, every kind declared
    specific = _INVERSES.get((change.table, change.action))
    if specific is not None:
        return specific
    return _INVERSES.get((None, change.action)) if change.table in KINDS else None


def _same_text(now: Any, written: str) -> bool:
    """Whether a field's value now is what the audit row says was written
    (numbers by value: 500 is 500.00)."""
    text = audit._text(now)
    if text == written:
        return True
    try:
        return Decimal(text) == Decimal(written)
    except (InvalidOperation, ValueError):
        return False


def _form_action(record_kind, record: Any, actor: User, names: set[str]) -> Action:
    """The kind's action whose form holds every field in `names` (an edit)."""
    for action in record_kind.actions:
        if action.on_row and action.form is not None and action.id != "new":
            fields = {field.name for field in action.form(record, actor)}
            if names <= fields:
                return action
    raise InvalidTransition(t("undo.error.no_form", fields=", ".join(sorted(names))))


def restore_fields(change: Change, actor: User) -> Any:
    """Undo a field edit: the old values, saved through the kind's own edit."""
    record_kind = kind(change.table)
    record = record_kind.get(actor, change.row_id)
    fields = change.fields()
    for name, (_old, new) in fields.items():
        if name in record.__data__ and not _same_text(record.__data__[name], new):
            raise ConcurrentEdit(t("undo.error.field_moved_on", field=name))
    action = _form_action(record_kind, record, actor, set(fields))
    if action.check is not None:
        action.check(record, actor)
    return action.run(record, actor, {name: old for name, (old, _new) in fields.items()})


def remove_created(change: Change, actor: User) -> Any:
    """Undo a create: the kind's delete, where its rules allow it (a
    customer's is a soft delete)."""
    record_kind = kind(change.table)
    record = record_kind.get(actor, change.row_id)
    try:
        action = record_kind.action("delete")
    except KeyError:
        raise InvalidTransition(t("undo.error.no_inverse", action=change.action)) from None
    if action.check is not None:
        action.check(record, actor)
    return action.run(record, actor, {})


def restore_customer(change: Change, actor: User) -> Any:
    from crm_tui.models.customers import Customer

    customer = Customer.get_or_none(Customer.id == change.row_id)
    if customer is None:
        raise NotFound(t("error.not_found"))
    return customer.restore_by(actor)


def delete_restored_customer(change: Change, actor: User) -> Any:
    from crm_tui.models.customers import Customer

    customer = Customer.get_or_none(Customer.id == change.row_id)
    if customer is None:
        raise NotFound(t("error.not_found"))
    return customer.delete_by(actor)


register_inverse(audit.UPDATE, restore_fields)
register_inverse(audit.CREATE, remove_created)
register_inverse(audit.DELETE, restore_customer, table="customer")
register_inverse("restore", delete_restored_customer, table="customer")


# ----- who may undo what, and undoing ----------------------------------------------

def last_change(user: User) -> Change | None:
    """The user's newest change (an undo's own change counts: undoing it redoes)."""
    row = (AuditLog.select(AuditLog.id)
           .where((AuditLog.actor == user.id) & (AuditLog.action != UNDO))
           .order_by(AuditLog.id.desc()).first())
    return Change.of(row.id) if row is not None else None


def undone(change: Change) -> bool:
    return AuditLog.select().where(
        (AuditLog.table_name == change.table) & (AuditLog.row_id == change.row_id)
        & (AuditLog.action == UNDO) & (AuditLog.field == "change")
        & (AuditLog.new == change.key)).exists()


def later_change(change: Change) -> AuditLog | None:
    """The first change of the same record written after `change`."""
    return (AuditLog.select()
            .where((AuditLog.table_name == change.table) & (AuditLog.row_id == change.row_id)
                   & (AuditLog.id > change.last_id) & (AuditLog.action != UNDO))
            .order_by(AuditLog.id).first())


def check_undoable(change: Change, actor: User | None) -> None:
    """Raise the reason `actor` may not undo `change` now."""
    if actor is None:
        raise PermissionDenied(t("undo.error.not_yours"))
    if not actor.has_perm(perm.AUDIT_UNDO_ANY):
        if change.actor_id != actor.id:
            raise PermissionDenied(t("undo.error.not_yours"))
        last = last_change(actor)
        if last is None or last.key != change.key:
            raise InvalidTransition(t("undo.error.not_last"))
    if change.action == UNDO or inverse_for(change) is None:
        raise InvalidTransition(t("undo.error.no_inverse", action=change.action))
    if undone(change):
        raise InvalidTransition(t("undo.error.undone"))
    later = later_change(change)
    if later is not None:
        who = later.actor.login if later.actor_id else t("audit.shell")
        raise ConcurrentEdit(t("undo.error.moved_on", who=who,
                               at=later.at.strftime("%Y-%m-%d %H:%M"), action=later.action))


def undo_by(actor: User, audit_id: Any) -> Change:
    """Undo the change audit row `audit_id` belongs to; returns it."""
    change = Change.of(audit_id)
    check_undoable(change, actor)
    with database.atomic():
        inverse_for(change)(change, actor)
        audit.record(actor, change.table, change.row_id, UNDO, {"change": ("", change.key)})
    return change


def undo_last_by(actor: User) -> Change:
    """Undo the actor's own last change."""
    change = last_change(actor)
    if change is None:
        raise NotFound(t("undo.error.nothing"))
    return undo_by(actor, change.first.id)

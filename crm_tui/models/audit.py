"""The audit log: who changed what, when. Written in the same transaction as
the change it records, by `record()`."""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from crm_tui import clock
from crm_tui.models.base import BaseModel
from crm_tui.models.users import User

CREATE, UPDATE, DELETE = "create", "update", "delete"


class AuditLog(BaseModel):
    # Null when the change came from the shell (crm-tui user ...) or the worker.
    actor = ForeignKeyField(User, null=True, backref="audit_rows", on_delete="SET NULL")
    at = DateTimeField(default=clock.now, index=True)
    table_name = CharField(max_length=60)
    row_id = IntegerField()
    action = CharField(max_length=40)
    field = CharField(max_length=60, default="")
    old = TextField(default="")
    new = TextField(default="")
    # Shared by the rows one change wrote (one call of `record`): undone together.
    change = CharField(max_length=32, default="", index=True)

    class Meta:
        indexes = ((("table_name", "row_id"), False),)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "id") and hasattr(value, "_meta"):
        return str(value.id)
    return str(value)


def record(actor: User | None, table: str, row_id: int, action: str,
           changes: dict[str, tuple[Any, Any]] | None = None) -> None:
    """Write audit rows: one per changed field, or one for the action itself."""
    change = uuid.uuid4().hex
    rows = [
        {"actor": actor, "at": clock.now(), "table_name": table, "row_id": row_id,
         "action": action, "field": name, "old": _text(old), "new": _text(new), "change": change}
        for name, (old, new) in (changes or {}).items()
        if _text(old) != _text(new)
    ]
    if not rows:
        rows = [{"actor": actor, "at": clock.now(), "table_name": table, "row_id": row_id,
                 "action": action, "field": "", "old": "", "new": "", "change": change}]
    AuditLog.insert_many(rows).execute()


def _same(old: Any, new: Any) -> bool:
    # Numbers compare by value: SQLite gives back 500 for a saved 500.00.
    numbers = (int, float, Decimal)
    if isinstance(old, numbers) and isinstance(new, numbers) and not isinstance(old, bool):
        return old == new
    return _text(old) == _text(new)


def diff(instance: Any, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The (old, new) pairs of the fields `values` would change on `instance`."""
    changes = {}
    for name, new in values.items():
        # __data__ holds column values: the id, for a foreign key.
        old = instance.__data__.get(name)
        new_value = new.id if hasattr(new, "_meta") else new
        if not _same(old, new_value):
            changes[name] = (old, new_value)
    return changes

"""One action on many records: each record checked by the same rule as the
action on it alone, the refusals collected instead of stopping the rest.

    result = apply_each(actor, ids, load, rule, label)

`load(actor, id)` reads the record as the actor may see it (a kind's
`get`), `rule(record)` is the single action's model call (its check, its
version check and its audit row); each record is written in its own
savepoint, so a refusal leaves nothing half-written and the others go on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from peewee import DatabaseError

from crm_tui.i18n import t
from crm_tui.models.base import database
from crm_tui.models.errors import CrmError, first_line

# Records per transaction: few commits, and a long run holds no lock for long.
BATCH = 200
# Refusals the summary line names; the rest are in the list.
SUMMARY_REASONS = 3


@dataclass
class Refusal:
    id: Any
    label: str
    reason: str


@dataclass
class BulkResult:
    changed: int = 0
    refused: list[Refusal] = field(default_factory=list)

    def summary(self) -> str:
        """"1,204 changed, 3 refused: reason; reason; …"."""
        if not self.refused:
            return t("bulk.summary_all", changed=f"{self.changed:,}")
        reasons = list(dict.fromkeys(refusal.reason for refusal in self.refused))
        shown = "; ".join(reasons[:SUMMARY_REASONS]) + ("; …" if len(reasons) > SUMMARY_REASONS
                                                        else "")
        return t("bulk.summary", changed=f"{self.changed:,}",
                 refused=f"{len(self.refused):,}", reasons=shown)


def apply_each(actor: Any, ids: Iterable[Any], load: Callable[[Any, Any], Any],
               rule: Callable[[Any], Any], label: Callable[[Any], str] = str,
               progress: Callable[[int], None] | None = None) -> BulkResult:
    """Apply `rule` to each record of `ids`; see the module's description."""
    result = BulkResult()
    ids = list(ids)
    for start in range(0, len(ids), BATCH):
        with database.atomic():
            for record_id in ids[start:start + BATCH]:
                _apply_one(actor, record_id, load, rule, label, result)
        if progress is not None:
            progress(min(start + BATCH, len(ids)))
    return result


def _apply_one(actor: Any, record_id: Any, load: Callable[[Any, Any], Any],
               rule: Callable[[Any], Any], label: Callable[[Any], str],
               result: BulkResult) -> None:
    record = None
    try:
        with database.atomic():
            record = load(actor, record_id)
            rule(record)
    except CrmError as error:
        result.refused.append(Refusal(record_id, _label(record, record_id, label), str(error)))
    except DatabaseError as error:
        # A constraint the rule did not foresee: this record only.
        result.refused.append(Refusal(record_id, _label(record, record_id, label),
                                      first_line(error)))
    else:
        result.changed += 1


def _label(record: Any, record_id: Any, label: Callable[[Any], str]) -> str:
    return label(record) if record is not None else f"#{record_id}"


def run_action(actor: Any, record_kind: Any, action: Any, ids: Iterable[Any],
               values: dict[str, Any] | None = None,
               progress: Callable[[int], None] | None = None) -> BulkResult:
    """A kind's action (one of `record_kind.bulk_actions()`) on each record
    of `ids`: its check, then its model call, as for one record."""
    def rule(record: Any) -> None:
        if action.check is not None:
            action.check(record, actor)
        action.run(record, actor, dict(values or {}))

    def label(record: Any) -> str:
        words = record_kind.words(record)
        return " ".join(str(value) for value in words.values()) or f"#{record.id}"

    return apply_each(actor, ids, record_kind.get, rule, label, progress)

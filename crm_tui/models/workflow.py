"""What the records that move through states (an opportunity, a service)
share: the state check before a change, the race-safe conditional write,
and the reason given when another session changed the record first.

A change is an UPDATE (or DELETE) ... WHERE status = expected AND version =
as read; when it touches no row, the record as it is now tells why: gone
(NotFound), in another state (InvalidTransition, naming that state), or
saved by someone else in the same state (ConcurrentEdit).
"""
from __future__ import annotations

from typing import Any, Callable

from crm_tui.i18n import t
from crm_tui.models.errors import ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied

# Ids beyond what a database integer holds would make the lookup itself fail.
_LARGEST_ID = 2**31 - 1


def record_id(value: Any) -> int | None:
    """The id a form value or a record stands for; None when it names none."""
    if hasattr(value, "_meta"):
        return value.id
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= _LARGEST_ID else None


def allowed(check: Callable[[Any], None], actor: Any) -> bool:
    """Whether `check(actor)` passes: what the screens ask to offer an action."""
    try:
        check(actor)
    except (PermissionDenied, InvalidTransition):
        return False
    return True


class StateMachine:
    """Mixed into a model with `id`, `status` and `version` columns.

    `transitions` is the state graph (a `kinds.Transitions`): an action is
    allowed only from its source states, and a status it writes must be one
    of its targets from there. `i18n_prefix` names its refusals:
    "<prefix>.error.<action>", given the current state as
    `status=status_label(state)`.
    """

    i18n_prefix: str
    status_label: Callable[[str], str]
    transitions: Any

    def _check_state(self, action: str) -> None:
        if not self.transitions.allows(action, self.status):
            raise self._wrong_state(action, self.status)

    def _change_state(self, action: str, values: dict[str, Any], *conditions: Any) -> None:
        """UPDATE ... WHERE status = as read AND version = as read (and
        `conditions`); refuse with the reason when another session changed
        it first."""
        self._check_state(action)
        target = values.get("status", self.status)
        if target not in self.transitions.targets(action, self.status):
            raise ValueError(f"{action} does not lead from {self.status} to {target}")
        model = type(self)
        updated = (model.update(version=model.version + 1, **values)
                   .where(self._as_read(), *conditions)
                   .execute())
        if updated != 1:
            raise self._refusal(action)

    def _delete_in_state(self, action: str) -> None:
        """DELETE ... WHERE status = as read AND version = as read."""
        self._check_state(action)
        if None not in self.transitions.targets(action, self.status):
            raise ValueError(f"{action} does not delete from {self.status}")
        deleted = type(self).delete().where(self._as_read()).execute()
        if deleted != 1:
            raise self._refusal(action)

    def _as_read(self) -> Any:
        model = type(self)
        return ((model.id == self.id) & (model.status == self.status)
                & (model.version == self.version))

    def _refusal(self, action: str) -> Exception:
        model = type(self)
        current = model.get_or_none(model.id == self.id)
        if current is None:
            return NotFound(t("error.not_found"))
        if not self.transitions.allows(action, current.status) or current.status != self.status:
            return self._wrong_state(action, current.status)
        return ConcurrentEdit(t("error.changed_since_opened"))

    def _wrong_state(self, action: str, status: str) -> InvalidTransition:
        return InvalidTransition(t(f"{self.i18n_prefix}.error.{action}",
                                   status=type(self).status_label(status)))

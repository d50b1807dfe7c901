"""The race-safe write every edited record goes through, and what the
records that move through states (an opportunity, a service) share on top
of it: the state check before a change and the reason a change was refused.

A change is an UPDATE (or DELETE) ... WHERE id = the record's AND version =
as read AND the write's own conditions (a state, the actor's ownership);
when it touches no row, the record as it is now tells why: gone (NotFound),
what the caller's `why` finds wrong with it (another state, someone else's
record, a locked entry), or saved by someone else since it was opened
(ConcurrentEdit).
"""
from __future__ import annotations

from typing import Any, Callable

from crm_tui.i18n import t
from crm_tui.models.errors import ConcurrentEdit, InvalidTransition, NotFound

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


# Given the record as it is now, the refusal to raise, or None when nothing
# but its version is against the write.
Why = Callable[[Any], "Exception | None"]


def update_as_read(record: Any, values: dict[str, Any], *conditions: Any,
                   why: Why | None = None) -> None:
    """UPDATE the record's row with `values` (and version + 1) WHERE it
    still has the version it was read with and `conditions` hold; raise the
    reason when no row was touched."""
    model = type(record)
    updated = (model.update(version=model.version + 1, **values)
               .where(_as_read(record), *conditions)
               .execute())
    if updated != 1:
        raise refusal(record, why)


def delete_as_read(record: Any, *conditions: Any, why: Why | None = None) -> None:
    """DELETE the record's row WHERE it still has the version it was read
    with and `conditions` hold; raise the reason when no row went."""
    deleted = type(record).delete().where(_as_read(record), *conditions).execute()
    if deleted != 1:
        raise refusal(record, why)


def refusal(record: Any, why: Why | None = None) -> Exception:
    """Why a conditional write of `record` touched no row."""
    model = type(record)
    current = model.get_or_none(model.id == record.id)
    if current is None:
        return NotFound(t("error.not_found"))
    reason = why(current) if why is not None else None
    return reason or ConcurrentEdit(t("error.changed_since_opened"))


def _as_read(record: Any) -> Any:
    model = type(record)
    return (model.id == record.id) & (model.version == record.version)


class Visible:
    """Mixed into a model whose `visible_to(user)` is its scope: one record
    of it as `user` may see it."""

    @classmethod
    def get_visible(cls, user: Any, wanted: Any) -> Any:
        """The record with id `wanted` in `user`'s scope; NotFound otherwise
        (also for an id that is no id at all)."""
        record = cls.visible_to(user).where(cls.id == record_id(wanted)).first()
        if record is None:
            raise NotFound(t("error.not_found"))
        return record


def visible_through(link: Any) -> Callable[[Any, Any], Any]:
    """A `get` for records that belong to another (a contact to its
    customer, an instalment to its contract) by the foreign key `link`: the
    record whose owner the user may see; NotFound otherwise."""
    child = link.model

    def get(user: Any, wanted: Any) -> Any:
        record = within_scope(child.select().where(child.id == record_id(wanted)),
                              link, user).first()
        if record is None:
            raise NotFound(t("error.not_found"))
        return record
    return get


def within_scope(query: Any, link: Any, user: Any) -> Any:
    """`query` narrowed to the rows whose foreign key `link` points to a
    record `user` may see (its owner's scope). A user who sees every owner
    (the scope adds no condition) gets `query` as it is: a list of every
    owner's id would only cost time (1 s at 500,000 contracts)."""
    owner = link.rel_model
    owners = owner.visible_to(user)
    if owners._where is None:
        return query
    return query.where(link.in_(owners.select(owner.id)))


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

    def _change_state(self, action: str, values: dict[str, Any], *conditions: Any,
                      why: Why | None = None) -> None:
        """UPDATE ... WHERE status = as read AND version = as read (and
        `conditions`); refuse with the reason when another session changed
        it first. The status written must be a target of `action`."""
        self._check_state(action)
        target = values.get("status", self.status)
        if target not in self.transitions.targets(action, self.status):
            raise ValueError(f"{action} does not lead from {self.status} to {target}")
        update_as_read(self, values, type(self).status == self.status, *conditions,
                       why=self._state_why(action, why))

    def _delete_in_state(self, action: str, *conditions: Any, why: Why | None = None) -> None:
        """DELETE ... WHERE status = as read AND version = as read (and
        `conditions`)."""
        self._check_state(action)
        if None not in self.transitions.targets(action, self.status):
            raise ValueError(f"{action} does not delete from {self.status}")
        delete_as_read(self, type(self).status == self.status, *conditions,
                       why=self._state_why(action, why))

    def hold(self, action: str, *conditions: Any) -> None:
        """Inside a transaction: hold this record's row while records that
        belong to it change (a plan's items, a quote's lines), and refuse
        unless it is still in a state `action` leaves from (and `conditions`
        hold). A change to its parts at the same moment as a change of its
        state waits for it. The version stays: its own fields do not change."""
        model = type(self)
        sources = tuple(self.transitions.sources(action))
        held = (model.update(version=model.version)
                .where((model.id == self.id) & model.status.in_(sources), *conditions)
                .execute())
        if held != 1:
            raise self._refusal(action)

    def _refusal(self, action: str, why: Why | None = None) -> Exception:
        return refusal(self, self._state_why(action, why))

    def _state_why(self, action: str, why: Why | None) -> Why:
        def state_or_other(current: Any) -> Exception | None:
            if current.status != self.status or not self.transitions.allows(action,
                                                                             current.status):
                return self._wrong_state(action, current.status)
            return why(current) if why is not None else None
        return state_or_other

    def _wrong_state(self, action: str, status: str) -> InvalidTransition:
        return InvalidTransition(t(f"{self.i18n_prefix}.error.{action}",
                                   status=type(self).status_label(status)))

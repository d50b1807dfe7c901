"""The pipeline board: opportunities as lanes, one lane per value of a
grouping (the status today; a stage once opportunities have one).

A `Grouping` says which column makes the lanes, in which order, how a lane
is labelled, and which action of the opportunity kind moves a card from one
lane to another (with the form values it starts with). Moving a card is
running that action: the same check, form, refusal and audit row as from
the list. The cards of a lane are the list's query in the user's scope,
narrowed to the lane, so the board shows exactly what the list shows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models.kinds import Column, money
from crm_tui.models.sales import (OPPORTUNITY_STATUSES, OPPORTUNITY_TRANSITIONS, Opportunity,
                                  opportunity_list_query, status_label)
from crm_tui.models.users import User

# (action id, the form's starting values) that moves a card between two lanes.
Move = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Grouping:
    """What makes the board's lanes.

    - `field`: the opportunity's column whose value names the lane.
    - `lanes`: the values, left to right.
    - `label(value)`: the lane's title.
    - `move(record, source, target)`: the action (and prefill) taking a card
      from lane `source` to lane `target`; None when no action does.
    """

    name: str
    field: Any
    lanes: Sequence[str]
    label: Callable[[str], str]
    move: Callable[[Any, str, str], Move | None]


def _status_move(_record: Any, source: str, target: str) -> Move | None:
    """The transition of the opportunity's state graph from `source` to `target`."""
    for action in sorted(OPPORTUNITY_TRANSITIONS.actions):
        if (source, target) in OPPORTUNITY_TRANSITIONS.edges(action):
            return action, {}
    return None


BY_STATUS = Grouping("status", Opportunity.status, OPPORTUNITY_STATUSES, status_label,
                     _status_move)
# The board's lanes; a grouping by stage is one more Grouping put here.
BOARD_GROUPING = BY_STATUS


def card_moves(grouping: Grouping, record: Any, direction: int) -> list[tuple[str, Move]]:
    """The lanes a card may go to in `direction` (-1 left, +1 right),
    nearest first, each with the move that takes it there."""
    lanes = list(grouping.lanes)
    source = getattr(record, grouping.field.name)
    if source not in lanes:
        return []
    position = lanes.index(source)
    found = []
    step = position + direction
    while 0 <= step < len(lanes):
        move = grouping.move(record, source, lanes[step])
        if move is not None:
            found.append((lanes[step], move))
        step += direction
    return found


def lane_query(user: User, grouping: Grouping, lane: str, search: str = ""):
    """The cards of one lane: the opportunity list in `user`'s scope, in the
    lane, the oldest first (they wait longest)."""
    return (opportunity_list_query(user, search)
            .where(grouping.field == lane)
            .order_by(Opportunity.created_at, Opportunity.id))


def card_position(user: User, grouping: Grouping, lane: str, record: Any) -> int:
    """Where the card of `record` stands in its lane (0: first), by the
    lane's order: to put the cursor on a card that has just moved there."""
    before = ((Opportunity.created_at < record.created_at)
              | ((Opportunity.created_at == record.created_at) & (Opportunity.id < record.id)))
    return lane_query(user, grouping, lane).where(before).count()


def age_text(created: Any) -> str:
    """Days since `created`: "12d"."""
    if not isinstance(created, dt.datetime):
        return ""
    return t("board.age", days=max(0, (clock.now() - created).days))


# The amount a card shows: the opportunity's expected amount once it has
# one; until then its success rate.
_AMOUNT = Opportunity._meta.fields.get("expected_amount")

CARD_COLUMNS = [
    Column("customer_name", "opportunity.customer_name", 12 if _AMOUNT else 17,
           Opportunity.customer_name),
    (Column("expected_amount", "board.amount", 9, _AMOUNT, format=money) if _AMOUNT else
     Column("success_rate", "opportunity.column.rate", 4, Opportunity.success_rate,
            format=lambda value: "" if value is None else f"{value}%")),
    Column("created_at", "board.age_column", 5, Opportunity.created_at, format=age_text),
]

"""The board's rules: which action moves a card between lanes, and a lane's
cards in the user's scope (SQLite and PostgreSQL)."""
from __future__ import annotations

from crm_tui.models.board import BY_STATUS, card_moves, lane_query
from crm_tui.models.sales import ASSIGNED, FAILED, SUCCEEDED, UNASSIGNED
from tests.conftest import at
from tests.test_opportunities import new_opportunity


def test_moves_follow_the_state_graph(crm_db, people):
    opportunity = new_opportunity(people.manager)
    assert card_moves(BY_STATUS, opportunity, 1) == [(ASSIGNED, ("assign", {}))]
    assert card_moves(BY_STATUS, opportunity, -1) == []
    opportunity = opportunity.assign_by(people.supervisor, people.manager.id)
    # Nearest first: 开发成功 is the next lane, 终止开发 the one after.
    assert card_moves(BY_STATUS, opportunity, 1) == [(SUCCEEDED, ("succeed", {})),
                                                     (FAILED, ("fail", {}))]
    # No way back to unassigned.
    assert card_moves(BY_STATUS, opportunity, -1) == []
    opportunity = opportunity.fail_by(people.manager)
    assert card_moves(BY_STATUS, opportunity, 1) == card_moves(BY_STATUS, opportunity, -1) == []


def test_lanes_are_scoped_like_the_list_oldest_first(crm_db, people):
    at(2026, 3, 1)
    older = new_opportunity(people.manager, customer_name="甲")
    at(2026, 3, 5)
    newer = new_opportunity(people.manager, customer_name="乙")
    theirs = new_opportunity(people.other_manager, customer_name="丙")

    def ids(user, lane, search=""):
        return [row.id for row in lane_query(user, BY_STATUS, lane, search)]

    assert ids(people.manager, UNASSIGNED) == [older.id, newer.id]
    assert ids(people.supervisor, UNASSIGNED) == [older.id, newer.id, theirs.id]
    assert ids(people.manager, UNASSIGNED, "乙") == [newer.id]
    newer.assign_by(people.supervisor, people.other_manager.id)
    # Assigned to another manager, still the creator's: visible to both.
    assert ids(people.manager, ASSIGNED) == [newer.id]
    assert ids(people.other_manager, ASSIGNED) == [newer.id]
    assert ids(people.manager, UNASSIGNED) == [older.id]

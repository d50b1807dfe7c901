"""The pipeline board at 80x24: a supervisor moves a card from 未分配 to
已指派 with Shift+→ (the assign form asks for the manager), the card is in
the next lane and the opportunity is assigned; a manager's move that the
rules refuse says why and changes nothing."""
from __future__ import annotations

from crm_tui.models import AuditLog, Opportunity
from crm_tui.models.sales import ASSIGNED, FAILED, UNASSIGNED
from crm_tui.screens.board import BoardScreen
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.forms import FormModal
from tests.conftest import at
from tests.pilot import (app_for, choose, notices, offered, open_module, press_and_settle, save,
                         sign_in)
from tests.test_opportunities import new_opportunity


def lane_counts(screen: BoardScreen) -> dict[str, int]:
    return {lane.lane: lane.row_count for lane in screen.lanes}


async def test_supervisor_moves_a_card_to_assigned(sqlite_url, people):
    at(2026, 3, 1)
    first = new_opportunity(people.manager, customer_name="华东电力")
    at(2026, 3, 2)
    new_opportunity(people.other_manager, customer_name="西北钢铁")
    # Two cards in the assigned lane already: one older, one newer.
    at(2026, 2, 1)
    new_opportunity(people.manager, customer_name="甲").assign_by(people.supervisor,
                                                                   people.manager.id)
    at(2026, 4, 1)
    new_opportunity(people.manager, customer_name="乙").assign_by(people.supervisor,
                                                                   people.manager.id)
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        board = await open_module(pilot, "board", BoardScreen)
        assert lane_counts(board) == {"unassigned": 2, "assigned": 2, "succeeded": 0,
                                      "failed": 0}
        assert board.current_lane.current_row["customer_name"] == "华东电力"
        assert "board.move_right" in offered(pilot.app, "board.")
        await press_and_settle(pilot, "shift+right")
        assert isinstance(pilot.app.screen, FormModal)
        await choose(pilot, "manager", "王经理")
        await save(pilot)
        assert pilot.app.screen is board
        assert lane_counts(board) == {"unassigned": 1, "assigned": 3, "succeeded": 0,
                                      "failed": 0}
        # The cursor followed the card into its new lane, onto the card
        # (the second: the oldest first).
        assert board.current_lane.lane == ASSIGNED
        assert board.current_lane.current_row["customer_name"] == "华东电力"
        # ← and → walk the lanes; the last lanes are scrolled into view.
        await press_and_settle(pilot, "right", "right")
        assert board.current_lane.lane == FAILED
        assert board.query_one("#board-lanes").scroll_x > 0
        await press_and_settle(pilot, "left", "left", "left")
        assert board.current_lane.lane == UNASSIGNED
    stored = Opportunity.get_by_id(first.id)
    assert (stored.status, stored.assigned_to_id) == (ASSIGNED, people.manager.id)
    assert AuditLog.select().where((AuditLog.row_id == first.id)
                                   & (AuditLog.action == "assign")).exists()


async def test_a_refused_move_says_why_and_changes_nothing(sqlite_url, people):
    mine = new_opportunity(people.manager, customer_name="华东电力")
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        board = await open_module(pilot, "board", BoardScreen)
        # Only the manager's own opportunities, as in the list.
        assert lane_counts(board)["unassigned"] == 1
        await press_and_settle(pilot, "shift+right")
        assert board is pilot.app.screen
        assert any("opportunity.assign" in notice
                   for notice in notices(pilot.app)), notices(pilot.app)
        # Nothing lies left of the first lane.
        await press_and_settle(pilot, "shift+left")
        assert any("that way" in notice for notice in notices(pilot.app))
    assert Opportunity.get_by_id(mine.id).status == UNASSIGNED


async def test_fail_from_the_board_asks_first(sqlite_url, people):
    opportunity = new_opportunity(people.manager, customer_name="华东电力")
    opportunity.assign_by(people.supervisor, people.manager.id)
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        board = await open_module(pilot, "board", BoardScreen)
        await press_and_settle(pilot, "right")
        assert board.current_lane.lane == ASSIGNED
        # 终止开发 by its own key on the card, with the question first.
        assert "opportunity.fail" in offered(pilot.app, "opportunity.")
        await press_and_settle(pilot, "f")
        assert isinstance(pilot.app.screen, ConfirmModal)
        await press_and_settle(pilot, "y")
        assert lane_counts(board)["failed"] == 1
        # Enter on a card opens its opportunity.
        await press_and_settle(pilot, "right", "right", "enter")
        assert pilot.app.screen.record_id == opportunity.id
    assert Opportunity.get_by_id(opportunity.id).status == FAILED


async def test_a_grouping_move_may_fill_in_its_form(sqlite_url, people):
    """A grouping by another column (a stage, say) moves a card with an
    action whose form starts filled in for the target lane: here the edit
    action, its summary set by the move."""
    from crm_tui.models.board import Grouping
    from tests.pilot import push_and_settle

    opportunity = new_opportunity(people.manager, customer_name="华东电力", summary="旧")
    by_summary = Grouping("summary", Opportunity.summary, ("旧", "新"), str,
                          lambda _record, _source, target: ("edit", {"summary": target}))
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        board = await push_and_settle(pilot, BoardScreen(by_summary))
        assert lane_counts(board) == {"旧": 1, "新": 0}
        await press_and_settle(pilot, "shift+right")
        form = pilot.app.screen
        assert isinstance(form, FormModal)
        assert form.values()["summary"] == "新"
        await save(pilot)
        assert lane_counts(board) == {"旧": 0, "新": 1}
        assert board.current_lane.lane == "新"
    assert Opportunity.get_by_id(opportunity.id).summary == "新"

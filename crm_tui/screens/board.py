"""The pipeline board: a lane per state (models/board.py says which), the
user's opportunities as cards in them.

←/→ go from lane to lane (the lanes scroll sideways at 80 columns), ↑/↓
along a lane, Enter opens the card's opportunity. Shift+→ / Shift+← move
the card to the nearest lane that way an action leads to: that action runs
as it does from the list, with its form when it has one and its refusal
shown when it is not allowed. The opportunity's own keys (assign, 开发成功,
终止开发 ...) work on the card under the cursor too.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalScroll, Vertical
from textual.screen import Screen
from textual.widgets import Static

from crm_tui.i18n import t
from crm_tui.models.board import (BOARD_GROUPING, CARD_COLUMNS, Grouping, card_moves,
                                  card_position, lane_query)
from crm_tui.models.kinds import Action, RecordKind, kind
from crm_tui.screens.records import ActionHost, ActionRun, RecordTable, Target, load
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.lazy_table import LazyTable, LazyTableView
from crm_tui.widgets.query_source import QuerySource


class BoardLane(LazyTable):
    """The cards of one lane; read again whenever opportunities change."""

    _last_row_id: Any = None

    def __init__(self, user: Any, grouping: Grouping, lane: str, position: int):
        self.lane = lane
        source = QuerySource(lambda text: lane_query(user, grouping, lane, text), CARD_COLUMNS)
        # By position: a lane's value (a stage's name) need not make a widget id.
        super().__init__(source, id=f"lane-{position}", classes="shows-records board-cards")

    def shows(self, kind_names: Iterable[str]) -> bool:
        return "opportunity" in kind_names

    def records_changed(self) -> None:
        self._last_row_id = None
        self.reload()

    def show_status(self) -> None:
        super().show_status()
        # The host offers what the card under the cursor allows.
        if self.has_focus_within and self.current_row_id != self._last_row_id:
            self._last_row_id = self.current_row_id
            self.post_message(RecordTable.Moved(self._last_row_id))


class BoardScreen(ActionHost, Screen):
    BINDINGS = [
        # Before the list's own ←/→ (which step through its columns): the
        # cards show every column, so the arrows go from lane to lane.
        Binding("left", "lane(-1)", "board.lane", key_display="←→", priority=True,
                id="board.lane_left"),
        Binding("right", "lane(1)", "board.lane_right", show=False, priority=True,
                id="board.lane_right"),
        Binding("shift+right", "move(1)", "board.move_right", id="board.move_right"),
        Binding("shift+left", "move(-1)", "board.move_left", id="board.move_left"),
    ]

    def __init__(self, grouping: Grouping = BOARD_GROUPING):
        super().__init__()
        self.grouping = grouping
        self.kind: RecordKind = kind("opportunity")
        # The lane a card is on its way to, to follow it there.
        self._moving_to: str | None = None
        self.bind_actions([], row_only=[self.kind])

    def compose(self) -> ComposeResult:
        yield Static(t("board.title"), classes="screen-title")
        with HorizontalScroll(id="board-lanes", can_focus=False):
            for position, lane in enumerate(self.grouping.lanes):
                with Vertical(classes="board-lane"):
                    yield Static(Text(self.grouping.label(lane)), classes="board-lane-title")
                    yield BoardLane(self.app.user, self.grouping, lane, position)
        yield CrmFooter()

    def on_mount(self) -> None:
        self.focus_lane(self.lanes[0])

    # ----- where the cursor is ------------------------------------------
    @property
    def lanes(self) -> list[BoardLane]:
        return list(self.query(BoardLane))

    @property
    def current_lane(self) -> BoardLane:
        focused = self.focused
        for lane in self.lanes:
            if focused is not None and (focused is lane or lane in focused.ancestors):
                return lane
        return self.lanes[0]

    def targets(self) -> list[Target]:
        return [Target(self.kind, self.current_lane.current_row_id, own_screen=True)]

    def focus_lane(self, lane: BoardLane) -> None:
        # At once (Widget.focus waits its turn): what is allowed is worked
        # out for the lane that has the focus.
        self.set_focus(lane.view)
        lane.parent.scroll_visible(animate=False)
        self.refresh_allowed()

    # ----- keys ---------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "lane":
            # Only from a lane's cards: in its search box the arrows move the caret.
            return isinstance(self.focused, LazyTableView)
        if action == "move":
            return self.current_lane.current_row_id is not None
        return super().check_action(action, parameters)

    def action_lane(self, step: int) -> None:
        lanes = self.lanes
        position = lanes.index(self.current_lane)
        self.focus_lane(lanes[max(0, min(position + step, len(lanes) - 1))])

    def action_act(self, kind_name: str, action_id: str) -> None:
        self._moving_to = None  # an action's own key: the cursor stays
        super().action_act(kind_name, action_id)

    def action_move(self, direction: int) -> None:
        """Move the card under the cursor to the nearest lane that way an
        allowed action leads to; without one, say why not."""
        user = self.app.user
        record = load(self.kind, user, self.current_lane.current_row_id)
        if record is None:
            return
        moves = card_moves(self.grouping, record, direction)
        if not moves:
            self.app.notify(t("board.no_move", lane=self.grouping.label(
                getattr(record, self.grouping.field.name))), severity="warning")
            return
        for lane, (action_id, prefill) in moves:
            action = self.kind.action(action_id)
            if action.allowed(record, user):
                self._run_move(record, lane, action, prefill)
                return
        # Nothing allowed: the nearest move's own refusal.
        self._may(self.kind.action(moves[0][1][0]), record, user)

    def _run_move(self, record: Any, lane: str, action: Action, prefill: dict[str, Any]) -> None:
        if prefill:
            own = action.prefill
            action = replace(action, prefill=lambda subject, actor: {
                **(own(subject, actor) if own else {}), **prefill})
        self._moving_to = lane
        run = ActionRun(self, self.kind, action, record)
        if action.ask:
            self.app.push_screen(ConfirmModal(run.text(action.ask)),
                                 lambda yes: run.start() if yes else None)
        else:
            run.start()

    def after_action(self, record_kind: RecordKind, action: Action, record: Any) -> None:
        super().after_action(record_kind, action, record)
        if self._moving_to is not None:
            # The card went there: so does the cursor, onto the card (the
            # lane reads anew and keeps the cursor's place).
            target = next((lane for lane in self.lanes if lane.lane == self._moving_to), None)
            self._moving_to = None
            if target is not None:
                target.view.cursor = card_position(self.app.user, self.grouping, target.lane,
                                                   record)
                self.focus_lane(target)
        self.refresh_allowed()

    def on_lazy_table_row_chosen(self, message: LazyTable.RowChosen) -> None:
        message.stop()
        if message.row_id is not None:
            self.app.open_record("opportunity", message.row_id)


__all__ = ["BoardLane", "BoardScreen"]

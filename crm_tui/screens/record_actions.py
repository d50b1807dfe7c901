"""What the screens acting on one record at a time share (opportunities and
their plans, services, churn alerts).

An action's key shows in the footer only when the signed-in user may take
it on the record under the cursor: the screen asks the model
(`allowed_actions`) on every move and after every change. The model checks
again when saving, so a record changed by someone else meanwhile is refused
with its reason, shown as a message.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Sequence

from textual.message import Message

from crm_tui.i18n import t
from crm_tui.models.errors import CrmError
from crm_tui.models.users import User
from crm_tui.models.validation import Field
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import LazyTable


def moment_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def day_text(value: Any) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return "" if value is None else str(value)


def user_name(user_id: int | None) -> str:
    if user_id is None:
        return ""
    user = User.get_or_none(User.id == user_id)
    return user.display_name if user else ""


class WatchedTable(LazyTable):
    """A LazyTable that tells its screen when the row under the cursor
    changes, so the screen can offer the actions that row allows."""

    class Moved(Message):
        def __init__(self, row_id: Any):
            super().__init__()
            self.row_id = row_id

    _last_row_id: Any = None

    def reload(self) -> None:
        # The screen asks what is allowed right after a reload, before the
        # rows are back; tell it again once they are, even when the cursor
        # is on the same row as before.
        self._last_row_id = None
        super().reload()

    def show_status(self) -> None:
        super().show_status()
        row_id = self.current_row_id
        if row_id != self._last_row_id:
            self._last_row_id = row_id
            self.post_message(self.Moved(row_id))


class RecordActions:
    """Mixed into a Screen: the actions in ACTIONS are offered only while
    `allowed_actions()` names them; the rest of the screen's keys always."""

    ACTIONS: set[str] = set()
    # What is allowed now; refreshed on every move and change.
    allowed: frozenset[str] = frozenset()

    def allowed_actions(self) -> set[str]:
        raise NotImplementedError

    def record_changed(self) -> None:
        """Show the record (or the list) again as it is now."""
        raise NotImplementedError

    def refresh_allowed(self) -> None:
        allowed = frozenset(self.allowed_actions())
        if allowed != self.allowed:
            self.allowed = allowed
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.ACTIONS:
            return action in self.allowed
        return True

    def on_watched_table_moved(self, message: WatchedTable.Moved) -> None:
        message.stop()
        self.refresh_allowed()

    def open_form(self, title: str, fields: Sequence[Field], values: dict[str, Any],
                  submit: Callable[[dict[str, Any]], Any],
                  done: str | Callable[[Any], str]) -> None:
        """A form whose save calls the model (`submit`); once saved, tell
        `done` (a text key, or the text for what was saved) and show the
        change."""
        self.app.push_screen(FormModal(title, fields, values, submit), self.after_save(done))

    def after_save(self, done: str | Callable[[Any], str]) -> Callable[[Any], None]:
        def saved(result: Any) -> None:
            if result is not None:
                self.app.notify(done(result) if callable(done) else t(done))
                self.record_changed()
        return saved

    def ask_then_run(self, question: str, call: Callable[[], Any], done_message: str,
                     then: Callable[[], None] | None = None) -> None:
        """Ask `question`; on yes run the model call, and when it went
        through, `then` (by default: show the change)."""
        def answered(yes: bool | None) -> None:
            if yes and self.run_rule(call, done_message):
                (then or self.record_changed)()

        self.app.push_screen(ConfirmModal(question), answered)

    def run_rule(self, call: Callable[[], Any], done_message: str = "") -> bool:
        """Run a model call; show its refusal, or `done_message` on success.
        True when it went through."""
        try:
            call()
        except CrmError as error:
            self.app.notify(str(error), severity="error")
            return False
        if done_message:
            self.app.notify(done_message)
        return True


class RecordList(RecordActions):
    """Mixed into a Screen listing records in a WatchedTable: Enter opens the
    record (`record_screen`), and coming back shows the list as it is now."""

    def record_screen(self, record_id: int) -> Any:
        """The screen that shows one record."""
        raise NotImplementedError

    @property
    def table(self) -> WatchedTable:
        return self.query_one(WatchedTable)

    def record_changed(self) -> None:
        self.table.reload()
        self.refresh_allowed()

    def on_screen_resume(self) -> None:
        # Back from the record's screen, where it may have changed.
        self.record_changed()

    def on_lazy_table_row_chosen(self, message: LazyTable.RowChosen) -> None:
        if message.row_id is not None:
            self.app.push_screen(self.record_screen(message.row_id))

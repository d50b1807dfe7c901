"""Bulk actions on the marked rows of a list (space marks a row, "*" every
row the search shows; b opens this).

The kind's bulk actions (models/kinds.py `RecordKind.bulk_actions`) and an
export of the marked rows are offered; a form, when the action has one, is
asked once; each row then goes through the same check and model call as
the single action (models/bulk.py), in a thread; the summary and the
refused rows show at the end, and the refused rows stay marked.
"""
from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from crm_tui.i18n import t
from crm_tui.models.bulk import BulkResult, run_action
from crm_tui.models.kinds import Action, RecordKind
from crm_tui.models.validation import clean
from crm_tui.plain_text import plain
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.connection import connected
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import LazyTable
from crm_tui.widgets.plain import PlainStatic

EXPORT = "export"
BULK_KEY = Binding("b", "bulk", "bulk.key", id="records.bulk")
# Refused rows listed at most (the summary counts them all).
REFUSED_SHOWN = 500


def start_bulk(host: Any, record_kind: RecordKind, table: LazyTable,
               export: Callable[[set[Any]], None] | None = None) -> None:
    """b on a list: choose what to do with the marked rows of `table`."""
    from crm_tui.screens.records import ActionsMenu

    ids = table.marked_ids
    if not ids:
        return
    actions = {action.id: action for action in record_kind.bulk_actions()}
    entries = [("", t(action.label), action_id) for action_id, action in actions.items()]
    if export is not None:
        entries.append(("", t("bulk.export"), EXPORT))

    def chosen(choice: str | None) -> None:
        if choice == EXPORT and export is not None:
            export(ids)
        elif choice in actions:
            BulkRun(host, record_kind, actions[choice], table, ids).start()

    host.app.push_screen(ActionsMenu(entries, title=t("bulk.title", count=f"{len(ids):,}")),
                         chosen)


class BulkRun:
    """One bulk action on its way: its form once, a confirmation, the rows."""

    def __init__(self, host: Any, record_kind: RecordKind, action: Action, table: LazyTable,
                 ids: set[Any]):
        self.host, self.kind, self.action, self.table = host, record_kind, action, table
        self.ids = sorted(ids)
        self.app = host.app

    def start(self) -> None:
        if self.action.form is None:
            self.confirm({})
            return
        fields = list(self.action.form(None, self.app.user))

        def checked(values: dict[str, Any]) -> dict[str, Any]:
            clean(fields, values)  # a blank or bad entry stays in the form
            return values

        form = FormModal(t(self.action.label), fields, {}, checked)
        self.app.push_screen(form, lambda values: self.confirm(values)
                             if values is not None else None)

    def confirm(self, values: dict[str, Any]) -> None:
        question = t("bulk.confirm", action=t(self.action.label), count=f"{len(self.ids):,}")
        self.app.push_screen(ConfirmModal(question),
                             lambda yes: self.app.push_screen(BulkProgressScreen(self, values))
                             if yes else None)

    def run(self, values: dict[str, Any]) -> BulkResult:
        return run_action(self.app.user, self.kind, self.action, self.ids, values)

    def finished(self, result: BulkResult) -> None:
        self.table.set_marks({refusal.id for refusal in result.refused})
        self.app.records_changed(self.kind.name, *self.kind.changes)


class BulkProgressScreen(ModalScreen[None]):
    """Runs the rows in a thread, then shows the summary and the refused rows."""

    BINDINGS = [Binding("escape,enter", "close", "bulk.close", id="bulk.close")]

    def __init__(self, bulk_run: BulkRun, values: dict[str, Any]):
        super().__init__()
        self.bulk_run = bulk_run
        self.values = values
        self.result: BulkResult | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-dialog bulk-dialog"):
            yield PlainStatic(t("bulk.result_title"), classes="form-title")
            yield PlainStatic(t("bulk.running", count=f"{len(self.bulk_run.ids):,}"),
                              id="bulk-summary")
            with VerticalScroll(id="bulk-refused"):
                yield Static("", id="bulk-refused-rows")
        yield CrmFooter()

    def on_mount(self) -> None:
        self._run(self.app.user)

    @work(thread=True, exclusive=True, group="bulk")
    def _run(self, _user: Any) -> None:
        with connected():
            result = self.bulk_run.run(self.values)
        self.app.call_from_thread(self._show, result)

    def _show(self, result: BulkResult) -> None:
        self.result = result
        self.query_one("#bulk-summary", Static).update(Text(plain(result.summary())))
        lines = Text()
        if result.refused:
            lines.append(t("bulk.refused_title") + "\n", style="bold")
        for refusal in result.refused[:REFUSED_SHOWN]:
            lines.append(plain(f"{refusal.label}: {refusal.reason}") + "\n")
        self.query_one("#bulk-refused-rows", Static).update(lines)
        self.bulk_run.finished(result)

    def action_close(self) -> None:
        if self.result is not None:
            self.dismiss(None)

"""A customer's timeline as a tab of the customer screen: everything that
happened with the customer, newest first (models/timeline.py), read a page
at a time however long the history. k steps through the kinds shown, "/"
searches, Enter opens the record an event belongs to."""
from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget

from crm_tui.i18n import t
from crm_tui.models.kinds import Column, moment_text
from crm_tui.models.timeline import GROUPS, TimelineRows
from crm_tui.widgets.lazy_table import LazyTable
from crm_tui.widgets.plain import PlainStatic


def when_text(value: Any) -> str:
    """A day (an event without a time of day) shows as the day alone."""
    text = moment_text(value)
    return text[:10] if text.endswith(" 00:00") else text


COLUMNS = [
    Column("time", "timeline.time", 16, format=when_text),
    Column("kind", "timeline.kind", 8, format=lambda kind: t(f"timeline.kind.{kind}")),
    Column("text", "timeline.text", 50),
]


class TimelinePane(Widget):
    BINDINGS = [Binding("k", "next_group", "timeline.filter", id="timeline.next_group")]

    def __init__(self, customer_id: int):
        super().__init__(classes="customer-pane timeline-pane")
        self.customer_id = customer_id
        self.group: str | None = None

    def compose(self) -> ComposeResult:
        yield PlainStatic(self._showing(), classes="timeline-showing")
        rows = TimelineRows(self.app.user, self.customer_id, COLUMNS)
        yield LazyTable(rows, id="timeline-table")

    def _showing(self) -> str:
        group = t(f"timeline.group.{self.group}") if self.group else t("timeline.all")
        return t("timeline.showing", group=group)

    @property
    def table(self) -> LazyTable:
        return self.query_one(LazyTable)

    def focus_main(self) -> None:
        self.table.focus()

    def action_next_group(self) -> None:
        steps = (None, *GROUPS)
        self.group = steps[(steps.index(self.group) + 1) % len(steps)]
        self.table.source.group = self.group
        self.query_one(".timeline-showing", PlainStatic).update(self._showing())
        self.table.set_filter(self.table.filter_text)

    def on_lazy_table_row_chosen(self, message: LazyTable.RowChosen) -> None:
        message.stop()
        row = self.table.current_row
        if row is not None and row.get("opens"):
            kind_name, record_id = row["opens"]
            self.app.open_record(kind_name, record_id)
        else:
            self.app.bell()


__all__ = ["TimelinePane"]

"""Likely duplicate customers, and merging two of them at the keyboard.

`DuplicatesScreen`: the pairs `models.duplicates.duplicate_pairs` finds in
the user's scope, likeliest first; Enter opens the pair side by side.

`MergeScreen(kept_id, merged_id)`: every field of both customers; ↑↓ go
through the fields, ←→ take the field from the left (kept) or the right
customer, w swaps which customer is kept, Ctrl+S merges (after a yes).
"""
from __future__ import annotations

from typing import Any, Sequence

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from crm_tui.i18n import t
from crm_tui.models.customers import Customer, _customer_rows
from crm_tui.models.duplicates import ADDRESS, NAME, PHONE, TAX, duplicate_pairs
from crm_tui.models.errors import CrmError
from crm_tui.models.kinds import Column
from crm_tui.models.merge import MERGE_FIELDS, merge_customers
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.connection import connected
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.lazy_table import LazyTable, fit

REASONS = (NAME, PHONE, TAX, ADDRESS)


def reason_letters(reasons: Sequence[str] | None) -> str:
    """What a pair shares, one letter per kind in a fixed place (N P T A:
    name, phone, tax number, address; a dash for what differs)."""
    return "".join(t(f"duplicates.letter.{reason}") if reason in (reasons or ())
                   else t("duplicates.letter.none") for reason in REASONS)


COLUMNS = [
    Column("score", "duplicates.score", 3, "score"),
    Column("left_number", "duplicates.left", 13, "left_number"),
    Column("left_name", "duplicates.left_name", 18, "left_name"),
    Column("right_number", "duplicates.right", 13, "right_number"),
    Column("right_name", "duplicates.right_name", 18, "right_name"),
    Column("reasons", "duplicates.reasons", 8, None, format=reason_letters),
]



class ListSource:
    """Rows already in memory, for a LazyTable: "/" searches their text."""

    id_key = "id"

    def __init__(self, rows: Sequence[dict], columns: Sequence[Column]):
        self.rows = list(rows)
        self.columns = list(columns)

    def _matching(self, filter_text: str) -> list[dict]:
        words = filter_text.casefold().split()
        if not words:
            return self.rows
        return [row for row in self.rows
                if all(any(word in column.text(row).casefold() for column in self.columns)
                       for word in words)]

    def count(self, filter_text: str) -> int:
        return len(self._matching(filter_text))

    def fetch(self, filter_text: str, sort: Column | None, descending: bool,
              offset: int, limit: int) -> list[dict]:
        rows = self._matching(filter_text)
        if sort is not None and sort.expression is not None:
            rows = sorted(rows, key=lambda row: row.get(sort.key), reverse=descending)
        return [dict(row) for row in rows[offset:offset + limit]]

    def ids(self, filter_text: str) -> list[Any]:
        return [row[self.id_key] for row in self._matching(filter_text)]


class DuplicatesScreen(Screen):
    """The likely duplicate pairs among the customers the user may see."""

    BINDINGS = [Binding("r", "search", "duplicates.refresh", id="duplicates.refresh"),
                Binding("escape", "app.pop_screen", "merge.back", id="duplicates.back")]

    def compose(self) -> ComposeResult:
        yield Static(t("duplicates.searching"), id="duplicates-title", classes="screen-title")
        yield LazyTable(ListSource([], COLUMNS), id="duplicates-table")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.action_search()

    @property
    def table(self) -> LazyTable:
        return self.query_one("#duplicates-table", LazyTable)

    def action_search(self) -> None:
        self.query_one("#duplicates-title", Static).update(t("duplicates.searching"))
        self._search(self.app.user)

    @work(thread=True, exclusive=True, group="duplicates")
    def _search(self, user: Any) -> None:
        with connected():
            pairs = duplicate_pairs(user)
        rows = [{"id": index, "score": pair.score, "left_id": pair.left_id,
                 "right_id": pair.right_id, "left_number": pair.left_number,
                 "left_name": pair.left_name, "right_number": pair.right_number,
                 "right_name": pair.right_name, "reasons": pair.reasons}
                for index, pair in enumerate(pairs)]
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[dict]) -> None:
        self.table.source.rows = rows
        self.query_one("#duplicates-title", Static).update(
            Text(t("duplicates.title", count=f"{len(rows):,}") + "  " + t("duplicates.legend")))
        self.table.reload()
        self.table.focus()

    def on_lazy_table_row_chosen(self, message: LazyTable.RowChosen) -> None:
        message.stop()
        row = self.table.current_row
        if row is not None:
            self.app.push_screen(MergeScreen(row["left_id"], row["right_id"]), self._merged)

    def _merged(self, done: bool | None) -> None:
        if done:
            self.action_search()

    def records_changed(self) -> None:
        self.action_search()


LABEL_WIDTH = 14
VALUE_WIDTH = 29


class MergeFields(Static, can_focus=True):
    """The fields side by side; the screen's keys move and choose."""


class MergeScreen(Screen[bool]):
    """Two customers side by side; see the module's description."""

    BINDINGS = [
        Binding("up", "move(-1)", "table.up", show=False, id="merge.up"),
        Binding("down", "move(1)", "table.down", show=False, id="merge.down"),
        Binding("left", "take('left')", "merge.choose", key_display="←→", id="merge.left"),
        Binding("right", "take('right')", "merge.choose", show=False, id="merge.right"),
        Binding("w", "swap", "merge.swap", id="merge.swap"),
        Binding("ctrl+s", "merge", "merge.save", priority=True, id="merge.save"),
        Binding("escape", "back", "merge.back", id="merge.back"),
    ]

    def __init__(self, kept_id: int, merged_id: int):
        super().__init__()
        self.ids = [kept_id, merged_id]
        self.customers: list[Customer] = []
        self.rows: list[tuple[str, str, str, str]] = []  # name, label, left, right
        self.chosen: dict[str, str] = {}
        self.cursor = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="merge-title", classes="screen-title")
        # A plain container that scrolls: a VerticalScroll's own arrow keys
        # would come before the screen's.
        with Vertical(id="merge-body"):
            yield MergeFields("", id="merge-fields")
        yield CrmFooter()

    def on_mount(self) -> None:
        try:
            self.customers = [Customer.get_visible(self.app.user, row_id) for row_id in self.ids]
        except CrmError as error:
            self.notify(str(error), severity="error")
            self.dismiss(False)
            return
        self._read_rows()
        self.query_one("#merge-fields").focus()

    def _read_rows(self) -> None:
        left, right = ({label: value for label, value in _customer_rows(customer)}
                       for customer in self.customers)
        self.rows = [(name, t(f"customer.{name}"), _text(left[f"customer.{name}"]),
                      _text(right[f"customer.{name}"])) for name in MERGE_FIELDS]
        # The kept customer's value, unless it has none and the other has one.
        self.chosen = {name: "right" if not left_value and right_value else "left"
                       for name, _label, left_value, right_value in self.rows}
        self._draw()

    def _draw(self) -> None:
        kept, merged = self.customers
        self.query_one("#merge-title", Static).update(Text(t(
            "merge.title", left=kept.number, right=merged.number)))
        text = Text()
        header = (fit(t("merge.field"), LABEL_WIDTH) + "   " + fit(t("merge.kept"), VALUE_WIDTH)
                  + "   " + fit(t("merge.merged"), VALUE_WIDTH))
        text.append(header + "\n", style="bold")
        for index, (name, label, left, right) in enumerate(self.rows):
            marks = ("[x]", "[ ]") if self.chosen[name] == "left" else ("[ ]", "[x]")
            left_mark, right_mark = marks
            line = (fit(label, LABEL_WIDTH) + left_mark + fit(left, VALUE_WIDTH)
                    + right_mark + fit(right, VALUE_WIDTH))
            # The fields that differ stand out: they are the choices to make.
            style = "bold" if left != right else ""
            if index == self.cursor:
                style += " reverse"
            text.append(line + "\n", style=style.strip())
        self.query_one("#merge-fields", Static).update(text)
        body = self.query_one("#merge-body", Vertical)
        if self.cursor + 2 > body.scroll_offset.y + body.size.height:
            body.scroll_to(y=self.cursor + 2 - body.size.height, animate=False)
        elif self.cursor < body.scroll_offset.y:
            body.scroll_to(y=self.cursor, animate=False)

    @property
    def taken_from_right(self) -> list[str]:
        return [name for name, side in self.chosen.items() if side == "right"]

    def action_move(self, delta: int) -> None:
        self.cursor = max(0, min(self.cursor + delta, len(self.rows) - 1))
        self._draw()

    def action_take(self, side: str) -> None:
        if self.rows:
            self.chosen[self.rows[self.cursor][0]] = side
            self._draw()

    def action_swap(self) -> None:
        """The other customer is kept, with its own values to start from."""
        self.ids.reverse()
        self.customers.reverse()
        self._read_rows()

    def action_merge(self) -> None:
        kept, merged = self.customers
        question = t("merge.confirm", left=f"{kept.number} {kept.name}",
                     right=f"{merged.number} {merged.name}")
        self.app.push_screen(ConfirmModal(question), self._answered)

    def _answered(self, yes: bool | None) -> None:
        if not yes:
            return
        kept, merged = self.customers
        try:
            merge_customers(self.app.user, kept.id, merged.id, self.taken_from_right)
        except CrmError as error:
            self.notify(str(error), severity="error")
            return
        self.notify(t("merge.done", left=kept.number, right=merged.number))
        self.app.records_changed("customer")
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()

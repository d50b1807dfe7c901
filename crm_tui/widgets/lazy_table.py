"""The list widget of every module: counts its query, fetches only what is in view.

`LazyTable(source)` shows the rows of a `RowSource` (usually a
`QuerySource` over a Peewee select). It asks the source for the number of
rows once per filter change, then for pages of `PAGE_SIZE` rows as they come
into view (a `QuerySource` seeks each page from a known key rather than
skipping rows with OFFSET), kept in a small cache that is cleared when the
filter, the sort or the data change. The body is a Line API `ScrollView`,
as in Toolong: only the lines on screen are rendered, so a list of 100,000
customers opens and scrolls like a list of 100.

Counting and fetching run in thread workers, each with its own database
connection; a row not loaded yet shows as "…" for a moment.
"""
from __future__ import annotations

import asyncio
import dataclasses
from collections import OrderedDict
from typing import Any, Callable, Protocol, Sequence

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static

from crm_tui.i18n import t
from crm_tui.models.filter_language import FilterError
from crm_tui.models.filters import error_text
from crm_tui.models.kinds import Column
from crm_tui.plain_text import plain
from crm_tui.widgets.clipboard import copy_text
from crm_tui.widgets.connection import in_thread_cancellable
from crm_tui.widgets.plain import PlainStatic
from crm_tui.widgets.query_source import QuerySource

PAGE_SIZE = 50
# A filter's rows are first counted up to this many (a bounded scan that
# stops early, however many rows match), so that its first page shows at
# once; the exact number follows from a second count.
FIRST_COUNT = 4 * PAGE_SIZE
# Typing in the filter box applies the filter after this pause.
TYPING_PAUSE = 0.15
# Pages kept in memory; the least recently used go first.
CACHED_PAGES = 40
PLACEHOLDER = "…"


class RowSource(Protocol):
    """What LazyTable needs from its data; `QuerySource` is the usual one."""

    columns: Sequence[Column]
    id_key: str

    def count(self, filter_text: str) -> int: ...

    def fetch(self, filter_text: str, sort: Column | None, descending: bool,
              offset: int, limit: int) -> list[dict]: ...

    def ids(self, filter_text: str) -> list[Any]: ...


def fit(text: str, width: int) -> str:
    """`text` cut or padded to exactly `width` terminal cells (CJK counts 2),
    drawn as plain text: line breaks and tabs as spaces, control characters
    as visible stand-ins, bidi overrides dropped (see plain_text.plain)."""
    text = plain(text.replace("\t", " "))
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    if width < 2:
        return set_cell_size(text, width)
    # Keep whole characters up to width - 1 cells, then the ellipsis; a wide
    # character that does not fit leaves a blank after the ellipsis.
    kept, used = [], 0
    for char in text:
        size = cell_len(char)
        if used + size > width - 1:
            break
        kept.append(char)
        used += size
    return set_cell_size("".join(kept) + PLACEHOLDER, width)


def table_width(columns: Sequence[Column]) -> int:
    """Cells a row of `columns` takes: their widths and a space between."""
    return sum(column.width for column in columns) + max(0, len(columns) - 1)


def fitting_columns(columns: Sequence[Column], width: int) -> list[Column]:
    """The columns a list `width` cells wide shows, in their order: those of
    priority 0, then those of priority 1, 2, ... while they all fit; the
    room left is shared by the columns that may grow (`max_width`)."""
    shown = [column for column in columns if not column.priority]
    for priority in sorted({column.priority for column in columns if column.priority}):
        wider = [column for column in columns if column in shown or column.priority == priority]
        if table_width(wider) > width:
            break
        shown = wider
    widths = [column.width for column in shown]
    spare = width - table_width(shown)
    growing = [index for index, column in enumerate(shown) if column.max_width > column.width]
    while spare > 0 and growing:
        # One cell at a time to each, so that they grow alike.
        for index in list(growing):
            if spare == 0:
                break
            widths[index] += 1
            spare -= 1
            if widths[index] >= shown[index].max_width:
                growing.remove(index)
    return [column if column.width == cells else dataclasses.replace(column, width=cells)
            for column, cells in zip(shown, widths)]


class LazyTableView(ScrollView, can_focus=True, inherit_bindings=False):
    """The rows: a fixed header line, then one line per row in view."""

    COMPONENT_CLASSES = {"lazy-table--header", "lazy-table--header-current",
                         "lazy-table--cursor", "lazy-table--placeholder"}

    BINDINGS = [
        Binding("up", "cursor(-1)", "table.up", show=False, id="table.up"),
        Binding("down", "cursor(1)", "table.down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "table.page_up", show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", "table.page_down", show=False, id="table.page_down"),
        Binding("home", "first", "table.first", show=False, id="table.first"),
        Binding("end", "last", "table.last", show=False, id="table.last"),
        Binding("enter", "choose", "table.open", id="table.open"),
        Binding("slash", "filter", "table.filter", id="table.filter"),
        # One footer entry for both column keys.
        Binding("left", "column(-1)", "table.column", key_display="←→",
                id="table.column_left"),
        Binding("right", "column(1)", "table.column_right", show=False,
                id="table.column_right"),
        Binding("s", "toggle_sort", "table.sort", id="table.sort"),
        Binding("y", "copy_cell", "ops_ui.copy", id="table.copy"),
        Binding("Y", "copy_row", "ops_ui.copy_record", show=False, id="table.copy_row"),
        Binding("escape", "clear_filter", "table.clear_filter", show=False,
                id="table.clear_filter"),
        # Marked rows are what a screen's bulk actions work on.
        Binding("space", "mark", "table.mark", show=False, id="table.mark"),
        Binding("asterisk", "mark_all", "table.mark_all", key_display="*", show=False,
                id="table.mark_all"),
    ]

    class _Counted(Message):
        def __init__(self, generation: int, count: int | None, error: str = "",
                     exact: bool = True):
            super().__init__()
            self.generation, self.count, self.error = generation, count, error
            # False: at least this many rows; the exact count comes later.
            self.exact = exact

    class _PageLoaded(Message):
        def __init__(self, generation: int, page: int, rows: list[dict] | None, error: str = ""):
            super().__init__()
            self.generation, self.page, self.rows, self.error = generation, page, rows, error

    def __init__(self, source: RowSource, filter_text: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.source = source
        # The columns shown: those of priority 0 until the width is known.
        self.columns = [column for column in source.columns if not column.priority]
        self.filter_text = filter_text
        self.sort_index: int | None = None
        self.sort_descending = False
        self.current_column = 0
        self.cursor = 0
        self.row_count = 0
        self.counted = False
        # False while the count is only a lower bound (see FIRST_COUNT).
        self.count_exact = True
        self.error = ""
        self._pages: OrderedDict[int, list[dict]] = OrderedDict()
        self._pending: set[int] = set()
        # Raised on every reload: answers for an older filter or sort are dropped.
        self._generation = 0
        # Ids of the marked rows (space, "*"), kept across reloads and filters.
        self.marked: set[Any] = set()

    # ----- loading -----------------------------------------------------
    def on_mount(self) -> None:
        self.reload()

    def reload(self, recount: bool = True) -> None:
        """Forget the cached rows and ask again (after a change of data or filter)."""
        self._generation += 1
        # Pages still being read for the old filter or sort: their SQL stops.
        self.workers.cancel_group(self, "lazy-table-page")
        self._pages.clear()
        self._pending.clear()
        self.error = ""
        if recount:
            self.counted = False
            self._count(self._generation, self.filter_text)
        else:
            self._request_visible_pages()
        self.refresh()

    async def _in_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` in a thread; when the waiting worker is
        cancelled, a database source's SQL is interrupted too."""
        if isinstance(self.source, QuerySource):
            return await in_thread_cancellable(function, *args)
        return await asyncio.to_thread(function, *args)

    @work(exclusive=True, exit_on_error=False, group="lazy-table-count")
    async def _count(self, generation: int, filter_text: str) -> None:
        """Count in a thread; a newer count (the next keystroke) cancels
        this one and stops its SQL. A source that can count up to a limit
        does that first, so a list or a filter of a million rows shows its
        first page at once; the exact count follows."""
        try:
            bounded = getattr(self.source, "count_at_most", None)
            if bounded is not None:
                count = await self._in_thread(bounded, filter_text, FIRST_COUNT)
                if count <= FIRST_COUNT:
                    self.post_message(self._Counted(generation, count))
                    return
                self.post_message(self._Counted(generation, count, exact=False))
            count = await self._in_thread(self.source.count, filter_text)
        except Exception as error:  # shown in the table's status line, not a crash
            self.post_message(self._Counted(generation, None, str(error)))
            return
        self.post_message(self._Counted(generation, count))

    @work(thread=True, exit_on_error=False, group="lazy-table-mark")
    def _mark_all(self, filter_text: str) -> None:
        try:
            ids = self.source.ids(filter_text)
        except Exception as error:
            self.post_message(self._Counted(self._generation, self.row_count, str(error)))
            return
        self.app.call_from_thread(self._marked_all, set(ids))

    def _marked_all(self, ids: set[Any]) -> None:
        # Again on rows all marked: unmark them.
        if ids and ids <= self.marked:
            self.marked -= ids
        else:
            self.marked |= ids
        self._marks_changed()

    @work(exit_on_error=False, group="lazy-table-page")
    async def _fetch_page(self, generation: int, page: int, filter_text: str,
                          sort: Column | None, descending: bool) -> None:
        try:
            rows = await self._in_thread(self.source.fetch, filter_text, sort, descending,
                                         page * PAGE_SIZE, PAGE_SIZE)
        except Exception as error:
            self.post_message(self._PageLoaded(generation, page, None, str(error)))
            return
        self.post_message(self._PageLoaded(generation, page, rows))

    @on(_Counted)
    def _counted(self, message: _Counted) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self.counted = True
        self.count_exact = message.exact
        self.error = message.error
        self.row_count = message.count or 0
        self.cursor = max(0, min(self.cursor, self.row_count - 1))
        self._update_virtual_size()
        self._scroll_cursor_into_view()
        self._request_visible_pages()
        self.refresh()
        self._announce()

    @on(_PageLoaded)
    def _page_loaded(self, message: _PageLoaded) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self._pending.discard(message.page)
        if message.rows is None:
            self.error = message.error
            self._announce()
            return
        self._pages[message.page] = message.rows
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        self.refresh()
        self._announce()

    def _request_page(self, page: int) -> None:
        if page in self._pages or page in self._pending or page < 0:
            return
        if page * PAGE_SIZE >= self.row_count:
            return
        self._pending.add(page)
        sort = self.columns[self.sort_index] if self.sort_index is not None else None
        self._fetch_page(self._generation, page, self.filter_text, sort, self.sort_descending)

    def _request_visible_pages(self) -> None:
        if not self.counted or self.row_count == 0:
            return
        first = int(self.scroll_offset.y)
        last = min(self.row_count - 1, first + max(self._body_height, 1) - 1)
        for page in range(first // PAGE_SIZE, last // PAGE_SIZE + 1):
            self._request_page(page)
        self._request_page(self.cursor // PAGE_SIZE)

    def row_at(self, index: int) -> dict | None:
        """The row at `index` if its page is loaded, else None."""
        page = self._pages.get(index // PAGE_SIZE)
        if page is None:
            return None
        self._pages.move_to_end(index // PAGE_SIZE)
        offset = index % PAGE_SIZE
        return page[offset] if offset < len(page) else None

    # ----- geometry ----------------------------------------------------
    @property
    def _body_height(self) -> int:
        """Data lines on screen: the height less the header line."""
        return max(0, self.scrollable_content_region.height - 1)

    @property
    def _table_width(self) -> int:
        return self._mark_width + table_width(self.columns)

    def _fit_columns(self) -> None:
        """The columns for the width the list has now (see `fitting_columns`);
        the sort and the current column stay on the same columns."""
        # The vertical scrollbar's cell is kept free, whether shown or not.
        width = self.size.width - self.styles.scrollbar_size_vertical - self._mark_width
        if width <= 0:
            return
        columns = fitting_columns(self.source.columns, width)
        if [(c.key, c.width) for c in columns] == [(c.key, c.width) for c in self.columns]:
            return
        keys = [column.key for column in columns]
        sort_key = self.columns[self.sort_index].key if self.sort_index is not None else None
        current_key = self.columns[self.current_column].key
        self.columns = columns
        self.sort_index = keys.index(sort_key) if sort_key in keys else None
        self.current_column = keys.index(current_key) if current_key in keys else 0
        self.refresh()

    @property
    def _mark_width(self) -> int:
        """A column for the marks, shown only while some row is marked (one
        cell: the lists are made to fill 80 columns)."""
        return 1 if self.marked else 0

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self._table_width, self.row_count + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._fit_columns()
        self._update_virtual_size()
        self._scroll_cursor_into_view()
        self._request_visible_pages()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._request_visible_pages()

    def _scroll_cursor_into_view(self) -> None:
        top = int(self.scroll_offset.y)
        height = max(self._body_height, 1)
        if self.cursor < top:
            top = self.cursor
        elif self.cursor >= top + height:
            top = self.cursor - height + 1
        if top != int(self.scroll_offset.y):
            self.scroll_to(y=top, animate=False, force=True)

    def _scroll_column_into_view(self) -> None:
        left = self._mark_width + sum(column.width + 1
                                      for column in self.columns[:self.current_column])
        right = left + self.columns[self.current_column].width
        view = self.scrollable_content_region.width
        x = int(self.scroll_offset.x)
        if left < x:
            self.scroll_to(x=left, animate=False, force=True)
        elif right > x + view:
            self.scroll_to(x=max(0, right - view), animate=False, force=True)

    # ----- rendering ---------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = max(self._table_width, self.scrollable_content_region.width)
        if y == 0:
            strip = self._header_strip(width)
        else:
            index = int(self.scroll_offset.y) + y - 1
            strip = self._row_strip(index, width)
        x = int(self.scroll_offset.x)
        return self._mark_cuts(strip, x, self.scrollable_content_region.width)

    def _mark_cuts(self, strip: Strip, x: int, view: int) -> Strip:
        """The part of the line in view, with "…" where a column is cut at
        the edge of the view (a table wider than the screen)."""
        shown = strip.crop(x, x + view)
        if view < 2:
            return shown
        starts, ends = {0}, set()
        position = 0
        for column in self.columns:
            ends.add(position + column.width)
            position += column.width + 1
            starts.add(position)
        right = x + view
        cut_right = right < self._table_width and right not in ends and right not in starts
        cut_left = x > 0 and x not in starts and x not in ends
        if not (cut_left or cut_right):
            return shown
        segments = list(shown.crop(1 if cut_left else 0, view - 1 if cut_right else view))
        if cut_left:
            segments.insert(0, Segment(PLACEHOLDER, next(iter(shown)).style))
        if cut_right:
            segments.append(Segment(PLACEHOLDER, list(shown)[-1].style))
        return Strip(segments, view)

    def _header_strip(self, width: int) -> Strip:
        base = self.rich_style
        header = base + self.get_component_rich_style("lazy-table--header")
        current = header + self.get_component_rich_style("lazy-table--header-current")
        segments = [Segment(" " * self._mark_width, header)] if self.marked else []
        for position, column in enumerate(self.columns):
            label = t(column.label_key)
            if position == self.sort_index:
                label += " ▼" if self.sort_descending else " ▲"
            style = current if position == self.current_column else header
            segments.append(Segment(fit(label, column.width), style))
            segments.append(Segment(" ", header))
        return self._pad(segments, width, header)

    def _row_strip(self, index: int, width: int) -> Strip:
        base = self.rich_style
        if index >= self.row_count:
            return Strip.blank(width, base)
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("lazy-table--cursor")
        row = self.row_at(index)
        if row is None:
            self._request_page(index // PAGE_SIZE)
            placeholder = style + self.get_component_rich_style("lazy-table--placeholder")
            return self._pad([Segment(PLACEHOLDER, placeholder)], width, style)
        segments = []
        if self.marked:
            mark = "*" if row.get(self.source.id_key) in self.marked else " "
            segments.append(Segment(mark, style))
        for column in self.columns:
            segments.append(Segment(fit(column.text(row), column.width), style))
            segments.append(Segment(" ", style))
        return self._pad(segments, width, style)

    @staticmethod
    def _pad(segments: list[Segment], width: int, style: Style) -> Strip:
        return Strip(segments).adjust_cell_length(width, style)

    def _announce(self) -> None:
        if isinstance(self.parent, LazyTable):
            self.parent.show_status()

    # ----- keys --------------------------------------------------------
    # Keys of the list that do not act on its rows: taken while it loads.
    ACTIONS_WITHOUT_ROWS = {"filter", "clear_filter", "column(-1)", "column(1)", "mark_all"}

    def ready_for_key(self, key: str) -> bool:
        """Counted, and the row under the cursor loaded (or failed): the
        app's type-ahead holds keys until then, so Enter, a move or a
        screen's key for the current row acts on the rows, not on "…".
        "/" (search) and Escape are taken at once."""
        if self.error or (self.counted and (self.row_count == 0
                                             or (self.cursor // PAGE_SIZE) in self._pages)):
            return True
        return any(binding.action in self.ACTIONS_WITHOUT_ROWS
                   for binding in self._bindings.key_to_bindings.get(key, ()))

    def set_cursor(self, index: int) -> None:
        self.cursor = max(0, min(index, self.row_count - 1))
        self._scroll_cursor_into_view()
        self._request_visible_pages()
        self.refresh()
        self._announce()

    def action_cursor(self, delta: int) -> None:
        self.set_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.set_cursor(self.cursor + direction * max(self._body_height - 1, 1))

    def action_first(self) -> None:
        self.set_cursor(0)

    def action_last(self) -> None:
        self.set_cursor(self.row_count - 1)

    def action_column(self, delta: int) -> None:
        self.current_column = max(0, min(self.current_column + delta, len(self.columns) - 1))
        self._scroll_column_into_view()
        self.refresh()

    def action_toggle_sort(self) -> None:
        """Sort by the current column; again reverses; a third time undoes."""
        if self.columns[self.current_column].expression is None:
            self.app.bell()
            return
        if self.sort_index != self.current_column:
            self.sort_index, self.sort_descending = self.current_column, False
        elif not self.sort_descending:
            self.sort_descending = True
        else:
            self.sort_index, self.sort_descending = None, False
        self.cursor = 0
        self.scroll_to(y=0, animate=False, force=True)
        self.reload(recount=False)
        self._announce()

    def action_choose(self) -> None:
        row = self.row_at(self.cursor) if self.row_count else None
        if row is not None and isinstance(self.parent, LazyTable):
            self.parent.post_message(LazyTable.RowChosen(self.parent, row.get(self.source.id_key)))

    def action_copy_cell(self) -> None:
        """The text of the cell under the cursor, to the clipboard."""
        row = self.row_at(self.cursor) if self.row_count else None
        copy_text(self.app, self.columns[self.current_column].text(row) if row else "")

    def action_copy_row(self) -> None:
        """The row under the cursor, every column, tab-separated (as a
        spreadsheet takes it)."""
        row = self.row_at(self.cursor) if self.row_count else None
        copy_text(self.app, "\t".join(column.text(row) for column in self.source.columns)
                  if row else "")

    def action_mark(self) -> None:
        """Mark the row under the cursor (or unmark it), then go down."""
        row = self.row_at(self.cursor) if self.row_count else None
        if row is None:
            return
        row_id = row.get(self.source.id_key)
        self.marked.symmetric_difference_update({row_id})
        self._marks_changed()
        self.set_cursor(self.cursor + 1)

    def action_mark_all(self) -> None:
        """Mark every row the filter shows (not only those loaded)."""
        if self.counted and self.row_count:
            self._mark_all(self.filter_text)

    def _marks_changed(self) -> None:
        self._fit_columns()
        self._update_virtual_size()
        self.refresh()
        self._announce()
        if isinstance(self.parent, LazyTable):
            self.parent.post_message(LazyTable.MarksChanged(self.parent, len(self.marked)))

    def action_filter(self) -> None:
        if isinstance(self.parent, LazyTable):
            self.parent.open_filter()

    def action_clear_filter(self) -> None:
        if isinstance(self.parent, LazyTable):
            self.parent.set_filter("")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Escape clears a filter; with none, it goes on to the screen (back).
        if action == "clear_filter":
            return bool(self.filter_text)
        if action == "choose":
            # Enter is offered only where a row opens something.
            return not isinstance(self.parent, LazyTable) or bool(self.parent.openable)
        return True

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.set_cursor(int(self.scroll_offset.y) + event.y - 1)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


class FilterInput(Input):
    """The filter box: what is typed applies after a short pause (the rows
    follow as you type), Enter applies at once and goes to the rows,
    Escape clears."""

    BINDINGS = [Binding("escape", "clear", "table.clear_filter", id="table.filter_clear")]

    class Cleared(Message):
        pass

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(self.Cleared())

    def on_blur(self) -> None:
        # An empty box with no search applied goes away again.
        table = self.parent
        if not self.value and isinstance(table, LazyTable) and not table.filter_text:
            self.display = False


class LazyTable(Vertical):
    """A lazily loaded list with a filter box ("/") and a status line.

    Posts `LazyTable.RowChosen(row_id)` on Enter (when `openable`). `current_row_id` and
    `current_row` give the row under the cursor; `reload()` reads again after
    the data changed (the cursor stays where it was).
    """

    class RowChosen(Message):
        def __init__(self, table: "LazyTable", row_id: Any):
            super().__init__()
            self.table = table
            self.row_id = row_id

        @property
        def control(self) -> "LazyTable":
            return self.table

    class MarksChanged(Message):
        """Rows were marked or unmarked; `count` are marked now."""

        def __init__(self, table: "LazyTable", count: int):
            super().__init__()
            self.table = table
            self.count = count

        @property
        def control(self) -> "LazyTable":
            return self.table

    def __init__(self, source: RowSource, *, filter_text: str = "", id: str | None = None,
                 classes: str | None = None, openable: bool = True,
                 check_filter: Callable[[str], Any] | None = None,
                 while_typing: Callable[[str], str] | None = None):
        super().__init__(id=id, classes=classes)
        self.source = source
        # Whether Enter on a row opens it (otherwise Enter is not offered).
        self.openable = openable
        self._initial_filter = filter_text
        # Raises FilterError for a filter the list cannot read (the filter
        # language); None: any text is a search.
        self.check_filter = check_filter
        # What of the text being typed to apply before Enter (None: all).
        self.while_typing = while_typing
        self._typing_timer: Any = None

    def compose(self) -> ComposeResult:
        placeholder = t("filters.placeholder" if self.check_filter else "table.filter_placeholder")
        filter_input = FilterInput(self._initial_filter, placeholder=placeholder,
                                   classes="lazy-table-filter")
        filter_input.display = bool(self._initial_filter)
        yield filter_input
        problem = PlainStatic("", classes="lazy-table-filter-error")
        problem.display = False
        yield problem
        yield LazyTableView(self.source, filter_text=self._initial_filter,
                            classes="lazy-table-view")
        yield PlainStatic("", classes="lazy-table-status")

    # ----- public ------------------------------------------------------
    @property
    def view(self) -> LazyTableView:
        return self.query_one(LazyTableView)

    @property
    def current_row(self) -> dict | None:
        view = self.view
        return view.row_at(view.cursor) if view.row_count else None

    @property
    def current_row_id(self) -> Any:
        row = self.current_row
        return None if row is None else row.get(self.source.id_key)

    @property
    def row_count(self) -> int:
        return self.view.row_count

    @property
    def filter_text(self) -> str:
        return self.view.filter_text

    def reload(self) -> None:
        self.view.reload()

    @property
    def marked_ids(self) -> set[Any]:
        """The ids of the marked rows."""
        return set(self.view.marked)

    def set_marks(self, ids: set[Any]) -> None:
        """Mark exactly these rows (none: unmark all)."""
        self.view.marked = set(ids)
        self.view._marks_changed()

    def set_filter(self, text: str, focus_rows: bool = True, keep_box: bool = False) -> None:
        """Show only the rows matching `text` ("" for all); with `keep_box`
        the box keeps what is typed (and any error shown under it)."""
        self._stop_typing_timer()
        filter_input = self.query_one(FilterInput)
        if not keep_box:
            if filter_input.value != text:
                filter_input.value = text
            self.filter_problem(None)
        filter_input.display = bool(filter_input.value) or filter_input.has_focus
        view = self.view
        view.filter_text = text.strip()
        view.cursor = 0
        view.scroll_to(y=0, animate=False, force=True)
        view.reload()
        if focus_rows:
            view.focus()

    # ----- columns and sort, as a saved view holds them ------------------
    @property
    def column_keys(self) -> list[str]:
        """The keys of the columns shown, in order."""
        return [column.key for column in self.view.columns]

    @property
    def sort_key(self) -> tuple[str, bool]:
        """(the key of the column sorted by or "", descending)."""
        view = self.view
        if view.sort_index is None:
            return "", False
        return view.columns[view.sort_index].key, view.sort_descending

    def show_columns(self, keys: Sequence[str] = ()) -> None:
        """Show the source's columns named by `keys`, in that order (every
        column for none); the sort stays on its column if that is shown."""
        view = self.view
        sorted_key, descending = self.sort_key
        by_key = {column.key: column for column in self.source.columns}
        chosen = [by_key[key] for key in keys if key in by_key] or list(self.source.columns)
        view.columns = chosen
        view.current_column = min(view.current_column, len(chosen) - 1)
        view.sort_index = next((index for index, column in enumerate(chosen)
                                if column.key == sorted_key), None)
        view.sort_descending = descending and view.sort_index is not None
        view._update_virtual_size()
        if sorted_key and view.sort_index is None:
            view.reload(recount=False)  # the sorted column went: the list's own order
        view.refresh()

    def sort_by(self, key: str, descending: bool = False) -> None:
        """Sort by the shown column `key` ("" for the list's own order)."""
        view = self.view
        index = next((index for index, column in enumerate(view.columns)
                      if column.key == key and column.expression is not None), None)
        view.sort_index, view.sort_descending = index, descending and index is not None
        view.cursor = 0
        view.scroll_to(y=0, animate=False, force=True)
        view.reload(recount=False)

    def open_filter(self) -> None:
        filter_input = self.query_one(FilterInput)
        filter_input.display = True
        filter_input.focus()

    def focus(self, scroll_visible: bool = True) -> "LazyTable":
        self.view.focus(scroll_visible)
        return self

    def show_status(self) -> None:
        view = self.view
        if view.error:
            text = t("table.error", message=view.error)
        elif not view.counted:
            text = t("table.loading")
        elif view.row_count == 0:
            text = t("table.no_rows")
        else:
            count = (view.row_count if view.count_exact
                     else t("filters.many", count=view.row_count - 1))
            text = t("table.position", row=view.cursor + 1, count=count)
        if view.filter_text:
            text += "  " + t("table.filtered", text=view.filter_text)
        if view.marked:
            text += "  " + t("table.marked", count=f"{len(view.marked):,}")
        self.query_one(".lazy-table-status", Static).update(text)

    # ----- filter box --------------------------------------------------
    @on(FilterInput.Changed)
    def _typed(self, event: Input.Changed) -> None:
        """As you type: the filter applies once the typing pauses; a newer
        keystroke replaces the pending one (and a count still running for
        an older text is cancelled when the new one starts)."""
        event.stop()
        self._stop_typing_timer()
        if event.value.strip() == self.view.filter_text:
            self.filter_problem(None)
            return
        self._typing_timer = self.set_timer(TYPING_PAUSE, lambda: self._apply_typed(event.value))

    def _apply_typed(self, text: str) -> None:
        """Apply what is typed; when it cannot be read, what comes before
        the term that goes wrong (the rows follow the terms finished so far,
        while the error shows under the box)."""
        self._typing_timer = None
        if self.readable(text):
            applied = self.while_typing(text) if self.while_typing else text
        else:
            applied = self._readable_start(text)
            if applied is None:
                return
        if applied.strip() != self.view.filter_text:
            self.set_filter(applied, focus_rows=False, keep_box=True)

    def _stop_typing_timer(self) -> None:
        if self._typing_timer is not None:
            self._typing_timer.stop()
            self._typing_timer = None

    def _readable_start(self, text: str) -> str | None:
        """The part of an unreadable `text` before the term where it goes
        wrong, if that part can be read."""
        try:
            self.check_filter(text)
        except FilterError as error:
            cut = max(text.rfind(space, 0, error.position) for space in " \t\u3000")
            if cut <= 0:
                return ""
            try:
                self.check_filter(text[:cut])
            except FilterError:
                return None
            return text[:cut]
        return text

    def readable(self, text: str) -> bool:
        """Whether the list can read `text` as a filter; if not, the reason
        shows under the box, pointing at where it goes wrong."""
        if self.check_filter is None:
            return True
        try:
            self.check_filter(text)
        except FilterError as error:
            self.filter_problem(error, text)
            return False
        self.filter_problem(None)
        return True

    def filter_problem(self, error: FilterError | None, text: str = "") -> None:
        problem = self.query_one(".lazy-table-filter-error", PlainStatic)
        problem.display = error is not None
        if error is None:
            return
        box = self.query_one(FilterInput)
        # Under the character where it went wrong: the box's padding, less
        # what it scrolled to the left.
        column = 1 + cell_len(text[:error.position]) - int(box.scroll_offset.x)
        message = error_text(error)
        width = max(self.size.width, 1)
        if column + 2 + cell_len(message) <= width:
            line = " " * max(column, 0) + "^ " + message
        elif cell_len(message) + 2 <= column:
            line = " " * (column - cell_len(message) - 1) + message + " ^"
        else:
            line = message
        problem.update(line)

    @on(FilterInput.Submitted)
    def _apply_filter(self, event: Input.Submitted) -> None:
        event.stop()
        if self.readable(event.value):
            self.set_filter(event.value)

    @on(FilterInput.Cleared)
    def _clear_filter(self, event: FilterInput.Cleared) -> None:
        event.stop()
        self.set_filter("")

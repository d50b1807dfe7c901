"""LazyTable: only the rows in view are fetched, whatever the size of the list."""
from __future__ import annotations

import threading

from rich.cells import cell_len
from textual.app import App, ComposeResult

from crm_tui.models.customers import Customer, customer_list_query
from crm_tui.widgets.lazy_table import FIRST_COUNT, PAGE_SIZE, Column, LazyTable, fit
from crm_tui.widgets.query_source import QuerySource
from tests.conftest import make_customer, make_user
from tests.pilot import press_and_settle, settle

TOTAL = 100_000


class MemorySource:
    """A list of `total` rows made on demand, counting what it is asked for."""

    def __init__(self, total: int, names=None):
        self.total = total
        self.names = names
        self.columns = [Column("id", "test.id", 8, "id"), Column("name", "test.name", 12, "name"),
                        Column("city", "test.city", 6, None)]
        self.id_key = "id"
        self.count_calls = 0
        self.fetches: list[tuple[int, int, str | None, bool, str]] = []

    def name(self, number: int) -> str:
        return self.names[number % len(self.names)] if self.names else f"name {number}"

    def _numbers(self, filter_text: str):
        if not filter_text:
            return range(self.total)
        return [number for number in range(self.total) if filter_text in self.name(number)]

    def count(self, filter_text: str) -> int:
        self.count_calls += 1
        return len(self._numbers(filter_text))

    def fetch(self, filter_text, sort, descending, offset, limit):
        self.fetches.append((offset, limit, sort.key if sort else None, descending, filter_text))
        numbers = self._numbers(filter_text)
        if descending:
            numbers = numbers[::-1]
        return [{"id": number, "name": self.name(number), "city": "北京"}
                for number in numbers[offset:offset + limit]]

    @property
    def rows_fetched(self) -> int:
        return sum(limit for _offset, limit, *_rest in self.fetches)


class TableApp(App):
    def __init__(self, source):
        super().__init__()
        self.source = source
        self.chosen: list = []

    def compose(self) -> ComposeResult:
        yield LazyTable(self.source, id="table")

    def on_mount(self) -> None:
        self.query_one(LazyTable).focus()

    def on_lazy_table_row_chosen(self, message: LazyTable.RowChosen) -> None:
        self.chosen.append(message.row_id)


def shown_lines(table: LazyTable) -> list[str]:
    view = table.view
    return [view.render_line(y).text for y in range(view.scrollable_content_region.height)]


async def test_opening_a_huge_list_fetches_one_page():
    source = MemorySource(TOTAL)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        assert table.row_count == TOTAL
        assert source.count_calls == 1
        assert source.fetches == [(0, PAGE_SIZE, None, False, "")]
        lines = shown_lines(table)
        assert lines[0].startswith("test.id")
        assert lines[1].split()[:3] == ["0", "name", "0"]
        assert table.current_row_id == 0


async def test_end_and_paging_fetch_only_the_pages_in_view():
    source = MemorySource(TOTAL)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "end")
        table = app.query_one(LazyTable)
        assert table.current_row_id == TOTAL - 1
        last_page = (TOTAL - 1) // PAGE_SIZE * PAGE_SIZE
        assert [fetch[0] for fetch in source.fetches] == [0, last_page]
        assert shown_lines(table)[-1].split()[0] == str(TOTAL - 1)
        for _ in range(3):
            await pilot.press("pageup")
        await settle(pilot)
        # Three pages up is about 60 rows: one more page, nothing in between.
        assert [fetch[0] for fetch in source.fetches] == [0, last_page, last_page - PAGE_SIZE]
        assert source.rows_fetched == 3 * PAGE_SIZE
        assert source.count_calls == 1


async def test_moving_inside_a_cached_page_fetches_nothing():
    source = MemorySource(TOTAL)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(10):
            await pilot.press("down")
        await settle(pilot)
        assert len(source.fetches) == 1
        assert app.query_one(LazyTable).current_row_id == 10
        await pilot.press("enter")
        await pilot.pause()
        assert app.chosen == [10]


async def test_sort_by_current_column_refetches_without_recounting():
    source = MemorySource(TOTAL)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "right", "s")
        assert source.fetches[-1] == (0, PAGE_SIZE, "name", False, "")
        assert "▲" in shown_lines(app.query_one(LazyTable))[0]
        await press_and_settle(pilot, "s")
        assert source.fetches[-1] == (0, PAGE_SIZE, "name", True, "")
        assert app.query_one(LazyTable).current_row_id == TOTAL - 1
        assert source.count_calls == 1
        # The city column has no sort expression: s does nothing there.
        fetches = len(source.fetches)
        await press_and_settle(pilot, "right", "s")
        assert len(source.fetches) == fetches


async def test_filter_box_applies_on_enter_and_escape_clears():
    source = MemorySource(TOTAL)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "slash", *"name 9999", "enter")
        table = app.query_one(LazyTable)
        # name 9999 and name 99990 .. name 99999
        assert table.row_count == 11
        assert source.count_calls == 2
        assert source.fetches[-1][-1] == "name 9999"
        assert table.view.has_focus
        await press_and_settle(pilot, "escape")
        assert table.row_count == TOTAL
        assert table.filter_text == ""


async def test_chinese_names_are_cut_and_aligned_by_terminal_cells():
    names = ["北京远大科技有限公司", "ab", "上海浦东发展银行股份", "混合 mixed 文字"]
    source = MemorySource(8, names=names)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.query_one(LazyTable).view
        name_start, city_start = 9, 9 + 13
        for y in range(1, 9):
            strip = view.render_line(y)
            assert strip.crop(city_start, city_start + 6).text == fit("北京", 6)
            name_cells = strip.crop(name_start, name_start + 12).text
            assert cell_len(name_cells) == 12
        assert view.render_line(1).crop(name_start, name_start + 12).text == "北京远大科… "
        assert view.render_line(2).crop(name_start, name_start + 12).text == "ab" + " " * 10


def test_fit_counts_cells():
    assert fit("北京远大科技有限公司", 7) == "北京远…"
    assert fit("北京远大科技有限公司", 12) == "北京远大科… "
    assert fit("混合 mixed 文字", 12) == "混合 mixed …"
    assert fit("ab", 4) == "ab  "
    assert cell_len(fit("混合 mixed", 5)) == 5


async def test_real_customer_query_fetches_only_the_rows_in_view(sqlite_db):
    manager = make_user("manager", "wang")
    template = make_customer(manager)
    data = {field: getattr(template, field) for field in (
        "region", "manager", "level", "satisfaction", "credit", "address", "postcode", "phone",
        "legal_representative", "bank", "bank_account", "local_tax_number", "national_tax_number")}
    with sqlite_db.atomic():
        Customer.insert_many([dict(data, number=f"KH{n:09d}", name=f"客户{n:05d}")
                              for n in range(2999)]).execute()

    class CountingQuerySource(QuerySource):
        fetched: list[tuple[int, int]] = []

        def fetch(self, filter_text, sort, descending, offset, limit):
            rows = super().fetch(filter_text, sort, descending, offset, limit)
            self.fetched.append((offset, len(rows)))
            return rows

    columns = [Column("number", "n", 13, Customer.number), Column("name", "name", 20, Customer.name),
               Column("manager_name", "m", 10, None)]
    source = CountingQuerySource(lambda text: customer_list_query(manager, text), columns)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        assert table.row_count == 3000
        assert source.fetched == [(0, PAGE_SIZE)]
        await press_and_settle(pilot, "end")
        assert source.fetched == [(0, PAGE_SIZE), (2950, PAGE_SIZE)]
        last = Customer.select().order_by(Customer.id.desc()).first()
        assert table.current_row_id == last.id
        assert table.current_row["manager_name"] == manager.display_name
        await press_and_settle(pilot, "slash", *"客户0299", "enter")
        # 客户02990 .. 客户02998
        assert table.row_count == 9


async def test_rows_are_marked_with_space_and_star_and_stay_marked(sqlite_db):
    manager = make_user("manager", "wang")
    customers = [make_customer(manager, name=name) for name in
                 ("远大科技", "远大贸易", "华东贸易", "华东电力")]
    columns = [Column("number", "n", 13, Customer.number), Column("name", "name", 20, Customer.name)]
    app = TableApp(QuerySource(lambda text: customer_list_query(manager, text), columns))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        view = table.view
        first_line = "".join(segment.text for segment in view.render_line(1))
        assert not first_line.startswith("*")
        await press_and_settle(pilot, "space")
        assert table.marked_ids == {customers[0].id} and view.cursor == 1
        assert "".join(segment.text for segment in view.render_line(1)).startswith("*")
        assert "1 marked" in str(table.query_one(".lazy-table-status").render())
        # "*" marks every row the search shows, loaded or not.
        table.set_filter("华东")
        await settle(pilot)
        await press_and_settle(pilot, "asterisk")
        assert table.marked_ids == {customers[0].id, customers[2].id, customers[3].id}
        # Again: those rows are unmarked; the others stay.
        await press_and_settle(pilot, "asterisk")
        assert table.marked_ids == {customers[0].id}
        table.reload()
        await settle(pilot)
        assert table.marked_ids == {customers[0].id}


class SlowCountSource(MemorySource):
    """A source whose exact count takes as long as a million rows' count,
    and which can count up to a limit at once."""

    def __init__(self, total: int):
        super().__init__(total)
        self.release_count = threading.Event()

    def count_at_most(self, filter_text: str, limit: int) -> int:
        return min(len(self._numbers(filter_text)), limit + 1)

    def count(self, filter_text: str) -> int:
        self.release_count.wait(timeout=10)
        return super().count(filter_text)


async def test_a_huge_list_shows_its_first_rows_before_its_exact_count():
    """Opening a list counts at most FIRST_COUNT rows first ("200+"), so the
    first page does not wait for the count of a million rows."""
    source = SlowCountSource(TOTAL)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LazyTable)
        for _ in range(200):
            if source.fetches:
                break
            await pilot.pause(0.01)
        assert source.fetches and source.fetches[0][0] == 0
        await pilot.pause(0.05)
        assert not table.view.count_exact and table.row_count == FIRST_COUNT + 1
        assert "name 0" in "".join(shown_lines(table))
        source.release_count.set()
        await settle(pilot)
        assert table.view.count_exact and table.row_count == TOTAL

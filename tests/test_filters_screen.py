"""The filter language and saved views at 80x24, typed like a person: a
filter of two fields and a word shows its rows as it is typed, a filter
that cannot be read says where, the list saved as a view opens again from
the command palette; then what the database holds."""
from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import Input

from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION
from crm_tui.models.views import SavedView
from crm_tui.screens.customers import CustomerListScreen
from crm_tui.screens.views import ColumnChooser, ViewsMenu
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import TYPING_PAUSE, LazyTable
from tests.conftest import entry, make_customer
from tests.pilot import (app_for, open_module, press_and_settle, settle, sign_in, text_of,
                         type_text)
from tests.test_app_shell import wait_for_palette_hits

FILTER = "region:福建 level:大客户 电力"


def add_customers(people) -> None:
    fujian, shanghai = entry(REGION, "福建").id, entry(REGION, "上海").id
    big, small = entry(CUSTOMER_LEVEL, "大客户").id, entry(CUSTOMER_LEVEL, "普通客户").id
    for name, region, level in (("福州华能电力公司", fujian, big), ("厦门电力设备厂", fujian, small),
                                ("福建海峡物流公司", fujian, big), ("上海电力工程公司", shanghai, big),
                                ("泉州港电力集团", fujian, big)):
        make_customer(people.manager, name=name, region=region, level=level)


async def typed_and_paused(pilot, text: str) -> None:
    """Type `text` into the focused box, then wait past the typing pause."""
    await type_text(pilot, text)
    await pilot.pause(TYPING_PAUSE * 3)
    await settle(pilot)


def shown_names(table: LazyTable) -> set[str]:
    return {table.view.row_at(index)["name"] for index in range(table.row_count)}


async def test_type_a_filter_save_it_as_a_view_and_reopen_it_from_the_palette(sqlite_url, people):
    add_customers(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        screen = await open_module(pilot, "customers", CustomerListScreen)
        table = screen.query_one(LazyTable)
        assert table.row_count == 5

        # As you type: no Enter, the rows follow once the typing pauses.
        await pilot.press("slash")
        await typed_and_paused(pilot, FILTER)
        assert table.filter_text == FILTER
        assert shown_names(table) == {"福州华能电力公司", "泉州港电力集团"}
        assert isinstance(app.focused, Input)  # still typing in the box

        # A filter that cannot be read: said under the box, the rows stay.
        await typed_and_paused(pilot, " 满意度<很")
        problem = text_of(app, ".lazy-table-filter-error")
        assert problem == " " * 38 + "^ At 28: 满意度 wants a number"  # under the 很
        assert table.filter_text == FILTER and table.row_count == 2
        await pilot.press(*["backspace"] * 6)
        await pilot.pause(TYPING_PAUSE * 3)
        assert not app.screen.query_one(".lazy-table-filter-error").display
        await press_and_settle(pilot, "enter")
        assert app.focused is table.view

        # Save the list as a view: v, the first entry, a name, Ctrl+S.
        await press_and_settle(pilot, "v")
        assert isinstance(app.screen, ViewsMenu)
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, FormModal)
        await type_text(pilot, "福建大客户电力")
        await press_and_settle(pilot, "ctrl+s")
        assert app.screen is screen
        view = SavedView.get()
        assert (view.owner_id, view.kind, view.name, view.filter_text) == (
            people.manager.id, "customer", "福建大客户电力", FILTER)

        # Back home (Escape clears the filter, then goes back), then the
        # view from the palette.
        await press_and_settle(pilot, "escape", "escape")
        assert not isinstance(app.screen, CustomerListScreen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert CommandPalette.is_open(app)
        await type_text(pilot, "福建大客户")
        await wait_for_palette_hits(pilot, "福建大客户电力")
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, CustomerListScreen)
        table = app.screen.query_one(LazyTable)
        assert table.filter_text == FILTER
        assert shown_names(table) == {"福州华能电力公司", "泉州港电力集团"}
        assert "福建大客户电力" in text_of(app, "#records-title")


async def test_choose_columns_and_a_sort_and_keep_them_in_a_view(sqlite_url, people):
    add_customers(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        screen = await open_module(pilot, "customers", CustomerListScreen)
        table = screen.query_one(LazyTable)
        # Sort by name, descending (the second column).
        await press_and_settle(pilot, "right", "s", "s")
        await press_and_settle(pilot, "v", "down", "enter")
        assert isinstance(app.screen, ColumnChooser)
        # Hide the number (the first column), move the name down one.
        await press_and_settle(pilot, "space", "down", "plus", "enter")
        assert table.column_keys == ["region_name", "name", "level_name", "manager_name",
                                     "status"]
        assert table.sort_key == ("name", True)
        await press_and_settle(pilot, "v", "enter")
        await type_text(pilot, "按名称")
        await press_and_settle(pilot, "ctrl+s")
        view = SavedView.get()
        assert (view.sort, view.descending, view.column_keys) == (
            "name", True, ["region_name", "name", "level_name", "manager_name", "status"])

        # Another list opens it from its views menu with the same columns.
        await press_and_settle(pilot, "escape")
        assert not isinstance(app.screen, CustomerListScreen)
        await open_module(pilot, "customers", CustomerListScreen)
        await press_and_settle(pilot, "v", "down", "down", "enter")
        table = app.screen.query_one(LazyTable)
        assert table.column_keys == view.column_keys
        assert table.sort_key == ("name", True)
        first = table.view.row_at(0)["name"]
        assert first == max(shown_names(table))


async def test_a_view_deleted_from_the_menu_is_gone(sqlite_url, people):
    add_customers(people)
    SavedView.save_by(people.manager, "customer", "to go", "福建")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers", CustomerListScreen)
        await press_and_settle(pilot, "v", "down", "down", "d")
        await press_and_settle(pilot, "y")
        assert SavedView.select().count() == 0


async def test_the_rows_follow_the_terms_finished_so_far(sqlite_url, people):
    add_customers(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        screen = await open_module(pilot, "customers", CustomerListScreen)
        table = screen.query_one(LazyTable)
        await pilot.press("slash")
        # "lev" may be the start of a field's name: not searched for yet.
        await typed_and_paused(pilot, "地区:福建 lev")
        assert table.filter_text == "地区:福建"
        assert table.row_count == 4
        # "level:" has no value yet: the region applies, the error shows.
        await typed_and_paused(pilot, "el:")
        assert table.filter_text == "地区:福建"
        assert table.row_count == 4
        assert "level: needs a value" in text_of(app, ".lazy-table-filter-error")
        assert app.screen.query_one(".lazy-table-filter", Input).value == "地区:福建 level:"
        await typed_and_paused(pilot, "大客户")
        assert table.filter_text == "地区:福建 level:大客户"
        assert table.row_count == 3
        assert not app.screen.query_one(".lazy-table-filter-error").display

"""The import screen at 80x24, driven like a person: from the customer
list, type the file's path, correct a column the guess missed, dry run,
import, then fix the refused row in the file of refused rows and import
that."""
from __future__ import annotations

import csv

from textual.widgets import DataTable, Input, Static

from crm_tui.config import DocumentsConfig
from crm_tui.models import AuditLog, Customer, DictionaryEntry, ImportMapping
from crm_tui.screens.customers import CustomerListScreen
from crm_tui.screens.importing import ChoiceModal, ImportScreen
from tests.import_files import CUSTOMER_HEADERS, customer_row, write_csv
from tests.pilot import app_for, open_module, press_and_settle, settle, sign_in, type_text


def import_app(sqlite_url, work):
    return app_for(sqlite_url, documents=DocumentsConfig(
        folder=str(work / "store"), upload_folders=(str(work),), export_folder=str(work)))


def shown(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def type_path(pilot, path) -> None:
    field = pilot.app.screen.query_one("#import-path", Input)
    field.focus()
    field.value = ""
    await type_text(pilot, str(path))
    await press_and_settle(pilot, "enter")


async def test_import_with_a_corrected_mapping_then_fix_the_refused_row(sqlite_db, sqlite_url,
                                                                       people, tmp_path):
    # "公司全称" is no header the guess knows: the name column is mapped by hand.
    headers = ["公司全称", *CUSTOMER_HEADERS[1:]]
    path = write_csv(tmp_path / "客户.csv", headers, [
        customer_row("北京远大科技有限公司", manager=""),
        customer_row("火星贸易有限公司", region="火星", manager="", tax="2"),
    ], "utf-8-sig")
    regions = DictionaryEntry.select().count()

    app = import_app(sqlite_url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers", CustomerListScreen)
        await press_and_settle(pilot, "i")
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        await type_path(pilot, path)
        table = screen.query_one(DataTable)
        assert table.has_focus and table.row_count == len(headers)
        assert "(not imported)" in str(table.get_row_at(0)[1])

        # A dry run with the guess: every row refused, the name missing.
        await press_and_settle(pilot, "d")
        assert "2 refused" in shown(screen, "#import-summary")
        assert Customer.select().count() == 0

        # Enter on the first column, and pick the name among the fields.
        table.move_cursor(row=0)
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, ChoiceModal)
        await press_and_settle(pilot, "down", "down", "enter")
        assert app.screen is screen
        assert str(table.get_row_at(0)[1]) == "Name *"

        # The import needs a dry run of this mapping first.
        await press_and_settle(pilot, "i")
        assert Customer.select().count() == 0
        await press_and_settle(pilot, "d")
        summary = shown(screen, "#import-summary")
        assert "1 would be created" in summary and "1 refused" in summary
        assert 'Region: unknown value "火星"' in summary
        assert "火星" in shown(screen, "#import-unknown")

        await press_and_settle(pilot, "i")
        summary = shown(screen, "#import-summary")
        assert "Imported 2 rows: 1 created" in summary
        assert [c.name for c in Customer.select()] == ["北京远大科技有限公司"]
        assert Customer.get().manager_id == people.manager.id
        assert ImportMapping.select().count() == 1
        [refused] = tmp_path.glob("客户.refused-*.csv")
        assert "Refused rows with their reasons" in summary

        # Fix the refused row in its file, as in a spreadsheet, and import it.
        with refused.open(encoding="utf-8-sig", newline="") as source:
            lines = list(csv.reader(source))
        assert lines[1][0] == "火星贸易有限公司"
        lines[1][1] = "上海"
        fixed = write_csv(tmp_path / "fixed.csv", lines[0], lines[1:], "utf-8-sig")
        await type_path(pilot, fixed)
        # The mapping saved for the first file is used: the name is mapped.
        assert "saved" in shown(screen, "#import-status")
        assert str(table.get_row_at(0)[1]) == "Name *"
        await press_and_settle(pilot, "d")
        await press_and_settle(pilot, "i")
        await settle(pilot)
        assert "1 created, 0 updated, 0 skipped as duplicates, 0 refused" in shown(
            screen, "#import-summary")

    assert sorted(c.name for c in Customer.select()) == ["北京远大科技有限公司", "火星贸易有限公司"]
    assert Customer.get(Customer.name == "火星贸易有限公司").region.item == "上海"
    assert DictionaryEntry.select().count() == regions
    assert AuditLog.select().where(AuditLog.field == "import").count() == 2


async def test_an_unknown_value_is_mapped_on_screen(sqlite_db, sqlite_url, people, tmp_path):
    path = write_csv(tmp_path / "in.csv", CUSTOMER_HEADERS, [
        customer_row("甲有限公司", region="京", manager="")], "gbk")
    app = import_app(sqlite_url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers", CustomerListScreen)
        await press_and_settle(pilot, "i")
        screen = app.screen
        await type_path(pilot, path)
        await press_and_settle(pilot, "d")
        assert "1 refused" in shown(screen, "#import-summary")
        await press_and_settle(pilot, "v")
        modal = app.screen
        assert isinstance(modal, ChoiceModal)
        beijing = [label for _value, label in modal.options].index("北京")
        await press_and_settle(pilot, *["down"] * beijing, "enter")
        await press_and_settle(pilot, "d")
        assert "1 would be created" in shown(screen, "#import-summary")
        await press_and_settle(pilot, "i")
    assert Customer.get().region.item == "北京"


async def test_a_file_outside_the_upload_folders_is_refused(sqlite_db, sqlite_url, people,
                                                            tmp_path):
    app = import_app(sqlite_url, tmp_path / "uploads")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers", CustomerListScreen)
        await press_and_settle(pilot, "i")
        await type_path(pilot, "/etc/passwd")
        assert "only from" in shown(app.screen, "#import-status")
        assert app.screen.query_one(DataTable).row_count == 0

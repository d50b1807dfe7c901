"""Bulk actions at 80x24: mark rows with space and "*", b, choose what to
do, answer its form once; the summary lists the refused rows."""
from __future__ import annotations

from crm_tui.models import AuditLog, Customer
from crm_tui.screens.bulk import BulkProgressScreen
from crm_tui.screens.customers import CustomerListScreen
from crm_tui.screens.records import ActionsMenu
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import LazyTable
from tests.conftest import make_customer
from tests.pilot import (app_for, choose, offered, open_module, press_and_settle, save,
                         search_list, settle, sign_in, text_of)


async def test_bulk_assign_fifty_marked_customers(sqlite_url, people):
    batch = [make_customer(people.manager, name=f"批量客户{n:02d}") for n in range(52)]
    other = make_customer(people.manager, name="远大科技")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await open_module(pilot, "customers", CustomerListScreen)
        assert "b" not in offered(app, "records.bulk") and not offered(app, "records.bulk")
        table = await search_list(pilot, "批量客户")
        assert table.row_count == 52
        await press_and_settle(pilot, "asterisk")  # every row the search shows
        assert len(table.marked_ids) == 52
        await press_and_settle(pilot, "space", "space")  # the first two again: unmarked
        assert len(table.marked_ids) == 50
        assert "50 marked" in text_of(app, ".lazy-table-status")
        assert offered(app, "records.bulk")

        await press_and_settle(pilot, "b")
        assert isinstance(app.screen, ActionsMenu)
        await press_and_settle(pilot, "enter")  # the first: assign an account manager
        assert isinstance(app.screen, FormModal)
        await save(pilot)  # blank: refused in the form, nothing asked yet
        assert isinstance(app.screen, FormModal)
        await choose(pilot, "manager", "赵经理")
        await save(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await press_and_settle(pilot, "y")
        assert isinstance(app.screen, BulkProgressScreen)
        assert "50 changed" in text_of(app, "#bulk-summary")
        await press_and_settle(pilot, "escape")
        assert isinstance(app.screen, CustomerListScreen)
        assert app.screen.query_one(LazyTable).marked_ids == set()

    managers = {customer.id: Customer.get_by_id(customer.id).manager_id for customer in batch}
    assert [managers[c.id] for c in batch[:2]] == [people.manager.id] * 2
    assert {managers[c.id] for c in batch[2:]} == {people.other_manager.id}
    assert Customer.get_by_id(other.id).manager_id == people.manager.id
    assert AuditLog.select().where((AuditLog.table_name == "customer")
                                   & (AuditLog.field == "manager")).count() == 50


async def test_bulk_delete_lists_the_refused_rows(sqlite_url, people):
    mine = [make_customer(people.manager, name=f"王的客户{n}") for n in range(3)]
    Customer.get_by_id(mine[0].id).delete_by(people.manager)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers", CustomerListScreen)
        table = app.screen.query_one(LazyTable)
        await press_and_settle(pilot, "space", "space")
        # Someone deletes a marked customer meanwhile: its row is refused.
        Customer.get_by_id(mine[1].id).delete_by(people.manager)
        await press_and_settle(pilot, "b")
        menu = app.screen
        assert isinstance(menu, ActionsMenu)
        labels = [str(option.prompt).strip() for option in menu.query_one("#actions-menu")._options]
        assert labels[-2:] == ["Delete", "Export the marked rows"]
        await press_and_settle(pilot, *["down"] * (len(labels) - 2), "enter")
        await press_and_settle(pilot, "y")
        summary = text_of(app, "#bulk-summary")
        assert summary.startswith("1 changed, 1 refused: ")
        assert f"#{mine[1].id}: " in text_of(app, "#bulk-refused-rows")
        await press_and_settle(pilot, "enter")
        await settle(pilot)
        assert table.marked_ids == {mine[1].id}
    assert Customer.get_by_id(mine[2].id).status == "deleted"

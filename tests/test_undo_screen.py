"""Undo at 80x24: an account manager's Ctrl+Z on the customer screen puts
the old value back where it shows; the administrator undoes a row of the
audit log with z; a refusal says why."""
from __future__ import annotations

from crm_tui.models import AuditLog, Customer
from crm_tui.models.undo import UNDO
from crm_tui.screens.audit import AuditScreen
from crm_tui.screens.customer_detail import CustomerDetailScreen
from crm_tui.widgets.confirm import ConfirmModal
from tests.conftest import make_customer
from tests.pilot import (app_for, notices, open_module, press_and_settle, push_and_settle,
                         sign_in, text_of)


async def test_undo_an_edit_and_see_the_old_value_back(sqlite_url, people):
    customer = make_customer(people.manager, name="华东电力")
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await push_and_settle(pilot, CustomerDetailScreen(customer.id))
        # The phone is edited (on another screen, say) ...
        Customer.get_by_id(customer.id).update_by(people.manager, {"phone": "021-99998888"})
        pilot.app.records_changed("customer")
        await press_and_settle(pilot)
        assert "021-99998888" in text_of(pilot.app, ".record-fields")
        # ... and undone: the question names the change.
        await press_and_settle(pilot, "ctrl+z")
        assert isinstance(pilot.app.screen, ConfirmModal)
        assert "021-99998888" in str(pilot.app.screen.query_one(".confirm-message").render())
        await press_and_settle(pilot, "y")
        assert isinstance(pilot.app.screen, CustomerDetailScreen)
        assert "Phone: 010-62345678" in text_of(pilot.app, ".record-fields")
    assert Customer.get_by_id(customer.id).phone == "010-62345678"
    assert AuditLog.select().where(AuditLog.action == UNDO).count() == 1


async def test_administrator_undoes_a_row_of_the_audit_log(sqlite_url, people):
    customer = make_customer(people.manager, name="华东电力")
    customer.update_by(people.manager, {"phone": "021-99998888"})
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        screen = await open_module(pilot, "audit", AuditScreen)
        # The newest row first: the manager's edit of the phone.
        assert screen.table.current_row["field"] == "phone"
        await press_and_settle(pilot, "z", "y")
        assert Customer.get_by_id(customer.id).phone == "010-62345678"
        assert screen.table.current_row["action"] == UNDO
        # Below the mark, the edit back, then the manager's edit: undone
        # already, so the question is not asked.
        await press_and_settle(pilot, "down", "down")
        row = screen.table.current_row
        assert (row["action"], row["field"], row["new"]) == ("update", "phone", "021-99998888")
        await press_and_settle(pilot, "z")
        assert pilot.app.screen is screen
        assert any("undone already" in notice for notice in notices(pilot.app))

"""Administration, dictionary and audit screens driven like a person at 80x24."""
from __future__ import annotations

from textual.widgets import Input, SelectionList

from crm_tui.models import AuditLog
from crm_tui.models.customers import Customer
from crm_tui.models.dictionary import REGION, DictionaryEntry
from crm_tui.models.users import Role, RolePermission, User, Permission
from crm_tui.screens.admin import AdminScreen, PermissionScreen
from crm_tui.screens.audit import AuditScreen
from crm_tui.screens.customers import CustomerListScreen
from crm_tui.screens.dictionary import DictionaryScreen
from crm_tui.screens.reports import ReportsScreen
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import LazyTable
from tests.conftest import entry, make_customer
from tests.pilot import (app_for, notices, open_module, press_and_settle, save, settle, sign_in,
                         type_text)


async def test_admin_creates_a_manager_who_then_sees_only_own_data(sqlite_url, people):
    theirs = make_customer(people.manager, name="王经理的客户有限公司")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await open_module(pilot, "admin", AdminScreen)
        await press_and_settle(pilot, "n")
        assert isinstance(app.screen, FormModal)
        await type_text(pilot, "chen")
        await pilot.press("tab")
        await type_text(pilot, "陈经理")
        await pilot.press("tab", "tab")  # the role is preset to account manager
        await type_text(pilot, "chen-password")
        await save(pilot)
        assert isinstance(app.screen, AdminScreen)
    chen = User.get(User.login == "chen")
    assert (chen.display_name, chen.role.key, chen.active) == ("陈经理", "manager", True)
    assert AuditLog.select().where((AuditLog.table_name == "user") & (AuditLog.row_id == chen.id)
                                   & (AuditLog.actor == people.admin.id)).exists()
    own = make_customer(chen, actor=people.admin, name="陈经理的客户有限公司")

    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "chen", "chen-password")
        assert [module.key for module in app.allowed_modules()].count("admin") == 0
        await open_module(pilot, "customers", CustomerListScreen)
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 1 and table.current_row["name"] == own.name
        await pilot.press("escape")
        await open_module(pilot, "reports", ReportsScreen)
        await press_and_settle(pilot, "f5")
        assert app.screen.query_one("#report-churn").source.rows == []
        contribution = app.screen.query_one("#report-contribution").source
        assert theirs.name not in str(contribution.fetch("", None, False, 0, 1000))


async def test_the_last_administrator_cannot_be_disabled(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await open_module(pilot, "admin")
        table = app.screen.query_one("#user-table", LazyTable)
        assert table.current_row["login"] == "admin"
        await press_and_settle(pilot, "a")
        assert isinstance(app.screen, ConfirmModal)
        await press_and_settle(pilot, "y")
        assert any("last active administrator" in text for text in notices(app))
        # Nor demoted through the edit form.
        await press_and_settle(pilot, "e")
        form = app.screen
        assert isinstance(form, FormModal)
        form.query_one("#form-input-role").value = "executive"
        await save(pilot)
        assert app.screen is form and "last active administrator" in str(
            form.query_one("#form-error-role").render())
    admin = User.get_by_id(people.admin.id)
    assert admin.active and admin.role.key == "admin"


async def test_manager_disabled_and_password_reset_on_screen(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await open_module(pilot, "admin")
        table = app.screen.query_one("#user-table", LazyTable)
        table.set_filter("zhao")
        await settle(pilot)
        assert table.current_row["login"] == "zhao"
        await press_and_settle(pilot, "a", "y")
        assert not User.get_by_id(people.other_manager.id).active
        await press_and_settle(pilot, "p")
        await type_text(pilot, "new-secret-9")
        await save(pilot)
    assert User.get_by_id(people.other_manager.id).check_password("new-secret-9")


async def test_permission_matrix_revokes_and_keeps_user_manage(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await open_module(pilot, "admin")
        await press_and_settle(pilot, "f3")
        roles = app.screen.query_one("#role-table", LazyTable)
        assert roles.current_row["key"] == "admin"
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, PermissionScreen)
        codes = [option.value for option in app.screen.query_one(SelectionList)._options]
        # user.manage is last: the administrator role must keep it.
        await press_and_settle(pilot, "end", "space")
        assert "user.manage" in app.screen.query_one(SelectionList).selected
        assert any("user.manage" in text for text in notices(app))
        await press_and_settle(pilot, "escape")
        # The manager role loses report.view.
        await press_and_settle(pilot, "end", "enter")
        assert app.screen.role.key == "manager"
        selections = app.screen.query_one(SelectionList)
        await press_and_settle(pilot, "home", *["down"] * codes.index("report.view"), "space")
        assert "report.view" not in selections.selected
    manager = Role.get(Role.key == "manager")
    assert not RolePermission.select().join(Permission).where(
        (RolePermission.role == manager) & (Permission.code == "report.view")).exists()
    assert people.admin.has_perm("user.manage")
    assert not people.manager.has_perm("report.view")


async def test_roles_created_and_deleted_on_screen(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await open_module(pilot, "admin")
        await press_and_settle(pilot, "f3", "n")
        await type_text(pilot, "auditor")
        await pilot.press("tab")
        await type_text(pilot, "审计员")
        await save(pilot)
        assert Role.get(Role.key == "auditor").name == "审计员"
        roles = app.screen.query_one("#role-table", LazyTable)
        await press_and_settle(pilot, "end", "d", "y")
        assert Role.get_or_none(Role.key == "auditor") is None
        # A seeded role stays, and the screen says why.
        await press_and_settle(pilot, "home", "d", "y")
        assert Role.get_or_none(Role.key == "admin") is not None
        assert any("built-in" in text for text in notices(app))
        assert roles.row_count == 4


async def test_dictionary_screen_creates_and_refuses_to_delete_an_entry_in_use(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await open_module(pilot, "dictionary", DictionaryScreen)
        await press_and_settle(pilot, "n")
        form = app.screen
        form.query_one("#form-input-type", Input).value = REGION
        form.query_one("#form-input-item", Input).focus()
        await type_text(pilot, "海南")
        await pilot.press("tab")
        await type_text(pilot, "46")
        await save(pilot)
        assert isinstance(app.screen, DictionaryScreen)
        hainan = DictionaryEntry.get((DictionaryEntry.type == REGION) & (DictionaryEntry.item == "海南"))
        assert hainan.editable
        make_customer(people.manager, region=hainan.id, name="海南椰岛有限公司")
        table = app.screen.query_one(LazyTable)
        table.set_filter("海南")
        await settle(pilot)
        await press_and_settle(pilot, "d", "y")
        assert any("1 customer(s)" in text for text in notices(app))
        assert DictionaryEntry.get_or_none(DictionaryEntry.id == hainan.id) is not None
        # A locked entry does not even open for editing.
        table.set_filter("大客户")
        await settle(pilot)
        await press_and_settle(pilot, "e")
        assert isinstance(app.screen, DictionaryScreen)
        assert any("locked" in text for text in notices(app))
    assert Customer.select().where(Customer.region == hainan.id).count() == 1
    assert entry("客户等级", "大客户").item == "大客户"


async def test_audit_screen_lists_changes_filtered_by_user(sqlite_url, people):
    customer = make_customer(people.manager)
    customer.update_by(people.manager, {"name": "改了名的公司"})
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await open_module(pilot, "audit", AuditScreen)
        table = app.screen.query_one(LazyTable)
        assert table.row_count == AuditLog.select().count()
        app.screen.query_one("#audit-user").value = people.manager.id
        await settle(pilot)
        assert table.row_count == 2
        assert table.current_row["new"] == "改了名的公司"
        app.screen.query_one("#audit-date_from", Input).focus()
        await type_text(pilot, "2000-01-01")
        await pilot.press("tab")
        await type_text(pilot, "2000-12-31")
        await press_and_settle(pilot, "enter")
        assert table.row_count == 0

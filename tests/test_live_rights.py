"""Rights follow the user at once: two sessions of the real app on one
database, an administrator in one, an account manager in the other. A
disabled account's open session ends with a message at its next key; a
demoted user or a role that lost a permission loses the right at the next
action; a granted right shows at the next screen."""
from __future__ import annotations

from crm_tui.models import Customer, Permission, Role, RolePermission, User
from crm_tui.screens.admin import AdminScreen, PermissionScreen
from crm_tui.screens.customers import CustomerListScreen
from crm_tui.screens.home import HomeScreen
from crm_tui.screens.login import LoginScreen
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import LazyTable
from tests.conftest import make_customer
from tests.pilot import app_for, open_module, press_and_settle, settle, sign_in, text_of
from textual.widgets import SelectionList


async def _admin_finds(pilot, login: str) -> None:
    await open_module(pilot, "admin", AdminScreen)
    table = pilot.app.screen.query_one("#user-table", LazyTable)
    table.set_filter(login)
    await settle(pilot)
    assert table.current_row["login"] == login


async def test_a_disabled_users_open_session_ends_with_a_message(sqlite_url, people):
    admin_app, manager_app = app_for(sqlite_url), app_for(sqlite_url)
    async with admin_app.run_test(size=(80, 24)) as admin, \
            manager_app.run_test(size=(80, 24)) as manager:
        await sign_in(manager, "wang")
        await open_module(manager, "customers", CustomerListScreen)
        await sign_in(admin, "admin")
        await _admin_finds(admin, "wang")
        await press_and_settle(admin, "a", "y")
        assert not User.get_by_id(people.manager.id).active
        # The manager's next key ends the session instead of acting.
        await press_and_settle(manager, "n")
        assert manager_app.user is None
        assert isinstance(manager_app.screen, LoginScreen)
        assert "disabled" in text_of(manager_app, "#login-error")
        assert not isinstance(manager_app.screen, FormModal)
    assert Customer.select().count() == 0


async def test_a_demoted_user_loses_the_right_at_the_next_action(sqlite_url, people):
    make_customer(people.manager, name="王的客户")
    admin_app, manager_app = app_for(sqlite_url), app_for(sqlite_url)
    async with admin_app.run_test(size=(80, 24)) as admin, \
            manager_app.run_test(size=(80, 24)) as manager:
        await sign_in(manager, "wang")
        await open_module(manager, "customers", CustomerListScreen)
        await sign_in(admin, "admin")
        await _admin_finds(admin, "wang")
        await press_and_settle(admin, "e")
        form = admin_app.screen
        assert isinstance(form, FormModal)
        form.query_one("#form-input-role").value = "executive"
        await press_and_settle(admin, "ctrl+s")
        assert User.get_by_id(people.manager.id).role.key == "executive"
        # The customer list is still open: "n" no longer opens a new customer.
        await press_and_settle(manager, "n")
        assert not isinstance(manager_app.screen, FormModal)
        # And the rule refuses it whatever a screen offers.
        assert not manager_app.user.has_perm("customer.edit")
        await press_and_settle(manager, "escape")
        assert isinstance(manager_app.screen, HomeScreen)
        assert "高管" in text_of(manager_app, "#home-title") or "xecutive" in text_of(
            manager_app, "#home-title")
    assert Customer.select().count() == 1


async def test_a_revoked_permission_goes_and_a_granted_one_shows_at_the_next_screen(
        sqlite_url, people):
    admin_app, manager_app = app_for(sqlite_url), app_for(sqlite_url)
    async with admin_app.run_test(size=(80, 24)) as admin, \
            manager_app.run_test(size=(80, 24)) as manager:
        await sign_in(manager, "wang")
        assert "reports" in [module.key for module in manager_app.allowed_modules()]
        await open_module(manager, "customers", CustomerListScreen)
        await sign_in(admin, "admin")
        await open_module(admin, "admin", AdminScreen)
        await press_and_settle(admin, "f3")
        roles = admin_app.screen.query_one("#role-table", LazyTable)
        await press_and_settle(admin, "end")  # the account manager role is the last
        assert roles.current_row["key"] == "manager"
        await press_and_settle(admin, "enter")
        assert isinstance(admin_app.screen, PermissionScreen)
        selections = admin_app.screen.query_one(SelectionList)
        codes = [option.value for option in selections._options]
        # Revoke report.view, grant dictionary.manage.
        await press_and_settle(admin, "home", *["down"] * codes.index("report.view"), "space")
        await press_and_settle(admin, "home", *["down"] * codes.index("dictionary.manage"),
                               "space")
        manager_role = Role.get(Role.key == "manager")
        granted = {code for (code,) in Permission.select(Permission.code).join(RolePermission)
                   .where(RolePermission.role == manager_role).tuples()}
        assert "dictionary.manage" in granted and "report.view" not in granted
        # Back on the manager's home screen, the menu is the new one.
        await press_and_settle(manager, "escape")
        assert isinstance(manager_app.screen, HomeScreen)
        menu = [str(option.prompt) for option in
                manager_app.screen.query_one("#home-menu")._options]
        assert any("ictionary" in label for label in menu)
        assert not any("eport" in label for label in menu)


def test_a_copy_in_memory_keeps_no_right_the_database_took_away(crm_db, people):
    from crm_tui.models import admin
    from crm_tui.models.errors import PermissionDenied
    from crm_tui.models.users import require
    import pytest

    session_copy = User.get_by_id(people.manager.id)  # what an open session holds
    customer = make_customer(people.manager, name="王的客户")
    assert Customer.visible_to(session_copy).count() == 1
    # Demoted: the copy still says role "manager", the rights are an executive's.
    admin.update_user(people.admin, User.get_by_id(people.manager.id), {"role": "executive"})
    assert session_copy.role_id == Role.get(Role.key == "manager").id
    with pytest.raises(PermissionDenied):
        require(session_copy, "customer.edit")
    with pytest.raises(PermissionDenied):
        Customer.get_by_id(customer.id).update_by(session_copy, {"name": "改"})
    assert "customer.view_all" in session_copy.permissions()
    # Back to manager, then the role loses customer.edit.
    admin.update_user(people.admin, User.get_by_id(people.manager.id), {"role": "manager"})
    assert session_copy.has_perm("customer.edit")
    admin.set_grant(people.admin, Role.get(Role.key == "manager"), "customer.edit", False)
    assert not session_copy.has_perm("customer.edit")
    # Disabled: the copy still says active, it sees and may do nothing.
    admin.set_user_active(people.admin, User.get_by_id(people.manager.id), False)
    assert session_copy.active
    assert session_copy.permissions() == set()
    assert not session_copy.has_perm("customer.view")
    assert Customer.visible_to(session_copy).count() == 0
    assert not session_copy.still_active()

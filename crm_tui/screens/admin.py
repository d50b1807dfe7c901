"""Access control (权限管理, M6): users, roles, and each role's permissions.

Two tabs: users (F2) and roles (F3). Every change goes through
models/admin.py, which checks user.manage and keeps the last administrator;
its refusals are shown as messages. A role's permissions open on their own
screen (Enter on a role): space grants or revokes the highlighted one at
once, and it applies to that role's users from their next screen load.
"""
from __future__ import annotations

from typing import Any, Callable

from peewee import SQL
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import SelectionList, Static, TabbedContent, TabPane
from textual.widgets.selection_list import Selection

from crm_tui.i18n import t
from crm_tui.models import admin
from crm_tui.models.errors import CrmError, ValidationError
from crm_tui.models.users import Role, User
from crm_tui.widgets.checklist import CheckList
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.connection import in_thread
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.lazy_table import Column, LazyTable
from crm_tui.widgets.query_source import QuerySource
from crm_tui.widgets.plain import PlainStatic, plain_content


def error_text(error: CrmError) -> str:
    """A refusal as the user should read it (without field names)."""
    if isinstance(error, ValidationError):
        return " ".join(error.errors.values())
    return str(error)


def describe(code: str, description: str) -> str:
    """A permission's description in the user's language (the stored one
    for codes the translations do not know)."""
    key = f"permission.{code}"
    text = t(key)
    return description if text == key else text


def _active(value: Any) -> str:
    return t("admin.user.enabled") if value else t("admin.user.disabled")


def _locked_since(value: Any) -> str:
    # A datetime on PostgreSQL, its text on SQLite: month, day, time.
    return "" if value is None else str(value)[5:16]


USER_COLUMNS = [
    Column("login", "admin.user.login", 14, User.login),
    Column("display_name", "admin.user.display_name", 16, User.display_name),
    Column("role_name", "admin.user.role", 12, SQL("role_name")),
    Column("active", "admin.user.active", 8, User.active, format=_active),
    Column("locked_since", "rights.locked_since", 11, SQL("locked_since"), format=_locked_since),
]
ROLE_COLUMNS = [
    Column("key", "admin.role.key", 14, Role.key),
    Column("name", "admin.role.name", 16, Role.name),
    Column("users", "admin.role.users", 8, SQL("users")),
    Column("permissions", "admin.role.permissions", 8, SQL("permissions")),
]


class AdminScreen(Screen):
    BINDINGS = [
        Binding("f2", "show('users')", "admin.users", show=False, id="admin.users"),
        Binding("f3", "show('roles')", "admin.roles", show=False, id="admin.roles"),
        Binding("n", "new", "admin.new", id="admin.new"),
        Binding("e", "edit", "admin.edit", id="admin.edit"),
        Binding("a", "toggle_active", "admin.toggle_active", id="admin.toggle_active"),
        Binding("p", "reset_password", "admin.reset_password", id="admin.reset_password"),
        Binding("u", "unlock", "rights.unlock", id="admin.unlock"),
        Binding("d", "delete_role", "admin.delete_role", id="admin.delete_role"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(t("admin.title"), classes="screen-title")
        with TabbedContent(id="admin-tabs"):
            with TabPane(f"F2 {t('admin.users')}", id="tab-users"):
                yield LazyTable(QuerySource(admin.user_query, USER_COLUMNS), id="user-table")
                yield Static(t("admin.users.hint"), classes="admin-hint")
            with TabPane(f"F3 {t('admin.roles')}", id="tab-roles"):
                yield LazyTable(QuerySource(lambda text: admin.role_query(), ROLE_COLUMNS),
                                id="role-table")
                yield Static(t("admin.roles.hint"), classes="admin-hint")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.user_table.focus()

    @property
    def user_table(self) -> LazyTable:
        return self.query_one("#user-table", LazyTable)

    @property
    def role_table(self) -> LazyTable:
        return self.query_one("#role-table", LazyTable)

    @property
    def tab(self) -> str:
        return self.query_one(TabbedContent).active.removeprefix("tab-")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Show only the keys of the tab in view.
        if action in ("toggle_active", "reset_password", "unlock"):
            return self.tab == "users"
        if action == "delete_role":
            return self.tab == "roles"
        return True

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        (self.user_table if self.tab == "users" else self.role_table).focus()
        self.refresh_bindings()

    def action_show(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"

    # ----- helpers -----------------------------------------------------
    def _current_user(self) -> User | None:
        user_id = self.user_table.current_row_id
        return None if user_id is None else User.get_or_none(User.id == user_id)

    def _current_role(self) -> Role | None:
        role_id = self.role_table.current_row_id
        return None if role_id is None else Role.get_or_none(Role.id == role_id)

    def _form(self, title: str, fields: Any, values: dict, submit: Callable[[dict], Any]) -> None:
        def done(result: Any) -> None:
            if result is not None:
                self.user_table.reload()
                self.role_table.reload()
                self.notify(t("admin.saved"))

        self.app.push_screen(FormModal(title, fields, values, submit), done)

    @work(group="admin-change")
    async def _run(self, change: Callable[..., Any], *args: Any, done: str = "admin.saved") -> None:
        """Run a model change in a thread; show its refusal or reload."""
        try:
            await in_thread(change, *args)
        except CrmError as error:
            self.notify(error_text(error), severity="error", timeout=8)
            return
        self.user_table.reload()
        self.role_table.reload()
        self.notify(t(done))

    # ----- actions -----------------------------------------------------
    def action_new(self) -> None:
        actor = self.app.user
        if self.tab == "users":
            self._form(t("admin.user.new_title"), admin.USER_FIELDS, {"role": "manager"},
                       lambda values: admin.create_user(actor, values))
        else:
            self._form(t("admin.role.new_title"), admin.ROLE_FIELDS, {},
                       lambda values: admin.create_role(actor, values))

    def action_edit(self) -> None:
        actor = self.app.user
        if self.tab == "users":
            user = self._current_user()
            if user is not None:
                self._form(t("admin.user.edit_title", login=user.login), admin.USER_EDIT_FIELDS,
                           {"display_name": user.display_name, "role": user.role.key},
                           lambda values: admin.update_user(actor, user, values))
        else:
            role = self._current_role()
            if role is not None:
                self._form(t("admin.role.rename_title", role_key=role.key), admin.ROLE_FIELDS[1:],
                           {"name": role.name}, lambda values: admin.rename_role(actor, role, values))

    @on(LazyTable.RowChosen, "#user-table")
    def _user_chosen(self) -> None:
        self.action_edit()

    @on(LazyTable.RowChosen, "#role-table")
    def _role_chosen(self) -> None:
        role = self._current_role()
        if role is not None:
            self.app.push_screen(PermissionScreen(role), lambda _: self.role_table.reload())

    def action_toggle_active(self) -> None:
        user = self._current_user()
        if user is None:
            return
        question = "admin.user.confirm_disable" if user.active else "admin.user.confirm_enable"

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(admin.set_user_active, self.app.user, user, not user.active)

        self.app.push_screen(ConfirmModal(t(question, login=user.login)), answered)

    def action_reset_password(self) -> None:
        user = self._current_user()
        if user is not None:
            actor = self.app.user
            self._form(t("admin.user.password_title", login=user.login), admin.PASSWORD_FIELDS,
                       {}, lambda values: admin.reset_user_password(actor, user, values) or True)

    def action_unlock(self) -> None:
        """Lift the lockout of the highlighted account."""
        user = self._current_user()
        if user is not None:
            self._run(admin.unlock_user, self.app.user, user, done="rights.unlocked")

    def action_delete_role(self) -> None:
        role = self._current_role()
        if role is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(admin.delete_role, self.app.user, role, done="admin.role.deleted")

        self.app.push_screen(ConfirmModal(t("admin.role.confirm_delete", name=role.name)), answered)


class PermissionScreen(Screen):
    """The permission matrix of one role: space grants or revokes."""

    BINDINGS = [Binding("escape", "close", "admin.close", id="admin.permissions_close")]

    def __init__(self, role: Role):
        super().__init__()
        self.role = role

    def compose(self) -> ComposeResult:
        yield PlainStatic(t("admin.permissions.title", name=self.role.name,
                            role_key=self.role.key), classes="screen-title")
        selections = [Selection(plain_content(f"{code:<20} {describe(code, description)}"),
                                code, granted)
                      for code, description, granted in admin.permission_matrix(self.role)]
        yield CheckList(*selections, id="permission-list")
        yield Static(t("admin.permissions.hint"), classes="admin-hint")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    @on(SelectionList.SelectionToggled)
    def _toggled(self, event: SelectionList.SelectionToggled) -> None:
        code = event.selection.value
        self.save_grant(code, code in event.selection_list.selected)

    @work(group="permission-change")
    async def save_grant(self, code: str, granted: bool) -> None:
        try:
            await in_thread(admin.set_grant, self.app.user, self.role, code, granted)
        except CrmError as error:
            # Put the box back as the database has it.
            selections = self.query_one(SelectionList)
            (selections.deselect if granted else selections.select)(code)
            self.notify(error_text(error), severity="error", timeout=8)
            return
        self.notify(t("admin.permissions.granted" if granted else "admin.permissions.revoked",
                      code=code), timeout=3)

    def action_close(self) -> None:
        self.dismiss(None)


__all__ = ["AdminScreen", "PermissionScreen"]

"""Signing in (M6), and the lock screen of an idle session."""
from __future__ import annotations

import logging

from rich.cells import set_cell_size
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from crm_tui.i18n import t
from crm_tui.models.errors import CrmError
from crm_tui.models.users import User, authenticate
from crm_tui.widgets.connection import in_thread
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.plain import PlainStatic

log = logging.getLogger(__name__)


def _check_password(app, login: str, password: str) -> User:
    security = app.config.security
    return authenticate(login, password, security.max_failed_logins, security.lockout_minutes)


def _checking_password(screen: Screen) -> bool:
    """The screen's password check (its worker) is still running."""
    return any(worker.node is screen and not worker.is_finished for worker in screen.app.workers)


def demo_accounts_text() -> str:
    """The demo database's accounts: login, role and password, one a line."""
    from crm_tui.demo import DEMO_ACCOUNTS

    lines = [t("login.demo_accounts")]
    for login, _name, role_key, password in DEMO_ACCOUNTS:
        # Padded by terminal cells, not characters: a Chinese role name is
        # two cells a character.
        role = set_cell_size(t("role." + role_key), 16)
        lines.append(f"  {login:<12} {role} {password}")
    return "\n".join(lines)


class LoginScreen(Screen):
    """User name and password; Enter moves on, then signs in. `notice` is
    shown until the next attempt (why an open session ended)."""

    def __init__(self, notice: str = ""):
        super().__init__()
        self.notice = notice

    def ready_for_key(self, key: str) -> bool:
        # Keys typed while the password is checked wait: for the home
        # screen, or for the emptied password box after a refusal.
        return not _checking_password(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="login-box"):
            yield Static(t("login.title"), classes="login-title")
            yield Label(t("login.user"))
            yield Input(id="login-user", placeholder=t("login.user"))
            yield Label(t("login.password"))
            yield Input(id="login-password", password=True, placeholder=t("login.password"))
            error = PlainStatic(self.notice, id="login-error", classes="error-text")
            error.display = bool(self.notice)
            yield error
        if self.app.demo:
            yield Static(demo_accounts_text(), id="login-demo", classes="login-demo")
        elif not User.select().exists():
            # Nobody can sign in yet: say how the first account is made.
            yield Static(t("ops.login.no_users"), id="login-no-users", classes="login-no-users")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one("#login-user", Input).focus()

    @on(Input.Submitted, "#login-user")
    def _to_password(self) -> None:
        self.query_one("#login-password", Input).focus()

    @on(Input.Submitted, "#login-password")
    def _submit(self) -> None:
        login = self.query_one("#login-user", Input).value
        if not login.strip():
            self.query_one("#login-user", Input).focus()
            return
        self.sign_in(login, self.query_one("#login-password", Input).value)

    @work(exclusive=True)
    async def sign_in(self, login: str, password: str) -> None:
        try:
            user = await in_thread(_check_password, self.app, login, password)
        except CrmError as error:
            log.info("sign-in refused: %r (%s)", login, type(error).__name__)
            # LoginFailed says the same for a wrong name and a wrong password.
            self.show_error(str(error))
            password_input = self.query_one("#login-password", Input)
            password_input.value = ""
            password_input.focus()
            return
        self.app.sign_in(user)

    def show_error(self, message: str) -> None:
        error = self.query_one("#login-error", Static)
        error.update(message)
        error.display = bool(message)


class LockScreen(Screen):
    """Hides the work of an idle session until its user types their password.

    A full screen, not a modal, so nothing of what lies under it shows; the
    screens under it, unsaved forms included, stay as they were.
    """

    def __init__(self, user: User):
        super().__init__()
        self.user = user

    def ready_for_key(self, key: str) -> bool:
        # Keys typed while the password is checked wait for the answer.
        return not _checking_password(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="login-box"):
            yield Static(t("lock.title"), classes="login-title")
            yield PlainStatic(t("lock.who", name=self.user.display_name, login=self.user.login))
            yield Label(t("login.password"))
            yield Input(id="lock-password", password=True, placeholder=t("login.password"))
            error = PlainStatic("", id="lock-error", classes="error-text")
            error.display = False
            yield error
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one("#lock-password", Input).focus()

    @on(Input.Submitted, "#lock-password")
    def _submit(self, event: Input.Submitted) -> None:
        self.unlock(event.value)

    @work(exclusive=True)
    async def unlock(self, password: str) -> None:
        try:
            await in_thread(_check_password, self.app, self.user.login, password)
        except CrmError as error:
            log.info("unlock refused: %r (%s)", self.user.login, type(error).__name__)
            message = self.query_one("#lock-error", Static)
            message.update(str(error))
            message.display = True
            self.query_one("#lock-password", Input).value = ""
            return
        self.dismiss()

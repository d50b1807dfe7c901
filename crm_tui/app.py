"""The crm-tui application: login, home, module screens, palette, help, idle lock.

`CrmApp(config, demo=False)` expects the models already bound to the
configured database (crm_tui.cli does that). It starts on the login screen;
`app.user` is the signed-in User (None before), `app.config` the Config.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from crm_tui import clock
from crm_tui.commands import CrmCommands
from crm_tui.config import Config
from crm_tui.i18n import t
from crm_tui.models.users import User
from crm_tui.screens import Module, customer_screen, modules_for
from crm_tui.typeahead import TypeAhead

STYLES = Path(__file__).parent / "styles"


def style_files() -> list[Path]:
    """app.tcss first, then every other stylesheet of the styles folder."""
    others = sorted(path for path in STYLES.glob("*.tcss") if path.name != "app.tcss")
    return [STYLES / "app.tcss", *others]


class CrmApp(App):
    CSS_PATH = style_files()
    TITLE = "crm-tui"
    COMMANDS = App.COMMANDS | {CrmCommands}

    BINDINGS = [
        Binding("f1", "help", t("app.help"), priority=True, id="app.help"),
        # The footer shows this key at its right end by itself.
        Binding("ctrl+p", "command_palette", t("app.palette"), show=False, priority=True,
                id="app.command_palette"),
        Binding("ctrl+q", "quit", t("app.quit"), show=False, priority=True, id="app.quit"),
        Binding("escape", "back", t("app.back"), id="app.back"),
    ]

    # How often the idle lock looks at the time since the last key.
    idle_check_seconds: float = 5.0

    def __init__(self, config: Config, demo: bool = False):
        super().__init__()
        self.config = config
        self.demo = demo
        self.user: User | None = None
        self.locked = False
        self._last_activity = clock.now()
        # Keys read from the terminal wait here until the screen is ready
        # for them (crm_tui.typeahead).
        self.typeahead = TypeAhead(self, self._dispatch_input)

    def on_mount(self) -> None:
        from crm_tui.screens.login import LoginScreen

        self.typeahead.start()
        self.set_keymap(dict(self.config.keymap))
        self.push_screen(LoginScreen())
        self.set_interval(self.idle_check_seconds, self.check_idle_lock)

    # ----- signing in --------------------------------------------------
    def sign_in(self, user: User) -> None:
        from crm_tui.screens.home import HomeScreen

        self.user = user
        self.note_activity()
        self.switch_screen(HomeScreen())
        # The periodic churn scan (crm_tui.screens.churn).
        from crm_tui.screens.churn import start_churn_timer
        start_churn_timer(self)

    def permissions(self) -> set[str]:
        """The signed-in user's permission codes, read fresh."""
        return self.user.permissions() if self.user is not None and self.user.active else set()

    def allowed_modules(self) -> list[Module]:
        return modules_for(self.permissions())

    def open_module(self, module: Module) -> None:
        if self.user is None or self.locked or not module.allowed(self.permissions()):
            return
        self.push_screen(module.screen())

    def open_customer(self, customer: Any) -> None:
        if self.user is None or self.locked:
            return
        self.push_screen(customer_screen(customer))

    def change_password(self) -> None:
        from crm_tui.screens.password import open_password_change

        if self.user is not None and not self.locked:
            open_password_change(self)

    def on_unmount(self) -> None:
        self.typeahead.stop()

    # ----- keys from the terminal, idle lock ---------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)) and not event.is_forwarded:
            self.note_activity()
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            self.typeahead.receive(event)
            return
        await super().on_event(event)

    async def _dispatch_input(self, event: events.Event) -> None:
        """Textual's own handling of a key or paste the type-ahead let through."""
        await super().on_event(event)

    def note_activity(self) -> None:
        self._last_activity = clock.now()

    def check_idle_lock(self) -> None:
        """Lock when no key came for security.idle_lock_minutes (0: never)."""
        minutes = self.config.security.idle_lock_minutes
        if not minutes or self.user is None or self.locked:
            return
        if clock.now() - self._last_activity >= dt.timedelta(minutes=minutes):
            self.lock()

    def lock(self) -> None:
        """Cover everything with the lock screen; what is under it stays as it was."""
        from crm_tui.screens.login import LockScreen

        if self.user is None or self.locked:
            return
        self.locked = True
        self.push_screen(LockScreen(self.user), self._unlocked)

    def _unlocked(self, _result: Any = None) -> None:
        self.locked = False
        self.note_activity()

    # ----- app-wide keys -----------------------------------------------
    def action_command_palette(self) -> None:
        # Nothing to find before signing in, nor behind the lock.
        if self.user is not None and not self.locked:
            super().action_command_palette()

    def action_help(self) -> None:
        from crm_tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        rows = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.system:
                continue
            rows.append((self.get_key_display(binding), binding.description, binding.id or ""))
        # The CRM's own keys (those with an id) first, then the widgets' built-in ones.
        rows.sort(key=lambda row: not row[2])
        self.push_screen(HelpScreen(rows))

    def action_back(self) -> None:
        self.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            # Escape goes back from a module screen to where it was opened.
            screen = self.screen
            return (self.user is not None and not self.locked and len(self.screen_stack) > 2
                    and not isinstance(screen, ModalScreen) and _is_module_screen(screen))
        if action == "command_palette":
            return self.user is not None and not self.locked
        return True


def _is_module_screen(screen: Screen) -> bool:
    from crm_tui.screens.home import HomeScreen
    from crm_tui.screens.login import LockScreen, LoginScreen

    return not isinstance(screen, (HomeScreen, LoginScreen, LockScreen))

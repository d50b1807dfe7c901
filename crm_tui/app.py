"""The crm-tui application: login, home, module screens, palette, help, idle lock.

`CrmApp(config, demo=False)` expects the models already bound to the
configured database (crm_tui.cli does that). It starts on the login screen;
`app.user` is the signed-in User (None before), `app.config` the Config.
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from peewee import DatabaseError
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from crm_tui import clock, models
from crm_tui.commands import CrmCommands
from crm_tui.config import Config
from crm_tui.i18n import current_locale, set_locale, t
from crm_tui.models import preferences
from crm_tui.models.users import User
from crm_tui.plain_text import plain
from crm_tui.screens import Module, customer_screen, modules_for
from crm_tui.typeahead import TypeAhead
from crm_tui.widgets.ascii import AsciiFilter, ascii_key

STYLES = Path(__file__).parent / "styles"
log = logging.getLogger(__name__)


def style_files() -> list[Path]:
    """app.tcss first, then every other stylesheet of the styles folder."""
    others = sorted(path for path in STYLES.glob("*.tcss") if path.name != "app.tcss")
    return [STYLES / "app.tcss", *others]


# Seconds after start before the models the login screen does not need are
# imported, in a thread: the first frames are drawn before then.
MODELS_LOAD_DELAY = 0.3


class CrmApp(App):
    CSS_PATH = style_files()
    TITLE = "crm-tui"
    COMMANDS = App.COMMANDS | {CrmCommands}

    BINDINGS = [
        Binding("f1", "help", "app.help", priority=True, id="app.help"),
        # The footer shows this key at its right end by itself.
        Binding("ctrl+p", "command_palette", "app.palette", show=False, priority=True,
                id="app.command_palette"),
        Binding("ctrl+q", "quit", "app.quit", show=False, priority=True, id="app.quit"),
        Binding("escape", "back", "app.back", id="app.back"),
        # Not before the focused widget: a text box undoes its own typing.
        Binding("ctrl+z", "undo_last", "undo.last_key", show=False, id="app.undo_last"),
    ]

    # How often the idle lock looks at the time since the last key.
    idle_check_seconds: float = 5.0

    def __init__(self, config: Config, demo: bool = False, ascii: bool = False):
        super().__init__()
        self.config = config
        self.demo = demo
        # Lines, boxes and arrows in plain ASCII (crm_tui.widgets.ascii).
        self.ascii = ascii
        self._ascii_filter = AsciiFilter()
        if config.theme in self.available_themes:
            self.theme = config.theme
        # The theme the signed-in user has as their own ("" for none).
        self._user_theme = ""
        # The language the app started in (config.yaml's, set by the command
        # line): the login screen's, and that of users who chose none.
        self._start_locale = current_locale()
        # What the signed-in user typed and left unsent (a mail to a
        # customer), by (what, record id): kept for the session, in memory.
        self.drafts: dict[tuple[str, Any], dict[str, str]] = {}
        self.user: User | None = None
        self.locked = False
        self._last_activity = clock.now()
        # Keys read from the terminal wait here until the screen is ready
        # for them (crm_tui.typeahead).
        self.typeahead = TypeAhead(self, self._dispatch_input)

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every notification is plain text: messages often quote records
        or servers (a customer's name, a mail server's reply), which must
        never be taken as markup or reach the terminal as control codes."""
        super().notify(plain(message, multiline=True), title=plain(title), severity=severity,
                       timeout=timeout, markup=False)

    def on_mount(self) -> None:
        from crm_tui.screens.login import LoginScreen

        self.typeahead.start()
        self.set_keymap(dict(self.config.keymap))
        self.theme_changed_signal.subscribe(self, self._theme_chosen)
        self.push_screen(LoginScreen())
        self.set_interval(self.idle_check_seconds, self.check_idle_lock)
        # The login screen needs few of the models; the rest are imported
        # while the user types, once the screen has settled.
        self.set_timer(MODELS_LOAD_DELAY, self._load_models)

    def _load_models(self) -> None:
        self.run_worker(models.load_all, thread=True, group="start", exit_on_error=False)

    # ----- signing in --------------------------------------------------
    def sign_in(self, user: User) -> None:
        from crm_tui.models import contracts
        from crm_tui.screens.home import HomeScreen

        contracts.set_executive_approval_amount(self.config.contracts.executive_approval_amount)
        self.user = user
        log.info("signed in: %r (%s)", user.login, user.role_key)
        self.note_activity()
        try:
            preference = preferences.preference_of(user)
        except DatabaseError:
            preference = None  # the configured ones, this time
        self.apply_preferences(preference)
        self.switch_screen(HomeScreen())
        # The periodic churn scan.
        from crm_tui.churn_check import start_churn_timer
        start_churn_timer(self)
        from crm_tui.agenda_check import start_agenda_timer
        start_agenda_timer(self)

    def permissions(self) -> set[str]:
        """The signed-in user's permission codes, read fresh."""
        return self.user.permissions() if self.user is not None else set()

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

    def open_record(self, kind_name: str, record_id: Any) -> None:
        """One record's screen (from the command palette)."""
        from crm_tui.screens.records import RecordScreen

        if self.user is not None and not self.locked:
            self.push_screen(RecordScreen(kind_name, record_id))

    def saved_views(self) -> list[tuple[int, str, str]]:
        """(id, kind, name) of the saved views the user may open."""
        from crm_tui.screens.views import palette_views

        if self.user is None or self.locked:
            return []
        return palette_views(self.user, {module.key for module in self.allowed_modules()})

    def open_view(self, kind_name: str, view_id: Any) -> None:
        """A list showing one of its saved views (from the command palette)."""
        from crm_tui.screens.views import list_screen

        if self.user is not None and not self.locked:
            self.push_screen(list_screen(kind_name, view_id))

    def records_changed(self, *kind_names: str) -> None:
        """A change was saved: every list, tab and record view of these
        kinds, on any screen still open, shows it."""
        from crm_tui.screens.records import shows_records

        for screen in self.screen_stack:
            for widget in shows_records(screen, kind_names):
                widget.records_changed()

    def change_password(self) -> None:
        from crm_tui.screens.password import open_password_change

        if self.user is not None and not self.locked:
            open_password_change(self)

    # ----- the account as it is now --------------------------------------
    def check_account(self) -> bool:
        """Whether the signed-in user may go on; a disabled (or removed)
        account's session ends here, with a message. Asked before every key
        and every few seconds, so an administrator's change holds at once."""
        if self.user is None:
            return True
        try:
            current = User.get_or_none(User.id == self.user.id)
        except DatabaseError:
            # The database cannot answer now; the action itself will say why.
            return True
        if current is not None and current.active:
            # A new role or name shows from the next screen on.
            self.user = current
            return True
        self.end_session(t("rights.session_ended"))
        return False

    def end_session(self, message: str, announce: bool = True) -> None:
        """Close every screen of the signed-in user and show the login screen
        with `message` (`announce`: in a notification too), in the configured
        theme and language."""
        from crm_tui.screens.login import LoginScreen

        self.user = None
        self.locked = False
        # The next person at this terminal does not inherit unsent text.
        self.drafts.clear()
        self.apply_preferences(None)
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(LoginScreen(notice=message))
        if announce:
            self.notify(message, severity="warning", timeout=15)

    def sign_out(self) -> None:
        """End the session on the user's own wish: every screen closes and
        the login screen lets the next person sign in."""
        user = self.user
        if user is None:
            return
        try:
            preferences.sign_out(user)
        except DatabaseError as error:
            # Signing out must work even then: the audit row is what is lost.
            log.warning("sign-out of %r not audited: %s", user.login, error)
        log.info("signed out: %r", user.login)
        self.end_session(t("ops_ui.signed_out", login=user.login), announce=False)

    # ----- the user's own theme and language --------------------------------
    def apply_preferences(self, preference: Any) -> None:
        """The user's theme and language, or (None, or none chosen) those
        the app started with (config.yaml's)."""
        theme = preference.theme if preference is not None else ""
        locale = preference.locale if preference is not None else ""
        self._user_theme = theme
        chosen = theme if theme in self.available_themes else self.config.theme
        if chosen in self.available_themes and chosen != self.theme:
            self.theme = chosen
        set_locale(locale or self._start_locale)

    def _theme_chosen(self, theme: Any) -> None:
        """A theme picked in the palette (or shown while browsing there)
        becomes the signed-in user's own."""
        if self.user is None or theme.name in (self._user_theme, ""):
            return
        if not self._user_theme and theme.name == self.config.theme:
            return  # the configured theme put back on sign-in, not a choice
        self._user_theme = theme.name
        try:
            preferences.remember_theme(self.user, theme.name)
        except DatabaseError as error:
            log.warning("theme of %r not kept: %s", self.user.login, error)

    def choose_locale(self, locale: str) -> None:
        """Keep `locale` as the user's language and show the screens in it."""
        from crm_tui.screens.home import HomeScreen

        if self.user is None or self.locked:
            return
        try:
            preferences.remember_locale(self.user, locale)
        except DatabaseError as error:  # this session still changes language
            log.warning("language of %r not kept: %s", self.user.login, error)
        set_locale(locale)
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(HomeScreen())

    def on_unmount(self) -> None:
        self.typeahead.stop()

    # ----- keys from the terminal, idle lock ---------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)) and not event.is_forwarded:
            if not self.check_account():
                return  # the key belonged to a session that has ended
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
        """End the session of a disabled account; lock when no key came for
        security.idle_lock_minutes (0: never)."""
        if not self.check_account():
            return
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

    # ----- unexpected errors ---------------------------------------------
    def _handle_exception(self, error: Exception) -> None:
        """Instead of Textual's traceback with every frame's locals (which
        would print the config, passwords and the database URL): the
        traceback, without locals, into the app log, and one short message
        with the log's path for the user."""
        from rich.text import Text

        from crm_tui import applog

        path = applog.record_crash(error)
        self._return_code = 1
        # What Textual's own handler keeps, so tests still see the error.
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._exit_renderables.append(Text(applog.crash_message(error, path)))
        self._close_messages_no_wait()

    def get_line_filters(self):
        filters = super().get_line_filters()
        return [*filters, self._ascii_filter] if self.ascii else filters

    def get_key_display(self, binding: Binding) -> str:
        display = super().get_key_display(binding)
        return ascii_key(display) if self.ascii else display

    def get_system_commands(self, screen: Screen):
        """Textual's own palette commands, in the user's language."""
        for command in super().get_system_commands(screen):
            yield command._replace(title=t(command.title), help=t(command.help))

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
            rows.append((self.get_key_display(binding), t(binding.description), binding.id or ""))
        # The CRM's own keys (those with an id) first, then the widgets' built-in ones.
        rows.sort(key=lambda row: not row[2])
        self.push_screen(HelpScreen(rows))

    def action_undo_last(self) -> None:
        from crm_tui.screens.undo import ask_undo_last

        if self.user is not None and not self.locked:
            ask_undo_last(self)

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

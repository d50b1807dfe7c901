"""Driving the real app through Textual's Pilot the way a person would:
typing, signing in, opening a module from the home menu, filling forms."""
from __future__ import annotations

import unicodedata

from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.widgets import Input, Select, Static, TextArea

from crm_tui.app import CrmApp
from crm_tui.config import Config
from crm_tui.screens import MODULES
from crm_tui.screens.home import MENU_KEYS, HomeScreen
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import LazyTable
from tests.conftest import PASSWORD

# The folder tree's loader runs for as long as the tree is shown: never wait for it.
ENDLESS_WORKER_GROUPS = {"_loader"}


def app_for(sqlite_url, **config_changes) -> CrmApp:
    """The app on the test database; `config_changes` replace Config's defaults."""
    return CrmApp(Config(database=sqlite_url, **config_changes))


async def settle(pilot) -> None:
    """Let database work in threads finish and its results show: a reload
    counts in one worker, then loads a page in another, then tells the
    screen; wait until a few rounds pass with no worker left running and
    no key held by the app's type-ahead."""
    quiet_rounds = 0
    for _ in range(30):
        await pilot.pause()
        running = [worker for worker in pilot.app.workers
                   if not worker.is_finished and worker.group not in ENDLESS_WORKER_GROUPS]
        if running:  # never an empty list: that would mean "every worker" to Textual
            quiet_rounds = 0
            await pilot.app.workers.wait_for_complete(running)
        elif _keys_held(pilot.app):
            quiet_rounds = 0
            await pilot.pause(0.01)
        else:
            quiet_rounds += 1
            if quiet_rounds == 3:
                break


def _keys_held(app) -> bool:
    """The app's type-ahead still holds keys (a screen not ready for them)."""
    typeahead = getattr(app, "typeahead", None)  # the CRM's app; a bare test app has none
    return typeahead is not None and not typeahead.idle


async def press_and_settle(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def save(pilot) -> None:
    """Ctrl+S in a form, and wait for what saving started."""
    await press_and_settle(pilot, "ctrl+s")


async def type_text(pilot, text: str) -> None:
    """Type `text` into the focused widget: one key event per character, as
    the terminal sends them, all queued at once as a fast typist's would be;
    then wait until they are handled. (Pilot.press waits for the process to
    go idle after every key, 40 ms at least, seconds on a busy machine.)"""
    await pilot.pause()  # the screen that should get the keys is up and focused
    type_ahead(pilot, *text)
    await pilot.pause()  # the app has passed every key on to the focused widget,
    await pilot.pause()  # and that widget has handled them
    for _ in range(300):  # or the app's type-ahead holds some for a screen not ready yet
        if not _keys_held(pilot.app):
            return
        await pilot.pause(0.01)
    raise AssertionError(f"the app still holds keys of {text!r}")


async def sign_in(pilot, login: str, password: str = PASSWORD, expect_home: bool = True) -> None:
    """Type the login and password on the login screen; with `expect_home`
    the home screen must follow."""
    await type_text(pilot, login)
    await pilot.press("enter")
    await type_text(pilot, password)
    await pilot.press("enter")
    await settle(pilot)
    if expect_home:
        assert isinstance(pilot.app.screen, HomeScreen)


async def open_module(pilot, key: str, expected_screen: type | None = None):
    """Press the home menu's number key of module `key`; the screen shown
    then, which must be an `expected_screen` when that is given."""
    position = [module.key for module in MODULES].index(key)
    await press_and_settle(pilot, MENU_KEYS[position])
    if expected_screen is not None:
        assert isinstance(pilot.app.screen, expected_screen)
    return pilot.app.screen


async def search_list(pilot, text: str) -> LazyTable:
    """Type `text` into the list's filter box ("/") in place of what it held."""
    await pilot.press("slash")
    field = pilot.app.screen.query_one(".lazy-table-filter", Input)
    field.value = ""
    await type_text(pilot, text)
    await press_and_settle(pilot, "enter")
    return pilot.app.screen.query_one(LazyTable)


def key_event(key: str) -> events.Key:
    """The Key event a terminal sends for `key` (a name such as "tab", or one character)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        character = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        character = key if len(key) == 1 else None
    return events.Key(key, character)


def type_ahead(pilot, *keys: str) -> None:
    """Send `keys` the way the terminal hands them to a busy app: all read
    at once, before the app has acted on the first (Pilot.press waits
    between keys, which hides what happens then)."""
    for key in keys:
        pilot.app.post_message(key_event(key))


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


# ----- forms -----------------------------------------------------------------
async def focus_field(pilot, name: str):
    """Tab through the form until field `name` has the focus."""
    form = pilot.app.screen
    assert isinstance(form, FormModal)
    target = form.widget_for(name)
    for _ in range(2 * len(form.fields) + 2):
        focused = pilot.app.focused
        if focused is target or (focused is not None and target in focused.ancestors):
            return target
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached {name}")


async def fill(pilot, name: str, text: str) -> None:
    """Focus form field `name` with Tab and type `text` over what it held."""
    await focus_field(pilot, name)
    await pilot.press("ctrl+a", "ctrl+k")  # the line's start, then delete to its end
    await type_text(pilot, text)


async def fill_form(pilot, values: dict[str, str]) -> None:
    """Put `values` into the open form's fields directly, by field name: the
    text into an input, the option of that label into a choice. For long
    forms whose typing is not what the test is about (`fill` and `choose`
    go through the keyboard); saving still goes through the form's checks."""
    form = pilot.app.screen
    assert isinstance(form, FormModal)
    expected = {}
    for name, value in values.items():
        widget = form.widget_for(name)
        if isinstance(widget, Select):
            value = {str(text): option for text, option in widget._options}[value]
            widget.value = value
        elif isinstance(widget, TextArea):
            widget.text = value
        else:
            widget.value = value
        expected[name] = value
    await settle(pilot)
    assert {name: form.values()[name] for name in values} == expected


async def choose(pilot, name: str, label: str) -> None:
    """Pick `label` in the form's choice `name` with the keyboard: open the
    list, go down to it, Enter. The choice must be blank before."""
    select = await focus_field(pilot, name)
    labels = [str(text) for text, _value in select._options]  # the blank prompt first
    assert select.value is Select.NULL
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*["down"] * labels.index(label), "enter")
    await pilot.pause()
    assert dict((value, str(text)) for text, value in select._options)[select.value] == label


async def pick(pilot, name: str, text: str, moves: int = 0) -> None:
    """Pick in the form's searchable choice `name`: open the picker, type
    `text`, go down `moves` matches, Enter."""
    await focus_field(pilot, name)
    await pilot.press("enter")
    await pilot.pause()
    await type_text(pilot, text)
    await pilot.pause()
    await pilot.press(*["down"] * moves, "enter")
    await pilot.pause()


def field_error(form, name: str) -> str:
    """The message shown at field `name` of `form`, "" when none is."""
    error = form.query_one(f"#form-error-{name}", Static)
    return str(error.render()) if error.display else ""


def form_errors(form) -> dict[str, str]:
    """Every message shown at a field of `form`, by field name."""
    return {field.name: field_error(form, field.name) for field in form.fields
            if form.query_one(f"#form-error-{field.name}", Static).display}


def form_message(form) -> str:
    """The message below the form (an error not tied to a field)."""
    message = form.query_one(".form-message", Static)
    return str(message.render()) if message.display else ""


def offered(app, prefix: str | tuple[str, ...]) -> set[str]:
    """The ids of the keys (beginning with `prefix`) the screen offers now."""
    return {active.binding.id for active in app.screen.active_bindings.values()
            if active.binding.id and active.binding.id.startswith(prefix) and active.enabled}


def notices(app) -> list[str]:
    """The notifications the app shows now, oldest first."""
    return [str(notification.message) for notification in app._notifications]


async def push_and_settle(pilot, screen):
    """Show `screen` on top, as a key of another screen would; the screen shown then."""
    pilot.app.push_screen(screen)
    await settle(pilot)
    return pilot.app.screen


async def open_tab(pilot, key: str) -> None:
    """Press the number key of the customer screen's tab `key` (past the
    tenth: 0, then ] until it is shown)."""
    from crm_tui.screens.customer_detail import TAB_KEYS

    position = [tab.key for tab in pilot.app.screen.tabs()].index(key)
    if position < len(TAB_KEYS):
        await press_and_settle(pilot, TAB_KEYS[position])
        return
    await press_and_settle(pilot, TAB_KEYS[-1], *["right_square_bracket"] * (position - len(TAB_KEYS) + 1))

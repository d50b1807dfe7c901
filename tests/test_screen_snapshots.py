"""What a person sees at 80x24, in English and in Chinese: one text snapshot
per module screen, so a cut footer, a lost column or a label left in the
wrong language fails a test.

The snapshots live in tests/snapshots/. After a change that alters a
screen on purpose, write them again with CRM_UPDATE_SNAPSHOTS=1 and read the
difference before committing it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from crm_tui.i18n import set_locale, t
from crm_tui.models.churn import scan
from crm_tui.models.customers import Contact
from crm_tui.screens import MODULES
from tests.conftest import at, make_customer
from tests.pilot import app_for, open_module, press_and_settle, sign_in
from tests.test_contacts_rules import contact_values

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("CRM_UPDATE_SNAPSHOTS") == "1"


def screen_text(app) -> str:
    """The screen in front as plain text, one line per terminal row."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)


def some_records(people) -> None:
    """A customer with a contact, and a churn alert, at a fixed time."""
    at(2026, 1, 5)
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    Contact.create_by(people.manager, customer, contact_values())
    at(2026, 7, 6)
    scan(6)


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path.name}: run with CRM_UPDATE_SNAPSHOTS=1"
    assert text + "\n" == path.read_text(encoding="utf-8"), f"{name} looks different"


@pytest.fixture
def fixed_clock(sqlite_db):
    """The clock stopped before the users are made: the audit log's times
    are the same on every run."""
    at(2026, 1, 4)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
async def test_every_module_screen_at_80x24(fixed_clock, sqlite_url, people, locale):
    some_records(people)
    set_locale(locale)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        for module in MODULES:
            await open_module(pilot, module.key)
            text = screen_text(app)
            footer = text.splitlines()[-1]
            # Going back is always in sight, and so is help.
            assert f"esc {t('app.back')}" in footer, (module.key, footer)
            assert f"f1 {t('app.help')}" in footer, (module.key, footer)
            check_snapshot(f"{module.key}.{locale}", text)
            await press_and_settle(pilot, "escape")


async def test_help_and_palette_speak_chinese(sqlite_url, people):
    """F1 lists Textual's own keys in Chinese too, and so does the palette."""
    set_locale("zh_CN")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers")
        await press_and_settle(pilot, "f1")
        english = [description for _key, description, _id in app.screen.rows
                   if re.fullmatch(r"[A-Za-z ,'/]+", description)]
        assert english == []
        commands = [command.title for command in app.get_system_commands(app.screen)]
        assert "主题" in commands and "Theme" not in commands


async def test_a_module_keeps_its_key_for_every_role(sqlite_url, people):
    """Reports is opened with the same key by a manager and a supervisor,
    although the supervisor has modules the manager lacks."""
    keys = {}
    for login in ("wang", "super"):
        app = app_for(sqlite_url)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, login)
            menu = app.screen.query_one("#home-menu")
            labels = {option.id: str(option.prompt) for option in menu._options}
            keys[login] = labels["reports"].split()[0]
    assert keys["wang"] == keys["super"]


async def test_f1_on_home_lists_only_the_modules_of_the_role(sqlite_url, people):
    from crm_tui.screens.home import menu_key

    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        allowed = {module.key for module in app.allowed_modules()}
        await press_and_settle(pilot, "f1")
        listed = {binding_id for _key, _text, binding_id in app.screen.rows}
    for position, module in enumerate(MODULES):
        shown = f"home.module_{menu_key(position)}" in listed
        assert shown == (module.key in allowed), module.key


def test_the_demo_accounts_line_up_in_chinese():
    from rich.cells import cell_len

    from crm_tui.screens.login import demo_accounts_text

    set_locale("zh_CN")
    lines = demo_accounts_text().splitlines()[1:]
    # The passwords start in the same terminal column on every line.
    starts = {cell_len(line[:line.rindex(" ") + 1]) for line in lines}
    assert len(starts) == 1, lines

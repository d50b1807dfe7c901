"""Running the app day to day, driven like a person at 80x24 (and wider):
signing out and switching user, the theme kept across restarts, ASCII
drawing, permission boxes told apart without colour, copying, wide
terminals, F1 scrolling, cut text marked, and the unsent mail draft."""
from __future__ import annotations

import re

import pytest
from textual.color import Color
from textual.widgets import DataTable, Input, TabbedContent, TextArea

from crm_tui.config import MailConfig, SmtpConfig
from crm_tui.i18n import current_locale, set_locale
from crm_tui.models.audit import AuditLog
from crm_tui.models.customers import Contact
from crm_tui.models.preferences import SIGN_OUT, preference_of, remember_locale
from crm_tui.models.users import Role
from crm_tui.screens.admin import PermissionScreen
from crm_tui.screens.audit import AuditScreen
from crm_tui.screens.customer_detail import CustomerDetailScreen
from crm_tui.screens.help import HelpScreen
from crm_tui.screens.home import HomeScreen
from crm_tui.screens.login import LoginScreen
from crm_tui.screens.mail import ComposeMailModal, CustomerMailScreen
from crm_tui.screens.records import RecordListScreen
from crm_tui.widgets.ascii import ascii_text, is_ascii_terminal
from crm_tui.models.kinds import Column
from crm_tui.widgets.lazy_table import fitting_columns
from tests.conftest import make_customer
from tests.pilot import (app_for, notices, open_module, press_and_settle, push_and_settle,
                         sign_in, type_text)
from tests.test_app_shell import wait_for_palette_hits
from tests.test_screen_snapshots import screen_text

# Box drawing, block elements, geometric shapes (▲▼▶), arrows.
DRAWING = re.compile("[\u2500-\u259f\u25a0-\u25ff\u2190-\u21ff\u23ce]")


async def palette(pilot, text: str, hit: str) -> None:
    """Ctrl+P, type `text`, Enter once `hit` is offered."""
    await pilot.press("ctrl+p")
    await type_text(pilot, text)
    await wait_for_palette_hits(pilot, hit)
    await press_and_settle(pilot, "enter")


# ----- sign out, switch user -------------------------------------------------

async def test_sign_out_clears_the_screens_and_the_next_user_gets_own_rights_and_language(
        sqlite_db, sqlite_url, people):
    remember_locale(people.manager, "zh_CN")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await open_module(pilot, "customers", RecordListScreen)
        await press_and_settle(pilot, "escape")
        await press_and_settle(pilot, "o")

        assert isinstance(app.screen, LoginScreen)
        assert app.user is None
        assert len(app.screen_stack) == 2  # Textual's default screen and the login
        assert "admin signed out" in screen_text(app)
        row = AuditLog.get(AuditLog.action == SIGN_OUT)
        assert row.actor_id == people.admin.id

        await sign_in(pilot, "wang")
        assert app.user.id == people.manager.id
        assert current_locale() == "zh_CN"  # his own language
        text = screen_text(app)
        assert "王经理" in text and "客户信息" in text
        assert "Administration" not in text and "权限管理" not in text  # an admin's module
        await press_and_settle(pilot, "o")
        assert current_locale() == "en"  # the login screen in the configured language
        assert "User name" in screen_text(app)


async def test_sign_out_from_the_command_palette(sqlite_db, sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers", RecordListScreen)
        await palette(pilot, "sign out", "Sign out")
        assert isinstance(app.screen, LoginScreen)
        assert len(app.screen_stack) == 2
        assert AuditLog.select().where(AuditLog.action == SIGN_OUT).count() == 1


async def test_language_chosen_in_the_palette_is_kept_for_the_user(sqlite_db, sqlite_url,
                                                                   people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await palette(pilot, "Language", "中文")
        assert isinstance(app.screen, HomeScreen)
        assert "客户信息" in screen_text(app)
    assert preference_of(people.manager).locale == "zh_CN"


# ----- themes ----------------------------------------------------------------

async def test_the_theme_chosen_is_kept_across_restarts_for_that_user_only(
        sqlite_db, sqlite_url, people):
    app = app_for(sqlite_url, theme="nord")
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "nord"  # config.yaml's theme from the start
        await sign_in(pilot, "wang")
        # The palette's theme command, as a person picks it.
        await palette(pilot, "theme", "Theme")
        await type_text(pilot, "textual-light")
        await wait_for_palette_hits(pilot, "textual-light")
        await press_and_settle(pilot, "enter")
        assert app.theme == "textual-light"
    assert preference_of(people.manager).theme == "textual-light"

    restarted = app_for(sqlite_url, theme="nord")
    async with restarted.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        assert restarted.theme == "textual-light"
        await press_and_settle(pilot, "o")
        assert restarted.theme == "nord"  # the login screen is nobody's
        await sign_in(pilot, "admin")
        assert restarted.theme == "nord"  # the administrator chose nothing
    assert preference_of(people.admin).theme == ""


def _contrast(first: Color, second: Color) -> float:
    def luminance(color: Color) -> float:
        def channel(value: int) -> float:
            value /= 255
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("theme", ["textual-light", "catppuccin-latte", "rose-pine-dawn"])
async def test_light_themes_keep_our_text_readable(sqlite_db, sqlite_url, people, theme):
    """Our own styles (title bars, errors, warnings) against their
    background, at the contrast WCAG asks of text (4.5:1)."""
    app = app_for(sqlite_url, theme=theme)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "nobody", expect_home=False)
        error = app.screen.query_one("#login-error")
        assert error.display
        # Widget.colors: base background, base colour, background, colour.
        assert _contrast(error.colors[3], error.colors[2]) >= 4.5
        user_box = app.screen.query_one("#login-user", Input)
        user_box.value = ""
        user_box.focus()
        await sign_in(pilot, "admin")
        for title in app.screen.query(".screen-title, .section-title"):
            _base, _base_color, background, color = title.colors
            assert _contrast(color, background) >= 4.5, (theme, title)


# ----- ASCII -----------------------------------------------------------------

def test_ascii_terminals_are_recognised():
    assert is_ascii_terminal("linux") and is_ascii_terminal("vt100")
    assert is_ascii_terminal("vt220") and is_ascii_terminal("linux-16color")
    assert not is_ascii_terminal("xterm-256color") and not is_ascii_terminal("screen")
    # Same width in cells: the layout does not move.
    assert ascii_text("╭─┤▐X▌━╸▁▔▊█…▼") == "+-+|X|--_-|#~v"


async def test_ascii_mode_draws_every_screen_without_box_drawing(sqlite_db, sqlite_url, people):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    app = app_for(sqlite_url)
    app.ascii = True
    seen = []

    def check(where: str) -> None:
        text = screen_text(app)
        found = sorted(set(DRAWING.findall(text)))
        assert not found, (where, found, text)
        seen.append(text)

    async with app.run_test(size=(80, 24)) as pilot:
        check("login")
        await sign_in(pilot, "admin")
        check("home")
        await open_module(pilot, "customers", RecordListScreen)
        await press_and_settle(pilot, "s")  # the sort arrow in the header
        check("customers")
        await press_and_settle(pilot, "f1")
        check("help")
        await press_and_settle(pilot, "escape")
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, CustomerDetailScreen)
        check("customer tabs")
        await press_and_settle(pilot, "e")  # a form, with its choices
        check("form")
        await press_and_settle(pilot, "escape")
        await push_and_settle(pilot, PermissionScreen(Role.get(Role.key == "manager")))
        check("permissions")
    assert customer.number in seen[2]
    assert "+---" in seen[0]  # the login box, drawn in ASCII
    assert "[X]" in seen[-1] and "[ ]" in seen[-1]  # granted and revoked
    assert "^" in seen[2].splitlines()[1]  # sorted ascending


# ----- permissions without colour --------------------------------------------

async def test_granted_and_revoked_permissions_differ_by_a_symbol(sqlite_db, sqlite_url,
                                                                  people, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.no_color
        await sign_in(pilot, "admin")
        screen = await push_and_settle(pilot, PermissionScreen(Role.get(Role.key == "manager")))
        lines = screen_text(app).splitlines()
        granted = [line for line in lines if "customer.edit" in line]
        revoked = [line for line in lines if "customer.view_all" in line]
        assert granted and granted[0].lstrip().startswith("▐X▌")
        assert revoked and revoked[0].lstrip().startswith("▐ ▌")
        # Space revokes: the box empties.
        selections = screen.query_one("#permission-list")
        selections.highlighted = [option.value for option in selections.options].index(
            "customer.edit")
        await press_and_settle(pilot, "space")
        line = next(line for line in screen_text(app).splitlines() if "customer.edit" in line)
        assert line.lstrip().startswith("▐ ▌")


# ----- copy ------------------------------------------------------------------

async def test_copy_the_cell_the_row_and_the_record(sqlite_db, sqlite_url, people):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers", RecordListScreen)
        await press_and_settle(pilot, "y")
        assert app.clipboard == customer.number
        assert f"Copied: {customer.number}" in notices(app)
        await press_and_settle(pilot, "right", "y")
        assert app.clipboard == "北京远大科技有限公司"
        await press_and_settle(pilot, "Y")
        assert app.clipboard.split("\t")[:2] == [customer.number, "北京远大科技有限公司"]
        assert customer.phone in app.clipboard.split("\t")  # the wide columns too

        await press_and_settle(pilot, "enter")
        await press_and_settle(pilot, "y")  # the information tab: the whole record
        assert f"Number: {customer.number}" in app.clipboard
        assert "Name: 北京远大科技有限公司" in app.clipboard
        await press_and_settle(pilot, "f1")
        keys = screen_text(app)
        assert "table.copy" in keys or "records.copy" in keys


async def test_copy_on_an_empty_list_copies_nothing(sqlite_db, sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers", RecordListScreen)
        await press_and_settle(pilot, "y")
        assert app.clipboard == ""
        assert "Nothing to copy here." in notices(app)


# ----- wide terminals --------------------------------------------------------

def test_columns_come_in_by_priority_and_named_ones_grow():
    columns = [Column("number", "n", 10), Column("name", "m", 20, max_width=30),
               Column("phone", "p", 12, priority=1), Column("address", "a", 20, priority=2)]
    assert [(c.key, c.width) for c in fitting_columns(columns, 32)] == [("number", 10),
                                                                        ("name", 21)]
    assert [c.key for c in fitting_columns(columns, 44)] == ["number", "name", "phone"]
    widest = fitting_columns(columns, 200)
    assert [(c.key, c.width) for c in widest] == [("number", 10), ("name", 30), ("phone", 12),
                                                   ("address", 20)]


async def test_a_wide_terminal_shows_more_columns(sqlite_db, sqlite_url, people):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    for size, more in (((200, 40), True), ((80, 24), False)):
        app = app_for(sqlite_url)
        async with app.run_test(size=size) as pilot:
            await sign_in(pilot, "wang")
            await open_module(pilot, "customers", RecordListScreen)
            lines = screen_text(app).splitlines()
            header, first_row = lines[1], lines[2]
            assert ("Phone" in header) is more, header
            assert (customer.phone in first_row) is more, first_row
            assert ("Address" in header) is more
            # No line is longer than the screen, and the widest is used.
            assert max(len(line) for line in lines) <= size[0]
            if more:
                assert len(header) > 150


# ----- F1 ----------------------------------------------------------------------

async def test_help_scrolls_with_the_arrow_keys(sqlite_db, sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await open_module(pilot, "customers", RecordListScreen)
        await press_and_settle(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        keys = app.screen.query_one(DataTable)
        assert keys.max_scroll_y > 0  # more keys than lines
        first_row = screen_text(app).splitlines()[3]
        await press_and_settle(pilot, "down")
        assert keys.scroll_y == 1
        assert screen_text(app).splitlines()[3] != first_row
        await press_and_settle(pilot, "up")
        assert keys.scroll_y == 0


# ----- cut text ----------------------------------------------------------------

async def test_cut_text_ends_with_an_ellipsis(sqlite_db, sqlite_url, people):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    customer.update_by(people.admin, {"address": "北京市海淀区中关村大街一号科技大厦十八层"})
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await push_and_settle(pilot, AuditScreen())
        row = next(line for line in screen_text(app).splitlines() if "address" in line)
        assert row.rstrip(" ▁▂▃▄▅▆▇█").endswith("…"), row  # the New column, cut

        await push_and_settle(pilot, CustomerDetailScreen(customer.id))
        tab_line = screen_text(app).splitlines()[1]
        # Every tab's number is in sight; the shortened labels say so.
        assert all(f"{number} " in tab_line for number in "123456789"), tab_line
        assert "…" in tab_line and "1 Information" in tab_line
        await press_and_settle(pilot, "9")
        tab_line = screen_text(app).splitlines()[1]
        assert "9 Documents" in tab_line and "1 I…" in tab_line
        assert app.screen.query_one(TabbedContent).active == "tab-documents"


async def test_a_list_wider_than_the_screen_marks_the_cut_column(sqlite_db, sqlite_url, people):
    make_customer(people.manager, name="北京远大科技有限公司")
    app = app_for(sqlite_url)
    async with app.run_test(size=(66, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers", RecordListScreen)
        header = screen_text(app).splitlines()[1]
        assert header.rstrip().endswith("…"), header


# ----- the mail draft ----------------------------------------------------------

async def test_escape_keeps_the_mail_draft_for_the_customer_until_sign_out(
        sqlite_db, sqlite_url, people):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    Contact.create_by(people.manager, customer, {
        "name": "李明", "sex": "M", "position": "采购经理", "office_phone": "010-62345678",
        "email": "li.ming@client.example"})
    app = app_for(sqlite_url, mail=MailConfig(smtp=SmtpConfig(host="127.0.0.1", port=1,
                                                              security="none",
                                                              sender="sales@crm.example")))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await push_and_settle(pilot, CustomerMailScreen(customer.id))
        await press_and_settle(pilot, "n")
        assert isinstance(app.screen, ComposeMailModal)
        await type_text(pilot, "Quote for Q3")
        await pilot.press("tab")
        await type_text(pilot, "Dear Mr Li, the quote follows.")
        await press_and_settle(pilot, "escape")
        assert not isinstance(app.screen, ComposeMailModal)
        assert any("draft is kept" in notice for notice in notices(app))

        await press_and_settle(pilot, "n")
        modal = app.screen
        assert modal.query_one("#mail-subject", Input).value == "Quote for Q3"
        assert modal.query_one("#mail-body", TextArea).text == "Dear Mr Li, the quote follows."
        assert modal.query_one("#mail-to", Input).value == "li.ming@client.example"
        await press_and_settle(pilot, "escape")

        await press_and_settle(pilot, "escape")
        await press_and_settle(pilot, "o")  # the next person gets no draft
        await sign_in(pilot, "wang")
        await push_and_settle(pilot, CustomerMailScreen(customer.id))
        await press_and_settle(pilot, "n")
        assert app.screen.query_one("#mail-subject", Input).value == ""


@pytest.fixture(autouse=True)
def english_after():
    yield
    set_locale("en")


# ----- the command line ------------------------------------------------------------

def test_an_unknown_theme_stops_the_app_with_one_line(tmp_path, capsys):
    from crm_tui import cli

    config = tmp_path / "config.yaml"
    config.write_text("theme: no-such-theme\n", encoding="utf-8")
    assert cli.main(["--config", str(config)]) == cli.EXIT_USAGE
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"crm-tui: {config}: theme: unknown theme 'no-such-theme'")
    assert "textual-light" in error and "\n" not in error


def test_the_sample_config_documents_the_theme_key():
    from crm_tui.cli import sample_config
    from crm_tui.config import parse_config

    assert parse_config(sample_config()).theme == "textual-dark"
    assert "# Colours: a Textual theme." in sample_config()

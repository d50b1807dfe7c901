"""The application shell driven like a person: login, home, lists, palette, help, lock."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from textual.command import CommandPalette
from textual.widgets import DataTable, Input, OptionList, Static

from crm_tui import clock
from crm_tui.app import CrmApp
from crm_tui.commands import find_customers
from crm_tui.config import Config, SecurityConfig
from crm_tui.i18n import set_locale, t
from crm_tui.models import ChurnAlert, Opportunity, Order, Service
from crm_tui.models.dictionary import DictionaryEntry
from crm_tui.models.home import home_figures
from crm_tui.models.users import User, authenticate
from crm_tui.screens import customer_screen
from crm_tui.screens.customers import CustomerListScreen
from crm_tui.screens.help import HelpScreen
from crm_tui.screens.home import FIGURE_WIDTH, HomeScreen, format_figure
from crm_tui.screens.login import LockScreen, LoginScreen
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import LazyTable
from tests.conftest import PASSWORD, at, make_customer
from tests.pilot import app_for, press_and_settle, save, search_list, sign_in, text_of, type_text


# ----- data for the home figures ---------------------------------------------
def make_home_data(people):
    """Records around the account manager 王经理, some his, some not."""
    at(2026, 3, 15)
    wang, zhao, boss = people.manager, people.other_manager, people.supervisor
    own_a = make_customer(wang, name="北京远大科技有限公司")
    own_b = make_customer(wang, name="上海浦东贸易有限公司")
    other = make_customer(zhao, name="天津港务集团")

    def opportunity(created_by, status="unassigned", assigned_to=None):
        Opportunity.create(customer_name="某公司", success_rate=50, summary="s", description="d",
                           created_by=created_by, assigned_to=assigned_to, status=status)

    opportunity(wang)                                         # counted: created by him
    opportunity(boss, "assigned", assigned_to=wang)           # counted: assigned to him
    opportunity(wang, "succeeded", assigned_to=wang)          # ended
    opportunity(zhao)                                         # someone else's
    opportunity(boss)                                         # the supervisor's

    kind = DictionaryEntry.of_type("服务类型").first()

    def service(status, assigned_to=None, customer=own_a):
        Service.create(type=kind, summary="s", customer=customer, request="r", status=status,
                       created_by=wang, assigned_to=assigned_to)

    service("assigned", wang)          # waiting for him
    service("handled", wang)           # done
    service("new")                     # waiting for the supervisor
    service("assigned", zhao, other)   # waiting for 赵经理

    ChurnAlert.create(customer=own_a, status="warning")
    ChurnAlert.create(customer=own_b, status="deferred")
    ChurnAlert.create(customer=own_a, status="confirmed")
    ChurnAlert.create(customer=other, status="warning")

    def order(number, customer, day, status, amount):
        Order.create(number=number, customer_id=customer.id, date=day, status=status,
                     amount=Decimal(amount))

    order("O1", own_a, dt.date(2026, 3, 1), 5, "100.50")    # shipped this month
    order("O2", own_b, dt.date(2026, 3, 31), 6, "200.00")   # paid this month
    order("O3", own_a, dt.date(2026, 3, 10), 1, "999.00")   # not shipped
    order("O4", own_a, dt.date(2026, 2, 28), 6, "50.00")    # last month
    order("O5", other, dt.date(2026, 3, 10), 6, "77.00")    # another manager's customer
    return own_a, own_b, other


# ----- home figures (model) --------------------------------------------------
def test_home_figures_of_a_manager_count_only_his_records(crm_db, people):
    make_home_data(people)
    figures = home_figures(people.manager)
    assert figures.customers == 2
    assert figures.open_opportunities == 2
    assert figures.services_waiting == 1
    assert figures.open_churn_alerts == 2
    assert figures.month_order_amount == Decimal("300.50")


def test_home_figures_of_a_supervisor_count_everything_and_new_services(crm_db, people):
    make_home_data(people)
    figures = home_figures(people.supervisor)
    assert figures.customers == 3
    assert figures.open_opportunities == 4
    assert figures.services_waiting == 1  # the new one, to assign
    assert figures.open_churn_alerts == 3
    assert figures.month_order_amount == Decimal("377.50")


def test_a_month_of_orders_past_a_billion_fits_its_box_in_whole_units(crm_db, people):
    make_home_data(people)
    figures = home_figures(people.supervisor)
    assert format_figure("month_order_amount", figures) == "377.50"
    big = dataclasses.replace(figures, month_order_amount=Decimal("1454345555.49"))
    assert format_figure("month_order_amount", big) == "1,454,345,555"
    assert len(format_figure("month_order_amount", big)) <= FIGURE_WIDTH
    near = dataclasses.replace(figures, month_order_amount=Decimal("99999999.99"))
    assert format_figure("month_order_amount", near) == "99,999,999.99"


# ----- login -----------------------------------------------------------------
async def test_wrong_password_shows_the_error_and_stays(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang", "not the password", expect_home=False)
        assert isinstance(app.screen, LoginScreen)
        assert app.user is None
        assert text_of(app, "#login-error") == t("rights.login_refused")
        assert app.screen.query_one("#login-password", Input).value == ""
        # An unknown user gets the very same message.
        app.screen.query_one("#login-user", Input).value = ""
        app.screen.query_one("#login-user", Input).focus()
        await sign_in(pilot, "nobody", PASSWORD, expect_home=False)
        assert text_of(app, "#login-error") == t("rights.login_refused")
        # Before signing in, ctrl+p opens nothing.
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert not CommandPalette.is_open(app)


async def test_repeated_failures_lock_the_account(sqlite_url, people):
    app = app_for(sqlite_url, security=SecurityConfig(max_failed_logins=2, lockout_minutes=15))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang", "wrong one", expect_home=False)
        await type_text(pilot, "wrong two")
        await press_and_settle(pilot, "enter")
        await type_text(pilot, PASSWORD)
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, LoginScreen)
        # Locked: the same message as a wrong password, nothing more.
        assert text_of(app, "#login-error") == t("rights.login_refused")
    assert User.get_by_id(people.manager.id).locked_until is not None


# ----- home, list, search, scope ---------------------------------------------
async def test_manager_signs_in_sees_his_figures_and_his_customers(sqlite_url, people):
    own_a, own_b, other = make_home_data(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        assert isinstance(app.screen, HomeScreen)
        assert app.user.id == people.manager.id
        assert text_of(app, "#figure-customers") == "2"
        assert text_of(app, "#figure-open_opportunities") == "2"
        assert text_of(app, "#figure-services_waiting") == "1"
        assert text_of(app, "#figure-open_churn_alerts") == "2"
        assert text_of(app, "#figure-month_order_amount") == "300.50"
        menu = app.screen.query_one("#home-menu", OptionList)
        assert t("module.customers") in str(menu.get_option_at_index(0).prompt)

        await press_and_settle(pilot, "1")
        assert isinstance(app.screen, CustomerListScreen)
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 2
        names = {table.view.row_at(index)["name"] for index in range(table.row_count)}
        assert names == {own_a.name, own_b.name}

        await search_list(pilot, "浦东")
        assert table.row_count == 1
        assert table.current_row_id == own_b.id

        # A search for another manager's customer finds nothing here.
        await search_list(pilot, "天津")
        assert table.row_count == 0

        await press_and_settle(pilot, "escape")  # clears the search
        assert table.row_count == 2
        await press_and_settle(pilot, "escape")  # back home
        assert isinstance(app.screen, HomeScreen)


async def test_supervisor_list_shows_every_customer_and_sorts(sqlite_url, people):
    make_home_data(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        await press_and_settle(pilot, "1")
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 3
        await press_and_settle(pilot, "right", "s", "s")  # by name, then descending
        names = [table.view.row_at(index)["name"] for index in range(3)]
        assert names == sorted(names, reverse=True)


def test_palette_lookup_sees_only_the_users_customers(crm_db, people):
    make_home_data(people)
    assert [c.name for c in find_customers(people.manager, "天津")] == []
    assert [c.name for c in find_customers(people.other_manager, "天津")] == ["天津港务集团"]
    assert len(find_customers(people.executive, "有限公司")) == 2


async def wait_for_palette_hits(pilot, text: str) -> None:
    for _ in range(50):
        await pilot.pause(0.05)
        results = pilot.app.screen.query_one("CommandList", OptionList)
        if any(text in str(results.get_option_at_index(index).prompt)
               for index in range(results.option_count)):
            return
    raise AssertionError(f"the palette never showed {text!r}")


async def test_palette_finds_a_customer_by_name_and_opens_it(sqlite_url, people):
    own_a, own_b, _other = make_home_data(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert CommandPalette.is_open(app)
        await type_text(pilot, "浦东贸易")
        await wait_for_palette_hits(pilot, own_b.name)
        await press_and_settle(pilot, "enter")
        # The customer's own screen (customer_screen decides which one).
        assert type(app.screen) is type(customer_screen(own_b))
        if isinstance(app.screen, CustomerListScreen):
            table = app.screen.query_one(LazyTable)
            assert (table.filter_text, table.row_count) == (own_b.number, 1)
            assert table.current_row_id == own_b.id
        else:
            assert app.screen.customer_id == own_b.id


async def test_palette_opens_module_screens(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await pilot.press("ctrl+p")
        await type_text(pilot, t("module.customers"))
        await wait_for_palette_hits(pilot, t("module.customers"))
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, CustomerListScreen)


# ----- help, keymap ----------------------------------------------------------
async def test_f1_lists_the_keys_of_the_screen_in_front(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await press_and_settle(pilot, "1")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        rows = [tuple(str(cell) for cell in table.get_row_at(index)) for index in range(table.row_count)]
        assert ("s", t("table.sort"), "table.sort") in rows
        assert ("f1", t("app.help"), "app.help") in rows
        assert any(binding_id == "table.filter" for _key, _text, binding_id in rows)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CustomerListScreen)


async def test_keymap_from_config_changes_a_key(sqlite_url, people):
    app = app_for(sqlite_url, keymap={"home.change_password": "ctrl+w"})
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("ctrl+w")
        await pilot.pause()
        assert isinstance(app.screen, FormModal)


# ----- own password ----------------------------------------------------------
async def test_user_changes_own_password(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await pilot.press("p")
        await pilot.pause()
        await type_text(pilot, PASSWORD)
        await pilot.press("tab")
        await type_text(pilot, "new secret 1")
        await pilot.press("tab")
        await type_text(pilot, "new secret 2")
        await pilot.press("ctrl+s")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormModal)
        assert text_of(app, "#form-error-new_password_again") == t("password.differ")
        form.query_one("#form-input-new_password_again", Input).value = ""
        form.query_one("#form-input-new_password_again", Input).focus()
        await type_text(pilot, "new secret 1")
        await save(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert authenticate("wang", "new secret 1", 5, 15).id == people.manager.id


# ----- idle lock -------------------------------------------------------------
async def test_idle_session_locks_and_the_password_brings_back_the_unsaved_form(sqlite_url, people):
    moment = [dt.datetime(2026, 3, 2, 9, 0)]
    clock.set_clock(lambda: moment[0])
    app = app_for(sqlite_url, security=SecurityConfig(idle_lock_minutes=2))
    app.idle_check_seconds = 0.05
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await pilot.press("p")
        await pilot.pause()
        await type_text(pilot, "half typed")
        moment[0] += dt.timedelta(minutes=1)
        await pilot.pause(0.2)
        assert isinstance(app.screen, FormModal)  # one minute is not enough

        moment[0] += dt.timedelta(minutes=2)
        await pilot.pause(0.2)
        assert isinstance(app.screen, LockScreen)
        assert app.locked
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert not CommandPalette.is_open(app)

        await type_text(pilot, "wrong password")
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, LockScreen)
        assert text_of(app, "#lock-error") == t("rights.login_refused")

        await type_text(pilot, PASSWORD)
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, FormModal)
        assert not app.locked
        assert app.screen.query_one("#form-input-old_password", Input).value == "half typed"


async def test_idle_lock_off_when_zero(sqlite_url, people):
    moment = [dt.datetime(2026, 3, 2, 9, 0)]
    clock.set_clock(lambda: moment[0])
    app = app_for(sqlite_url, security=SecurityConfig(idle_lock_minutes=0))
    app.idle_check_seconds = 0.05
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        moment[0] += dt.timedelta(hours=5)
        await pilot.pause(0.2)
        assert isinstance(app.screen, HomeScreen)


# ----- locale, demo ----------------------------------------------------------
async def test_home_screen_in_chinese(sqlite_url, people):
    make_home_data(people)
    set_locale("zh_CN")
    app = app_for(sqlite_url, locale="zh_CN")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        assert isinstance(app.screen, HomeScreen)
        shown = " ".join(str(widget.render()) for widget in app.screen.query(Static))
        for chinese in ("我的数据", "客户", "进行中的销售机会", "待办服务", "流失预警", "本月订单金额",
                        "功能模块", "客户经理"):
            assert chinese in shown
        menu = app.screen.query_one("#home-menu", OptionList)
        assert "客户信息" in str(menu.get_option_at_index(0).prompt)


async def test_demo_mode_lists_the_demo_accounts(sqlite_url, people):
    demo = pytest.importorskip("crm_tui.demo")
    app = CrmApp(Config(database=sqlite_url), demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = text_of(app, "#login-demo")
        for login, _name, _role, password in demo.DEMO_ACCOUNTS:
            assert login in shown and password in shown


def test_every_module_has_a_menu_key_of_its_own():
    from crm_tui.screens import MODULES
    from crm_tui.screens.home import MENU_KEYS

    assert len(MODULES) <= len(MENU_KEYS)
    assert len(set(MENU_KEYS)) == len(MENU_KEYS)
    # The home screen's own keys are never a module's.
    own = {binding.key for binding in HomeScreen.BINDINGS if not binding.action.startswith("open_number")}
    assert own.isdisjoint(MENU_KEYS)

"""The reports screen driven like a person at 80x24: figures, filters,
scope, export, and a permission taken away while the app runs."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from decimal import Decimal

from openpyxl import load_workbook
from textual.widgets import Input, Select, Static

from crm_tui.app import CrmApp
from crm_tui.config import Config
from crm_tui.models import admin
from crm_tui.models.customers import NORMAL
from crm_tui.models.users import Role
from crm_tui.screens.home import MENU_KEYS, HomeScreen
from crm_tui.screens.reports import ReportsScreen
from crm_tui.widgets.forms import FormModal
from tests.conftest import PASSWORD
from tests.test_reports import build, expected_contribution, visible


async def settle(pilot) -> None:
    """Let database work in threads finish and its results show."""
    for _ in range(4):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def type_text(pilot, text: str) -> None:
    await pilot.press(*["space" if char == " " else char for char in text])


async def sign_in(pilot, login: str, password: str = PASSWORD) -> None:
    await type_text(pilot, login)
    await pilot.press("enter")
    await type_text(pilot, password)
    await pilot.press("enter")
    await settle(pilot)


async def open_module(pilot, key: str) -> None:
    """Press the home menu's number of the module `key`."""
    position = [module.key for module in pilot.app.allowed_modules()].index(key)
    await pilot.press(MENU_KEYS[position])
    await settle(pilot)


def app_for(sqlite_url) -> CrmApp:
    return CrmApp(dataclasses.replace(Config(database=sqlite_url)))


def table_rows(screen, key: str) -> list[dict]:
    pane = screen.query_one(f"#report-{key}")
    return pane.source.rows


def summary(screen, key: str) -> str:
    return str(screen.query_one(f"#report-{key} .report-summary", Static).render())


async def test_manager_sees_figures_of_own_customers_only(sqlite_url, people):
    data = build(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "reports")
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        expected = expected_contribution(data, people.manager, people)
        shown = [(row["customer_id"], row["amount"]) for row in table_rows(screen, "contribution")]
        assert shown == [(row[0], row[5]) for row in expected]
        assert f"{sum(row[5] for row in expected):,.2f}" in summary(screen, "contribution")

        # A year typed in the filter, then Enter.
        screen.query_one("#contribution-year", Input).focus()
        await type_text(pilot, "2025")
        await pilot.press("enter")
        await settle(pilot)
        expected = expected_contribution(data, people.manager, people, year=2025)
        shown = [(row["customer_id"], row["amount"]) for row in table_rows(screen, "contribution")]
        assert shown == [(row[0], row[5]) for row in expected]
        # The chart shows the biggest customers' amounts.
        pane = screen.query_one("#report-contribution")
        assert [value for _label, value in pane.result.bars] == [row[5] for row in expected[:8]]

        # Enter on a row opens that customer.
        screen.query_one("#contribution-table").focus()
        await pilot.press("enter")
        await settle(pilot)
        from crm_tui.screens.customer_detail import CustomerDetailScreen
        assert isinstance(app.screen, CustomerDetailScreen)
        assert app.screen.customer_id == expected[0][0]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

        # Composition (F3): counted over his own customers in status normal.
        await pilot.press("f3")
        await settle(pilot)
        counted = Counter(c["level"] for c in visible(data, people.manager, people)
                          if c["status"] == NORMAL)
        rows = table_rows(screen, "composition")
        assert sum(row["count"] for row in rows) == sum(counted.values())
        # Switch the dimension to credit with the keyboard.
        select = screen.query_one("#composition-dimension", Select)
        select.focus()
        await pilot.press("enter", "down", "enter")
        await settle(pilot)
        assert select.value == "credit"
        counted = Counter(c["credit"] for c in visible(data, people.manager, people)
                          if c["status"] == NORMAL)
        assert {row["label"]: row["count"] for row in table_rows(screen, "composition")} == \
            {str(score): counted.get(score, 0) for score in range(1, 6)}


async def test_service_dates_and_churn_filters(sqlite_url, people):
    data = build(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        await open_module(pilot, "reports")
        screen = app.screen
        await pilot.press("f4")
        await settle(pilot)
        screen.query_one("#services-date_from", Input).focus()
        await type_text(pilot, "2025-03-01")
        await pilot.press("tab")
        await type_text(pilot, "2025-08-31")
        await pilot.press("enter")
        await settle(pilot)
        ids = {c["id"] for c in visible(data, people.supervisor, people)}
        expected = sum(1 for s in data.services if s["customer_id"] in ids
                       and dt.date(2025, 3, 1) <= s["created_at"].date() <= dt.date(2025, 8, 31))
        assert sum(row["count"] for row in table_rows(screen, "services")) == expected

        # A year and dates together are refused, and say so.
        screen.query_one("#services-year", Input).focus()
        await type_text(pilot, "2025")
        await pilot.press("enter")
        await settle(pilot)
        assert "year" in summary(screen, "services").lower()

        await pilot.press("f5")
        await settle(pilot)
        confirmed = [c for c in data.churns if c["status"] == "confirmed" and c["customer_id"] in ids]
        assert len(table_rows(screen, "churn")) == len(confirmed)
        screen.query_one("#churn-customer", Input).focus()
        await type_text(pilot, "远大")
        await pilot.press("enter")
        await settle(pilot)
        names = {c["id"]: c["name"] for c in data.customers}
        assert sorted(row["alert_id"] for row in table_rows(screen, "churn")) == sorted(
            c["alert_id"] for c in confirmed if "远大" in names[c["customer_id"]])


async def test_export_writes_the_rows_shown(sqlite_url, people, tmp_path):
    data = build(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "exec")
        await open_module(pilot, "reports")
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, FormModal)
        path_input = app.screen.query_one("#form-input-path", Input)
        path_input.value = ""
        await type_text(pilot, str(tmp_path / "贡献.xlsx"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        await settle(pilot)
    sheet = load_workbook(tmp_path / "贡献.xlsx").worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    expected = expected_contribution(data, people.executive, people)
    assert rows[0][:3] == ["#", "Number", "Customer"]
    assert [(row[1], row[2], Decimal(str(row[5])).quantize(Decimal("0.01"))) for row in rows[1:]] \
        == [(row[1], row[2], row[5]) for row in expected]


async def test_a_revoked_permission_applies_at_the_next_screen_load(sqlite_url, people):
    build(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "exec")
        await open_module(pilot, "reports")
        screen = app.screen
        assert table_rows(screen, "contribution")
        # The administrator takes reports away from executives meanwhile.
        admin.set_grant(people.admin, Role.get(Role.key == "executive"), "report.view", False)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "report.view" in summary(screen, "contribution")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "reports" not in [module.key for module in app.allowed_modules()]
        # The number the reports had opens something else or nothing, never reports.
        await pilot.press(*MENU_KEYS[:len(app.allowed_modules()) + 1])
        await settle(pilot)
        assert not any(isinstance(s, ReportsScreen) for s in app.screen_stack)

"""The reports screen driven like a person at 80x24: figures, filters,
scope, export, and a permission taken away while the app runs."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from openpyxl import load_workbook
from textual.widgets import Input, Select, Static

from crm_tui.config import DocumentsConfig
from crm_tui.models import admin
from crm_tui.models.customers import NORMAL
from crm_tui.models.users import Role
from crm_tui.models.sales_system import Order
from crm_tui.screens.home import MENU_KEYS, HomeScreen
from crm_tui.screens.reports import ReportsScreen
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import LazyTable
from tests.pilot import (app_for, open_module, press_and_settle, save, search_list, settle,
                         sign_in, type_text)
from tests.test_reports import build, expected_contribution, visible


def table_rows(screen, key: str) -> list[dict]:
    """Every row the report's table pages through, as its source gives them."""
    source = screen.query_one(f"#report-{key}").source
    return source.fetch("", None, False, 0, source.count(""))


def summary(screen, key: str) -> str:
    return str(screen.query_one(f"#report-{key} .report-summary", Static).render())


async def reports_opened(pilot, login: str) -> ReportsScreen:
    """Sign in as `login`, open the reports and wait until they are shown."""
    await sign_in(pilot, login)
    screen = await open_module(pilot, "reports", ReportsScreen)
    await settle(pilot)
    return screen


async def type_filter(pilot, screen, selector: str, text: str) -> None:
    """Type `text` into the report's filter box `selector`, then Enter."""
    screen.query_one(selector, Input).focus()
    await type_text(pilot, text)
    await press_and_settle(pilot, "enter")


async def test_manager_sees_figures_of_own_customers_only(sqlite_url, people):
    data = build(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        screen = await open_module(pilot, "reports", ReportsScreen)
        expected = expected_contribution(data, people.manager, people)
        shown = [(row["id"], row["amount"]) for row in table_rows(screen, "contribution")]
        assert shown == [(row[0], row[5]) for row in expected]
        assert f"{sum(row[5] for row in expected):,.2f}" in summary(screen, "contribution")

        # A year typed in the filter, then Enter.
        await type_filter(pilot, screen, "#contribution-year", "2025")
        expected = expected_contribution(data, people.manager, people, year=2025)
        shown = [(row["id"], row["amount"]) for row in table_rows(screen, "contribution")]
        assert shown == [(row[0], row[5]) for row in expected]
        # The chart shows the biggest customers' amounts.
        pane = screen.query_one("#report-contribution")
        assert [value for _label, value in pane.result.bars] == [row[5] for row in expected[:8]]

        # Enter on a row opens that customer.
        screen.query_one("#contribution-table").focus()
        await press_and_settle(pilot, "enter")
        from crm_tui.screens.customer_detail import CustomerDetailScreen
        assert isinstance(app.screen, CustomerDetailScreen)
        assert app.screen.customer_id == expected[0][0]
        await press_and_settle(pilot, "escape")
        assert app.screen is screen

        # Composition (F3): counted over his own customers in status normal.
        await press_and_settle(pilot, "f3")
        counted = Counter(c["level"] for c in visible(data, people.manager, people)
                          if c["status"] == NORMAL)
        rows = table_rows(screen, "composition")
        assert sum(row["count"] for row in rows) == sum(counted.values())
        # Switch the dimension to credit with the keyboard.
        select = screen.query_one("#composition-dimension", Select)
        select.focus()
        await press_and_settle(pilot, "enter", "down", "enter")
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
        screen = await open_module(pilot, "reports", ReportsScreen)
        # Keys only, as a person types them: F4 builds the tab and puts the
        # focus on its first filter (the year); Tab goes to the dates.
        await pilot.press("f4", "tab", *"2025-03-01", "tab", *"2025-08-31")
        await press_and_settle(pilot, "enter")
        ids = {c["id"] for c in visible(data, people.supervisor, people)}
        expected = sum(1 for s in data.services if s["customer_id"] in ids
                       and dt.date(2025, 3, 1) <= s["created_at"].date() <= dt.date(2025, 8, 31))
        assert sum(row["count"] for row in table_rows(screen, "services")) == expected

        # A year and dates together are refused, and say so.
        await type_filter(pilot, screen, "#services-year", "2025")
        assert "year" in summary(screen, "services").lower()

        await press_and_settle(pilot, "f5")
        confirmed = [c for c in data.churns if c["status"] == "confirmed" and c["customer_id"] in ids]
        assert len(table_rows(screen, "churn")) == len(confirmed)
        await type_filter(pilot, screen, "#churn-customer", "远大")
        names = {c["id"]: c["name"] for c in data.customers}
        assert sorted(row["alert_id"] for row in table_rows(screen, "churn")) == sorted(
            c["alert_id"] for c in confirmed if "远大" in names[c["customer_id"]])


async def test_export_writes_the_rows_shown(sqlite_url, people, tmp_path):
    data = build(people)
    app = app_for(sqlite_url, documents=DocumentsConfig(export_folder=str(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "exec")
        await open_module(pilot, "reports")
        await press_and_settle(pilot, "ctrl+o")
        assert isinstance(app.screen, FormModal)
        path_input = app.screen.query_one("#form-input-path", Input)
        path_input.value = ""
        await type_text(pilot, str(tmp_path / "贡献.xlsx"))
        await save(pilot)
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
        screen = await open_module(pilot, "reports", ReportsScreen)
        assert table_rows(screen, "contribution")
        # The administrator takes reports away from executives meanwhile.
        admin.set_grant(people.admin, Role.get(Role.key == "executive"), "report.view", False)
        await press_and_settle(pilot, "ctrl+r")
        assert "report.view" in summary(screen, "contribution")
        await press_and_settle(pilot, "escape")
        assert isinstance(app.screen, HomeScreen)
        assert "reports" not in [module.key for module in app.allowed_modules()]
        # The number the reports had opens something else or nothing, never reports.
        await press_and_settle(pilot, *MENU_KEYS[:len(app.allowed_modules()) + 1])
        assert not any(isinstance(s, ReportsScreen) for s in app.screen_stack)


async def test_opening_the_reports_runs_the_contribution_once(sqlite_url, people, monkeypatch):
    # The churn report fills its manager list in the background; that must
    # not run the contribution report a second time.
    from crm_tui.models import reports

    build(people)
    runs = []
    real = reports.iter_contribution

    def counted(*args, **kwargs):
        runs.append(args[1:])
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "iter_contribution", counted)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        screen = await open_module(pilot, "reports", ReportsScreen)
        # The churn tab is built when first shown, then the contribution shown again.
        await press_and_settle(pilot, "f5")
        churn = screen.query_one("#churn-manager", Select)
        for _ in range(50):
            if len(churn._options) > 1:
                break
            await pilot.pause(0.05)
        await settle(pilot)
        assert len(churn._options) > 1, "the churn report's managers were loaded"
        await press_and_settle(pilot, "f2")
        assert table_rows(screen, "contribution")
        assert len(runs) == 1


async def test_the_contribution_says_how_recent_it_is_and_ctrl_r_updates_it(sqlite_url, people):
    data = build(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "exec")
        screen = await open_module(pilot, "reports", ReportsScreen)
        # Opened with no figures yet: they are summed first, then shown.
        assert "as of" in summary(screen, "contribution")
        expected = expected_contribution(data, people.executive, people)
        assert [row["id"] for row in table_rows(screen, "contribution")] == [row[0] for row in expected]

        # The sales system ships a big order to the smallest customer meanwhile.
        smallest = expected[-1]
        Order.create(number="SO-NEW", customer_id=smallest[0], date=dt.date.today(), status=5,
                     amount=Decimal("99999999.00"))
        await press_and_settle(pilot, "ctrl+r")
        first = table_rows(screen, "contribution")[0]
        assert (first["id"], first["rank"], first["orders"]) == (smallest[0], 1, smallest[4] + 1)
        assert first["amount"] == smallest[5] + Decimal("99999999.00")


async def test_the_ranking_is_counted_once_with_its_summary(sqlite_url, people, monkeypatch):
    """The summary counts the customers ranked; the table takes that number
    instead of counting them a second time, and a search in it counts."""
    from crm_tui.widgets.query_source import QuerySource

    data = build(people)
    counts = []
    real_count = QuerySource.count

    def count(self, filter_text):
        counts.append(filter_text)
        return real_count(self, filter_text)

    monkeypatch.setattr(QuerySource, "count", count)
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        screen = await reports_opened(pilot, "exec")
        expected = expected_contribution(data, people.executive, people)
        table = screen.query_one("#contribution-table", LazyTable)
        assert table.row_count == len(expected) and str(len(expected)) in summary(
            screen, "contribution")
        assert counts == []
        table.focus()
        await search_list(pilot, expected[0][2][:2])
        assert counts and table.row_count == len(
            [row for row in expected if expected[0][2][:2] in row[2]])


async def test_stale_figures_are_shown_at_once_then_summed_again_behind_the_report(
        sqlite_url, people, monkeypatch):
    """Figures older than ten minutes: the report shows them as they are,
    saying so, then sums the recent orders again and shows the new ones."""
    from crm_tui.models import order_figures, reports

    data = build(people)
    order_figures.refresh(order_figures.FULL)
    expected = expected_contribution(data, people.executive, people)
    smallest = expected[-1]
    Order.create(number="SO-LATE", customer_id=smallest[0], date=dt.date.today(), status=5,
                 amount=Decimal("99999999.00"))
    monkeypatch.setattr(order_figures, "figures_are_fresh", lambda now=None: False)
    steps = []
    real_update, real_summary = reports.update_order_figures, reports.contribution_summary

    def update(user, now=False):
        steps.append("sum the orders")
        real_update(user, now)
        monkeypatch.setattr(order_figures, "figures_are_fresh", lambda now=None: True)

    def report_summary(*args, **kwargs):
        steps.append("report")
        return real_summary(*args, **kwargs)

    monkeypatch.setattr(reports, "update_order_figures", update)
    monkeypatch.setattr(reports, "contribution_summary", report_summary)
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        screen = await reports_opened(pilot, "exec")
        # Shown from the figures as they were, then summed once behind it ...
        assert steps == ["report", "sum the orders", "report"]
        # ... and the report shown again from the new figures.
        first = table_rows(screen, "contribution")[0]
        assert (first["id"], first["amount"]) == (smallest[0], smallest[5] + Decimal("99999999.00"))
        assert "summing" not in summary(screen, "contribution")


async def test_keys_typed_right_after_a_report_key_reach_that_report(sqlite_url, people):
    # The services tab is built when first shown; what is typed at once
    # after F4 goes to its first filter, not to the report shown before.
    build(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        screen = await open_module(pilot, "reports", ReportsScreen)
        await pilot.press("f4", *"2025", "enter")
        await settle(pilot)
        assert screen.query_one("#services-year", Input).value == "2025"
        assert screen.query_one("#contribution-name", Input).value == ""
        assert "2025" in summary(screen, "services")

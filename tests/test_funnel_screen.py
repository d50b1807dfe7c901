"""The funnel at 80x24, driven like a person: a new opportunity's weighted
amount in the forecast, the stage moved while developing, a target set by
the supervisor and only read by the account manager."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crm_tui.models import Opportunity
from crm_tui.models.funnel import Target
from crm_tui.models.sales import stages
from crm_tui.screens.records import RecordListScreen, RecordScreen
from crm_tui.screens.reports import ReportsScreen
from crm_tui.widgets.bars import BarChart
from tests.conftest import at
from tests.pilot import (app_for, choose, fill, fill_form, offered, open_module, press_and_settle,
                         save, sign_in)
from tests.test_opportunities import new_opportunity


def forecast_rows(screen) -> dict[str, dict]:
    return {row["month"]: row for row in screen.query_one("#report-forecast").source.rows}


async def test_the_forecast_shows_the_weighted_amount_of_a_new_opportunity(sqlite_url, people):
    at(2026, 3, 2)
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "opportunities", RecordListScreen)
        await press_and_settle(pilot, "n")
        for name, text in (("customer_name", "联信包装有限公司"), ("success_rate", "40"),
                           ("summary", "包装线"), ("description", "第二工厂"),
                           ("expected_amount", "250000"), ("expected_close", "2026-04-20")):
            await fill(pilot, name, text)
        await save(pilot)
        assert isinstance(pilot.app.screen, RecordListScreen)
        await press_and_settle(pilot, "escape")
        screen = await open_module(pilot, "reports", ReportsScreen)
        await press_and_settle(pilot, "f9")
        rows = forecast_rows(screen)
        assert list(rows)[0] == "2026-03"  # from this month on
        assert (rows["2026-04"]["count"], rows["2026-04"]["expected"],
                rows["2026-04"]["weighted"]) == (1, Decimal("250000.00"), Decimal("100000.00"))
        # The chart draws it: the April bar is the only one, its figure beside it.
        lines = screen.query_one("#forecast-chart", BarChart).lines()
        april = next(line for line in lines if line.startswith("2026-04"))
        assert april.rstrip().endswith("100,000") and "█" in april
        assert all("█" not in line for line in lines if line.startswith("2026-0")
                   and not line.startswith("2026-04"))
    stored = Opportunity.get()
    assert (stored.expected_amount, stored.expected_close, stored.stage_id) == (
        Decimal("250000.00"), dt.date(2026, 4, 20), stages().first().id)


async def test_the_account_manager_moves_the_stage_on_the_opportunity_screen(sqlite_url, people):
    opportunity = new_opportunity(people.manager, success_rate="10").assign_by(
        people.supervisor, people.manager)
    quote_stage = [stage for stage in stages()][2]
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "opportunities", RecordListScreen)
        await press_and_settle(pilot, "enter")
        assert isinstance(pilot.app.screen, RecordScreen)
        assert "opportunity.stage" in offered(pilot.app, "opportunity.")
        await press_and_settle(pilot, "g")
        await fill_form(pilot, {"stage": f"{quote_stage.item} (60%)"})
        await fill(pilot, "expected_amount", "80000")
        await fill(pilot, "expected_close", "2026-12-31")
        await save(pilot)
        assert isinstance(pilot.app.screen, RecordScreen)
    stored = Opportunity.get_by_id(opportunity.id)
    assert (stored.stage_id, stored.success_rate, stored.expected_amount,
            stored.expected_close) == (quote_stage.id, 60, Decimal("80000.00"),
                                       dt.date(2026, 12, 31))


async def test_the_supervisor_sets_a_target_the_manager_only_reads_it(sqlite_url, people):
    at(2026, 3, 2)
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        screen = await open_module(pilot, "targets", RecordListScreen)
        await press_and_settle(pilot, "n")
        await choose(pilot, "manager", "王经理")
        await fill(pilot, "amount", "600000")
        await fill(pilot, "interactions", "30")
        await save(pilot)
        assert pilot.app.screen is screen and screen.table.row_count == 1
    target = Target.get()
    assert (target.manager_id, target.month, target.amount, target.interactions,
            target.set_by_id) == (people.manager.id, dt.date(2026, 3, 1), Decimal("600000.00"),
                                  30, people.supervisor.id)
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        screen = await open_module(pilot, "targets", RecordListScreen)
        assert screen.table.row_count == 1
        assert offered(pilot.app, "target.") == set()
        await press_and_settle(pilot, "n", "e", "d")
        assert pilot.app.screen is screen
    assert Target.select().count() == 1

"""Today's agenda at 80x24: the home figure counts it, Enter on a line opens
its record, and a plan item whose day comes while the app is open is told
as a notice."""
from __future__ import annotations

from textual.widgets import OptionList

from crm_tui.screens.agenda import AgendaScreen
from crm_tui.screens.home import HomeScreen
from crm_tui.screens.records import RecordScreen
from tests.conftest import at
from tests.pilot import app_for, notices, press_and_settle, settle, sign_in, text_of
from tests.test_agenda import plan_of


async def test_open_an_item_from_the_agenda(sqlite_url, people):
    at(2026, 3, 1)
    plan = plan_of(people, "甲公司")
    plan.add_plan_item(people.manager, {"date": "2026-02-27", "content": "回访"})
    other = plan_of(people, "乙公司")
    other.add_plan_item(people.manager, {"date": "2026-03-01", "content": "报价"})
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        assert text_of(pilot.app, "#figure-agenda") == "2"
        # "t" on the home screen: today's agenda.
        await press_and_settle(pilot, "t")
        screen = pilot.app.screen
        assert isinstance(screen, AgendaScreen)
        items = screen.query_one(OptionList)
        assert items.option_count == 2
        first, second = (str(items.get_option_at_index(n).prompt) for n in range(2))
        assert first.startswith("2d late") and "甲公司: 回访" in first
        assert second.startswith("today") and "乙公司: 报价" in second
        await press_and_settle(pilot, "down", "enter")
        record = pilot.app.screen
        assert isinstance(record, RecordScreen)
        assert (record.kind.name, record.record_id) == ("opportunity", other.id)
        await press_and_settle(pilot, "escape")
        assert pilot.app.screen is screen


async def test_a_notice_when_something_comes_due(sqlite_url, people):
    at(2026, 3, 1)
    plan = plan_of(people, "甲公司")
    plan.add_plan_item(people.manager, {"date": "2026-03-02", "content": "报价"})
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        assert isinstance(pilot.app.screen, HomeScreen)
        assert text_of(pilot.app, "#figure-agenda") == "0"
        # The first look after signing in tells nothing.
        assert not any("due now" in notice for notice in notices(pilot.app))
        # The next day comes while the app is open; the timer looks again.
        at(2026, 3, 2)
        pilot.app.agenda_check.run()
        await settle(pilot)
        assert any("1 more due now: 甲公司: 报价" in notice for notice in notices(pilot.app))
        # Told once: the next look finds nothing new.
        count = len(notices(pilot.app))
        pilot.app.agenda_check.run()
        await settle(pilot)
        assert len(notices(pilot.app)) == count

"""A customer's timeline tab at 80x24 over 10,000 events: it opens at the
newest, End reaches the oldest, Page Down walks on without a gap, k shows
one kind, Enter opens the record an event belongs to."""
from __future__ import annotations

import datetime as dt

from crm_tui.models import Interaction, Service, ServiceEvent
from crm_tui.models.base import database
from crm_tui.models.dictionary import SERVICE_TYPE
from crm_tui.screens.customer_detail import CustomerDetailScreen
from crm_tui.screens.records import RecordScreen
from crm_tui.screens.timeline import TimelinePane
from tests.conftest import at, entry, make_customer
from tests.pilot import app_for, open_tab, press_and_settle, push_and_settle, settle, sign_in

EVENTS = 10_000
START = dt.date(2000, 1, 1)


def long_history(customer, people) -> Service:
    """One interaction a day for 10,000 days, and a service in the middle."""
    rows = [{"customer": customer.id, "date": START + dt.timedelta(days=n), "place": "厂区",
             "summary": f"拜访 {n}", "created_by": people.manager.id} for n in range(EVENTS)]
    with database.atomic():
        for first in range(0, EVENTS, 500):
            Interaction.insert_many(rows[first:first + 500]).execute()
    service = Service.create(type=entry(SERVICE_TYPE, "投诉").id, summary="卡纸",
                             customer=customer.id, request="修", created_by=people.manager.id)
    ServiceEvent.create(service=service.id, kind="create", at=dt.datetime(2010, 6, 1, 9, 30))
    return service


async def test_scroll_a_timeline_of_ten_thousand_events(sqlite_url, people):
    at(2030, 1, 1)
    customer = make_customer(people.manager)
    service = long_history(customer, people)
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await push_and_settle(pilot, CustomerDetailScreen(customer.id))
        await open_tab(pilot, "timeline")
        pane = pilot.app.screen.query_one(TimelinePane)
        table = pane.table
        assert table.row_count == EVENTS + 1
        newest = START + dt.timedelta(days=EVENTS - 1)
        assert table.current_row["text"] == f"拜访 {EVENTS - 1} (厂区)"
        assert table.current_row["time"] == dt.datetime.combine(newest, dt.time())
        # The last row: the first day.
        await press_and_settle(pilot, "end")
        assert table.view.cursor == EVENTS
        assert table.current_row["text"] == "拜访 0 (厂区)"
        # Back to the top, then page by page: each row the day before the one above.
        await press_and_settle(pilot, "home")
        for _ in range(30):
            await pilot.press("pagedown")
        await settle(pilot)
        cursor = table.view.cursor
        assert cursor > 300
        assert table.current_row["text"] == f"拜访 {EVENTS - 1 - cursor} (厂区)"
        # Only the services: the one step; Enter opens its service.
        await press_and_settle(pilot, "k", "k", "k")
        assert table.row_count == 1
        assert table.current_row["kind"] == "service"
        await press_and_settle(pilot, "enter")
        record = pilot.app.screen
        assert isinstance(record, RecordScreen)
        assert (record.kind.name, record.record_id) == ("service", service.id)

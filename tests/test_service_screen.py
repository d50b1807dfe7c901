"""The service screens driven like a person at 80x24: created → assigned →
handled → feedback 2 → handled again → feedback 4 → archived, with both
rounds in its history; the archive searched; a new service deleted."""
from __future__ import annotations

from crm_tui.models import Service, ServiceEvent
from crm_tui.models.dictionary import SERVICE_TYPE
from crm_tui.models.service import ARCHIVED, ASSIGNED, HANDLED, NEW
from crm_tui.screens.records import RecordListScreen, RecordScreen
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import LazyTable
from tests.conftest import entry, make_customer
from tests.pilot import (app_for, choose, fill, form_errors, form_message, offered, open_module,
                         press_and_settle, save, sign_in, text_of, type_text)


async def handle(pilot, text: str) -> None:
    assert "service.handle" in offered(pilot.app, ("service.", "records.next"))
    await press_and_settle(pilot, "h")
    await fill(pilot, "handling", text)
    await save(pilot)


async def feedback(pilot, result: str, satisfaction: str) -> None:
    assert "service.feedback" in offered(pilot.app, ("service.", "records.next"))
    await press_and_settle(pilot, "f")
    await fill(pilot, "result", result)
    await fill(pilot, "satisfaction", satisfaction)
    await save(pilot)


async def test_service_from_creation_to_the_archive(sqlite_url, people):
    customer = make_customer(people.manager, name="Yuanda Tech")
    make_customer(people.other_manager, name="Not Wang's")

    # The account manager records the customer's request.
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        screen = await open_module(pilot, "services", RecordListScreen)
        assert offered(pilot.app, ("service.", "records.next")) == {"service.new", "records.next_filter"}
        await press_and_settle(pilot, "n")
        form = pilot.app.screen
        # Only his own customers to choose from.
        customers = [str(label) for label, _value in form.widget_for("customer")._options][1:]
        assert customers == ["Yuanda Tech"]
        await save(pilot)
        assert set(form_errors(pilot.app.screen)) == {"type", "summary", "customer", "request"}
        await choose(pilot, "type", "投诉")
        await fill(pilot, "summary", "printer jams")
        await choose(pilot, "customer", "Yuanda Tech")
        await fill(pilot, "request", "send an engineer")
        await save(pilot)
        assert pilot.app.screen is screen and screen.table.row_count == 1
        # Only a supervisor assigns.
        assert offered(pilot.app, ("service.", "records.next")) == {"service.new", "records.next_filter"}
    service = Service.get()
    assert (service.status, service.customer_id, service.type_id, service.created_by_id) == (
        NEW, customer.id, entry(SERVICE_TYPE, "投诉").id, people.manager.id)

    # The supervisor assigns it to him.
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        await open_module(pilot, "services", RecordListScreen)
        assert offered(pilot.app, ("service.", "records.next")) == {"service.assign", "service.delete",
                                                  "records.next_filter"}
        await press_and_settle(pilot, "a")
        await choose(pilot, "manager", "王经理")
        await save(pilot)
        assert offered(pilot.app, ("service.", "records.next")) == {"records.next_filter"}
    assert Service.get().status == ASSIGNED

    # He handles it twice: the customer was not satisfied the first time.
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "services", RecordListScreen)
        await press_and_settle(pilot, "enter")
        assert isinstance(pilot.app.screen, RecordScreen)
        await handle(pilot, "cleaned the rollers")
        assert Service.get().status == HANDLED
        await press_and_settle(pilot, "h")  # not offered any more: nothing happens
        assert isinstance(pilot.app.screen, RecordScreen)
        await feedback(pilot, "jams again", "2")
        assert Service.get().status == ASSIGNED
        await handle(pilot, "replaced the feeder")
        await feedback(pilot, "works now", "4")
        assert offered(pilot.app, ("service.", "records.next")) == set()
        history = text_of(pilot.app, ".record-fields")
        for text in ("cleaned the rollers", "jams again", "satisfaction 2",
                     "replaced the feeder", "works now", "satisfaction 4"):
            assert text in history
        assert history.index("cleaned the rollers") < history.index("replaced the feeder")

    service = Service.get()
    assert (service.status, service.satisfaction, service.result) == (ARCHIVED, 4, "works now")
    assert [(e.kind, e.text, e.satisfaction) for e in service.history()] == [
        ("create", "send an engineer", None), ("assign", "王经理", None),
        ("handle", "cleaned the rollers", None), ("feedback", "jams again", 2),
        ("handle", "replaced the feeder", None), ("feedback", "works now", 4)]

    # The archive: read only, searchable.
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "exec")
        await open_module(pilot, "service_archive", RecordListScreen)
        table = pilot.app.screen.query_one(LazyTable)
        assert table.row_count == 1
        for search, rows in (("Yuanda", 1), ("engineer", 0), ("printer", 1), ("投诉", 1),
                             ("咨询", 0)):
            await pilot.press("slash")
            pilot.app.screen.query_one(".lazy-table-filter").value = ""
            await type_text(pilot, search)
            await press_and_settle(pilot, "enter")
            assert table.row_count == rows, search
        await pilot.press("slash")
        pilot.app.screen.query_one(".lazy-table-filter").value = ""
        await type_text(pilot, service.archived_at.strftime("%Y-%m-%d"))
        await press_and_settle(pilot, "enter")
        assert table.row_count == 1
        await press_and_settle(pilot, "enter")
        assert isinstance(pilot.app.screen, RecordScreen)
        assert "replaced the feeder" in text_of(pilot.app, ".record-fields")
        assert offered(pilot.app, ("service.", "records.next")) == set()


async def test_supervisor_deletes_a_new_service_after_confirming(sqlite_url, people):
    customer = make_customer(people.manager)
    Service.create_by(people.manager, {"type": entry(SERVICE_TYPE, "咨询").id, "summary": "price",
                                       "customer": customer.id, "request": "price list please"})
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        screen = await open_module(pilot, "services", RecordListScreen)
        await press_and_settle(pilot, "d")
        assert isinstance(pilot.app.screen, ConfirmModal)
        await press_and_settle(pilot, "y")
        assert pilot.app.screen is screen and screen.table.row_count == 0
    assert Service.select().count() == 0 and ServiceEvent.select().count() == 0


async def test_state_filter_and_a_refused_feedback_in_the_form(sqlite_url, people):
    customer = make_customer(people.manager)
    values = {"type": entry(SERVICE_TYPE, "建议").id, "customer": customer.id, "request": "r"}
    Service.create_by(people.manager, dict(values, summary="still new"))
    handled = Service.create_by(people.manager, dict(values, summary="handled one"))
    handled = handled.assign_by(people.supervisor, people.manager)
    handled = handled.handle_by(people.manager, {"handling": "done"})
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        screen = await open_module(pilot, "services", RecordListScreen)
        assert screen.table.row_count == 2
        titles = []
        for _state in range(5):
            await press_and_settle(pilot, "t")
            titles.append((text_of(pilot.app, "#records-title"), screen.table.row_count))
        assert titles == [("Services: new", 1), ("Services: assigned", 0),
                          ("Services: handled", 1), ("Services: archived", 0),
                          ("Services: all states", 2)]
        await press_and_settle(pilot, "t", "t", "t")  # handled
        await press_and_settle(pilot, "f")
        await fill(pilot, "result", "fine")
        await fill(pilot, "satisfaction", "9")
        await save(pilot)
        assert isinstance(pilot.app.screen, FormModal)
        assert form_errors(pilot.app.screen) == {"satisfaction": "must be from 1 to 5"}
        # Meanwhile the supervisor records the customer's feedback.
        handled.feedback_by(people.supervisor, {"result": "ok", "satisfaction": "5"})
        satisfaction = pilot.app.screen.widget_for("satisfaction")
        satisfaction.value = "3"
        await save(pilot)
        assert isinstance(pilot.app.screen, FormModal)
        message = form_message(pilot.app.screen)
        assert "Feedback needs a handled service; this one is archived." in message
    assert ServiceEvent.select().where(ServiceEvent.kind == "feedback").count() == 1

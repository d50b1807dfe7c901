"""The churn screens driven like a person, and the app's periodic scan."""
from __future__ import annotations

import datetime as dt

from crm_tui import clock
from crm_tui.config import ChurnConfig
from crm_tui.models import AuditLog, ChurnAlert, ChurnMeasure, WorkerRun
from crm_tui.models.churn import APP, CONFIRMED, DEFERRED, WARNING, scan
from crm_tui.models.customers import LOST, Customer
from crm_tui.screens import MODULES
from crm_tui.screens.records import RecordListScreen, RecordScreen
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.forms import FormModal
from tests.conftest import at, make_customer
from tests.pilot import (app_for, notices, offered, open_module, press_and_settle, save, settle, sign_in,
                         type_text)


def footer_actions(app) -> set[str]:
    return offered(app, "churn_alert.")


def alerts_for(people):
    """王经理's customer crossed six months without orders; 赵经理's too."""
    at(2026, 1, 1)
    mine = make_customer(people.manager, name="北京远大科技有限公司")
    make_customer(people.other_manager, name="天津港务集团")
    at(2026, 7, 2)
    scan(6)
    return mine


async def test_manager_defers_then_confirms_an_alert_through_the_screen(sqlite_db, sqlite_url,
                                                                         people):
    customer = alerts_for(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        screen = await open_module(pilot, "churn", RecordListScreen)
        assert screen.table.row_count == 1  # only his own customer's alert
        assert screen.table.current_row["customer_name"] == customer.name
        # No measure yet: deferring is offered, confirming is not.
        assert footer_actions(app) == {"churn_alert.defer"}
        await press_and_settle(pilot, "c")
        assert app.screen is screen

        await press_and_settle(pilot, "d")
        assert isinstance(app.screen, FormModal)
        await save(pilot)  # the measure is required
        assert isinstance(app.screen, FormModal)
        assert ChurnMeasure.select().count() == 0
        await type_text(pilot, "visited the customer, offered a discount")
        await save(pilot)
        assert app.screen is screen
        [alert] = ChurnAlert.select().where(ChurnAlert.customer == customer.id)
        assert alert.status == DEFERRED
        [measure] = alert.measures
        assert (measure.text, measure.author_id) == ("visited the customer, offered a discount",
                                                     people.manager.id)
        assert footer_actions(app) == {"churn_alert.defer", "churn_alert.confirm"}

        await press_and_settle(pilot, "c")
        assert isinstance(app.screen, ConfirmModal)
        await press_and_settle(pilot, "y")
        assert isinstance(app.screen, FormModal)
        at(2026, 8, 1)
        await type_text(pilot, "moved to a competitor")
        await save(pilot)
        assert app.screen is screen
        alert = ChurnAlert.get_by_id(alert.id)
        assert (alert.status, alert.reason, alert.lost_date) == (
            CONFIRMED, "moved to a competitor", dt.date(2026, 8, 1))
        customer = Customer.get_by_id(customer.id)
        assert (customer.status, customer.lost_at) == (LOST, dt.date(2026, 8, 1))
        assert {(row.field, row.new) for row in AuditLog.select().where(
            AuditLog.action == "confirm")} == {("status", CONFIRMED), ("lost_date", "2026-08-01"),
                                               ("reason", "moved to a competitor")}
        # A confirmed alert offers nothing more.
        assert footer_actions(app) == set()

        # The detail shows every measure with its author.
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, RecordScreen)
        measures = str(app.screen.query_one(".record-fields").render())
        assert "visited the customer, offered a discount" in measures
        assert people.manager.display_name in measures
        fields = str(app.screen.query_one(".record-fields").render())
        assert "moved to a competitor" in fields and "2026-08-01" in fields


async def test_declining_the_confirmation_changes_nothing(sqlite_db, sqlite_url, people):
    customer = alerts_for(people)
    alert = ChurnAlert.get(ChurnAlert.customer == customer.id)
    alert.defer_by(people.manager, {"measure": "电话回访"})
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "churn", RecordListScreen)
        await press_and_settle(pilot, "c")
        await press_and_settle(pilot, "n")
        assert isinstance(app.screen, RecordListScreen)
    assert ChurnAlert.get_by_id(alert.id).status == DEFERRED
    assert Customer.get_by_id(customer.id).status != LOST


async def test_supervisor_sees_every_alert_and_may_act_on_none(sqlite_db, sqlite_url, people):
    alerts_for(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        screen = await open_module(pilot, "churn", RecordListScreen)
        assert screen.table.row_count == 2
        assert footer_actions(app) == set()
        await press_and_settle(pilot, "d")
        assert app.screen is screen
    assert ChurnMeasure.select().count() == 0


async def test_the_apps_periodic_scan_tells_the_manager_of_new_alerts(sqlite_db, sqlite_url,
                                                                      people):
    at(2026, 1, 1)
    make_customer(people.manager, name="北京远大科技有限公司")
    make_customer(people.manager, name="上海浦东贸易有限公司")
    make_customer(people.other_manager, name="天津港务集团")
    app = app_for(sqlite_url, churn=ChurnConfig(check_interval_minutes=30))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        check = app.churn_check
        assert check.timer is not None
        at(2026, 7, 2)
        await check.run().wait()
        await settle(pilot)
        assert ChurnAlert.select().where(ChurnAlert.status == WARNING).count() == 3
        assert WorkerRun.get().trigger == APP
        assert notices(app) == ["2 new churn alert(s) for your customers."]
        # Nothing new the next time: no second notification.
        at(2026, 7, 3)
        await check.run().wait()
        await settle(pilot)
        assert len(list(app._notifications)) == 1


async def test_the_periodic_scan_can_be_off(sqlite_db, sqlite_url, people):
    app = app_for(sqlite_url, churn=ChurnConfig(check_interval_minutes=0))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        assert app.churn_check.timer is None
    clock.set_clock(None)


def test_the_churn_module_is_registered():
    assert "churn" in [module.key for module in MODULES]

"""Churn alerts (客户流失预警): the list, one alert with all its measures,
暂缓流失 (defer, with the measure taken) and 确认流失 (confirm, with the
reason), and the app's own periodic scan.

The keys for deferring and confirming show in the footer only when the
signed-in user may use them on the alert under the cursor; the model
decides (ChurnAlert.allowed_actions) and checks again when saving.
"""
from __future__ import annotations

from typing import Any

from peewee import SQL
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import churn
from crm_tui.models.churn import (CONFIRM, CONFIRM_FIELDS, DEFER, DEFER_FIELDS, ChurnAlert,
                                  alert_list_query, new_alerts_since)
from crm_tui.models.customers import Customer
from crm_tui.models.errors import CrmError
from crm_tui.models.users import User
from crm_tui.screens.record_actions import RecordActions, RecordList, WatchedTable, moment_text
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.connection import connected
from crm_tui.widgets.lazy_table import Column, QuerySource


def status_text(status: str | None) -> str:
    return t(f"churn.status.{status}") if status else ""


def date_text(value: Any) -> str:
    return t("churn.no_order") if value is None else str(value)


ALERT_COLUMNS = [
    Column("customer_name", "churn.column.customer", 24, SQL("customer_name")),
    Column("manager_name", "churn.column.manager", 10, SQL("manager_name")),
    Column("last_order_date", "churn.column.last_order", 10, ChurnAlert.last_order_date,
           format=date_text),
    Column("status", "churn.column.status", 9, ChurnAlert.status, format=status_text),
    Column("created_at", "churn.column.created", 16, ChurnAlert.created_at, format=moment_text),
]


class AlertActions(RecordActions):
    """暂缓流失 and 确认流失 on the alert a screen points at; shared by the
    list and the detail screen."""

    app: App
    ACTIONS = {DEFER, CONFIRM}

    def selected_alert_id(self) -> int | None:
        raise NotImplementedError

    def allowed_actions(self) -> set[str]:
        alert_id = self.selected_alert_id()
        user = self.app.user
        if alert_id is None or user is None:
            return set()
        alert = ChurnAlert.get_or_none(ChurnAlert.id == alert_id)
        return set() if alert is None else alert.allowed_actions(user)

    def _alert(self) -> ChurnAlert | None:
        alert_id = self.selected_alert_id()
        if alert_id is None:
            return None
        try:
            return ChurnAlert.get_visible(self.app.user, alert_id)
        except CrmError as error:
            self.app.notify(str(error), severity="error")
            return None

    def action_defer(self) -> None:
        alert = self._alert()
        if alert is None:
            return
        user, name = self.app.user, Customer.get_by_id(alert.customer_id).name
        self.open_form(t("churn.defer_title", customer=name), DEFER_FIELDS, {},
                       lambda values: alert.defer_by(user, values),
                       lambda _alert: t("churn.deferred_done", customer=name))

    def action_confirm(self) -> None:
        alert = self._alert()
        if alert is None:
            return
        user, name = self.app.user, Customer.get_by_id(alert.customer_id).name

        def answered(yes: bool | None) -> None:
            if yes:
                self.open_form(t("churn.confirm_title", customer=name), CONFIRM_FIELDS, {},
                               lambda values: alert.confirm_by(user, values),
                               lambda _alert: t("churn.confirmed_done", customer=name))

        self.app.push_screen(ConfirmModal(t("churn.confirm_question", customer=name)), answered)


ACTION_BINDINGS = [
    Binding("d", "defer", t("churn.defer"), id="churn.defer"),
    Binding("c", "confirm", t("churn.confirm"), id="churn.confirm"),
]


class ChurnListScreen(RecordList, AlertActions, Screen):
    """The alerts visible to the signed-in user (own customers' for an
    account manager, all for supervisors); open ones first, newest first."""

    BINDINGS = ACTION_BINDINGS

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(lambda text: alert_list_query(user, text), ALERT_COLUMNS)
        yield Static(t("churn.title"), classes="screen-title")
        yield WatchedTable(source, id="churn-table")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(WatchedTable).focus()

    def record_screen(self, record_id: int) -> Screen:
        return ChurnDetailScreen(record_id)

    def selected_alert_id(self) -> int | None:
        return self.table.current_row_id


class ChurnDetailScreen(AlertActions, Screen):
    """One alert: the customer, the dates, the state, and every measure
    taken with its time and author."""

    BINDINGS = ACTION_BINDINGS

    def __init__(self, alert_id: int):
        super().__init__()
        self.alert_id = alert_id

    def compose(self) -> ComposeResult:
        yield Static("", id="churn-detail-title", classes="screen-title")
        with VerticalScroll(id="churn-detail-body", can_focus=True):
            yield Static("", id="churn-detail-fields")
            yield Static(t("churn.detail.measures"), classes="section-title")
            yield Static("", id="churn-detail-measures")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#churn-detail-body").focus()
        self.record_changed()

    def selected_alert_id(self) -> int | None:
        return self.alert_id

    def record_changed(self) -> None:
        try:
            alert = ChurnAlert.get_visible(self.app.user, self.alert_id)
        except CrmError as error:
            self.query_one("#churn-detail-fields", Static).update(str(error))
            return
        customer = Customer.get_by_id(alert.customer_id)
        manager = User.get_by_id(customer.manager_id)
        self.query_one("#churn-detail-title", Static).update(
            Text(t("churn.detail.title", customer=customer.name)))
        self.query_one("#churn-detail-fields", Static).update(_fields_text(alert, customer, manager))
        self.query_one("#churn-detail-measures", Static).update(_measures_text(alert))
        self.refresh_allowed()


def _fields_text(alert: ChurnAlert, customer: Customer, manager: User) -> Text:
    rows = [("churn.detail.customer", f"{customer.name}  {customer.number}"),
            ("churn.detail.manager", manager.display_name),
            ("churn.detail.last_order", date_text(alert.last_order_date)),
            ("churn.detail.status", status_text(alert.status)),
            ("churn.detail.created", moment_text(alert.created_at))]
    if alert.status == churn.CONFIRMED:
        rows += [("churn.detail.lost_date", str(alert.lost_date)),
                 ("churn.detail.reason", alert.reason)]
    if alert.status == churn.CLOSED:
        note_key = f"churn.closed_note.{alert.closed_note}"
        note = t(note_key) if t(note_key) != note_key else alert.closed_note
        rows.append(("churn.detail.closed", f"{moment_text(alert.closed_at)}  {note}"))
    text = Text()
    for label_key, value in rows:
        text.append(f"{t(label_key)}: ", style="bold")
        text.append(f"{value}\n")
    return text


def _measures_text(alert: ChurnAlert) -> Text:
    measures = list(alert.measures_in_order())
    if not measures:
        return Text(t("churn.detail.no_measures"))
    text = Text()
    for measure in measures:
        author = measure.author.display_name if measure.author_id else t("churn.detail.unknown_author")
        text.append(f"{moment_text(measure.created_at)}  {author}\n", style="bold")
        for line in measure.text.splitlines() or [""]:
            text.append(f"  {line}\n")
    return text


# ----- the app's periodic scan ------------------------------------------------

class ChurnCheck:
    """Runs the churn scan every churn.check_interval_minutes in a thread
    worker, and tells the signed-in user when new alerts concern their
    customers (raised by this scan or by any other since the last look)."""

    def __init__(self, app: App):
        self.app = app
        self.seen_until = clock.now()
        self.timer = None

    def start(self) -> None:
        minutes = self.app.config.churn.check_interval_minutes
        if minutes > 0 and self.timer is None:
            self.timer = self.app.set_interval(minutes * 60, self.run)

    def run(self) -> Worker:
        return self.app.run_worker(self._scan_and_tell, name="churn-scan", group="churn-scan",
                                   thread=True, exclusive=True, exit_on_error=False)

    def _scan_and_tell(self) -> None:
        app = self.app
        try:
            with connected():
                churn.run_scan(churn.APP, app.config.churn.months_without_orders,
                               app.config.churn.grace_days)
                user = app.user
                if user is None or getattr(app, "locked", False):
                    return  # told after signing in or unlocking
                now = clock.now()
                count = new_alerts_since(user, self.seen_until).count()
        except Exception as error:  # shown, never a crash of the app
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            app.call_from_thread(app.notify, t("churn.notify.failed", message=message),
                                 title=t("churn.notify.title"), severity="error")
            return
        self.seen_until = now
        if count:
            app.call_from_thread(app.notify, t("churn.notify.new", count=count),
                                 title=t("churn.notify.title"), severity="warning", timeout=30)


def start_churn_timer(app: App) -> ChurnCheck:
    """Start the app's churn check once (config churn.check_interval_minutes;
    0 leaves it off). Call when a user has signed in."""
    check = getattr(app, "churn_check", None)
    if check is None:
        check = ChurnCheck(app)
        app.churn_check = check
    check.start()
    return check

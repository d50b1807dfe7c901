"""Customer service (服务管理): the service list by state, one service with
its whole history, and the archive (服务归档).

As on the marketing screens, an action's key shows in the footer only when
the signed-in user may take it on the service under the cursor (the model
answers: `can_assign`, `can_delete`, `can_handle`, `can_feedback`) and the
model checks again when saving.
"""
from __future__ import annotations

from peewee import SQL
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from crm_tui.i18n import t
from crm_tui.models import permissions as perm
from crm_tui.models.customers import Customer
from crm_tui.models.dictionary import DictionaryEntry
from crm_tui.models.errors import CrmError
from crm_tui.models.service import (ARCHIVED, ASSIGN_FIELDS, FEEDBACK_FIELDS, HANDLE_FIELDS,
                                    SERVICE_STATUSES, Service, archive_query, service_fields,
                                    service_list_query, status_label)
from crm_tui.screens.record_actions import (RecordActions, RecordList, WatchedTable, day_text,
                                            moment_text, user_name)
from crm_tui.widgets.lazy_table import Column, LazyTable, QuerySource

# The state filter of the list, in the order "t" steps through it.
STATE_FILTERS: tuple[str | None, ...] = (None, *SERVICE_STATUSES)

SERVICE_COLUMNS = [
    Column("created_at", "service.column.created", 10, Service.created_at, format=day_text),
    Column("customer_name", "service.customer", 14, SQL("customer_name")),
    Column("summary", "service.summary", 22, Service.summary),
    Column("type_name", "service.column.type", 4, SQL("type_name")),
    Column("status", "service.status", 8, Service.status, format=status_label),
    Column("assignee_name", "service.assigned_to", 8, SQL("assignee_name")),
]
ARCHIVE_COLUMNS = [
    Column("created_at", "service.column.created", 10, Service.created_at, format=day_text),
    Column("archived_at", "service.column.archived", 10, Service.archived_at, format=day_text),
    Column("customer_name", "service.customer", 14, SQL("customer_name")),
    Column("summary", "service.summary", 22, Service.summary),
    Column("type_name", "service.column.type", 4, SQL("type_name")),
    Column("satisfaction", "service.column.satisfaction", 6, Service.satisfaction),
    Column("assignee_name", "service.assigned_to", 8, SQL("assignee_name")),
]

ACTION_BINDINGS = [
    Binding("a", "assign", t("service.action.assign"), id="service.assign"),
    Binding("d", "delete", t("service.action.delete"), id="service.delete"),
    Binding("h", "handle", t("service.action.handle"), id="service.handle"),
    Binding("f", "feedback", t("service.action.feedback"), id="service.feedback"),
]


class ServiceActions(RecordActions):
    """Assign, delete, handle and feedback on the service a screen points at;
    shared by the list and the detail screen."""

    ACTIONS = {"assign", "delete", "handle", "feedback"}

    def selected_service_id(self) -> int | None:
        raise NotImplementedError

    def service_deleted(self) -> None:
        self.record_changed()

    def selected(self) -> Service | None:
        service_id = self.selected_service_id()
        if service_id is None:
            return None
        return Service.visible_to(self.app.user).where(Service.id == service_id).first()

    def allowed_actions(self) -> set[str]:
        service, user = self.selected(), self.app.user
        if service is None:
            return set()
        checks = {"assign": service.can_assign, "delete": service.can_delete,
                  "handle": service.can_handle, "feedback": service.can_feedback}
        return {action for action, allowed in checks.items() if allowed(user)}

    def action_assign(self) -> None:
        service, user = self.selected(), self.app.user
        if service is None:
            return
        self.open_form(t("service.assign_title", summary=service.summary), ASSIGN_FIELDS, {},
                       lambda values: service.assign_by(user, values.get("manager")),
                       "service.assigned")

    def action_delete(self) -> None:
        service, user = self.selected(), self.app.user
        if service is None:
            return
        self.ask_then_run(t("service.delete_question", summary=service.summary),
                          lambda: service.delete_by(user), t("service.deleted"),
                          then=self.service_deleted)

    def action_handle(self) -> None:
        service, user = self.selected(), self.app.user
        if service is None:
            return
        self.open_form(t("service.handle_title", summary=service.summary), HANDLE_FIELDS, {},
                       lambda values: service.handle_by(user, values), "service.handled")

    def action_feedback(self) -> None:
        service, user = self.selected(), self.app.user
        if service is None:
            return

        def done(result: Service) -> str:
            return t("service.archived" if result.status == ARCHIVED else "service.sent_back")

        self.open_form(t("service.feedback_title", summary=service.summary), FEEDBACK_FIELDS, {},
                       lambda values: service.feedback_by(user, values), done)


class ServiceListScreen(RecordList, ServiceActions, Screen):
    """服务管理: the services the user may see, newest first, all or in one
    state ("t" steps through them); filter ("/") by customer, summary, type
    or date."""

    ACTIONS = ServiceActions.ACTIONS | {"new"}
    BINDINGS = [
        Binding("n", "new", t("service.action.new"), id="service.new"),
        *ACTION_BINDINGS,
        Binding("t", "next_state", t("service.action.state"), id="service.state"),
    ]

    def __init__(self, status: str | None = None):
        super().__init__()
        self.status = status

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(
            lambda text: service_list_query(user, self.status, text).order_by(Service.id.desc()),
            SERVICE_COLUMNS)
        yield Static("", id="service-title", classes="screen-title")
        yield WatchedTable(source, id="service-table")
        yield Footer()

    def on_mount(self) -> None:
        self.show_title()
        self.table.focus()
        self.refresh_allowed()

    def record_screen(self, record_id: int) -> Screen:
        return ServiceDetailScreen(record_id)

    def show_title(self) -> None:
        state = status_label(self.status) if self.status else t("service.all_states")
        self.query_one("#service-title", Static).update(Text(t("service.title", state=state)))

    def selected_service_id(self) -> int | None:
        return self.table.current_row_id

    def allowed_actions(self) -> set[str]:
        allowed = super().allowed_actions()
        if self.app.user.has_perm(perm.SERVICE_CREATE):
            allowed.add("new")
        return allowed

    def action_next_state(self) -> None:
        position = STATE_FILTERS.index(self.status)
        self.status = STATE_FILTERS[(position + 1) % len(STATE_FILTERS)]
        self.show_title()
        self.record_changed()

    def action_new(self) -> None:
        user = self.app.user
        self.open_form(t("service.new_title"), service_fields(user), {},
                       lambda values: Service.create_by(user, values), "service.created")


class ServiceArchiveScreen(Screen):
    """服务归档: archived services, read only; filter ("/") by customer,
    summary, type or a date (2026, 2026-06 or 2026-06-03)."""

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(
            lambda text: archive_query(user, text).order_by(Service.archived_at.desc()),
            ARCHIVE_COLUMNS)
        yield Static(t("service.archive_title"), classes="screen-title")
        yield LazyTable(source, id="archive-table")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(LazyTable).focus()

    @on(LazyTable.RowChosen)
    def _open(self, message: LazyTable.RowChosen) -> None:
        if message.row_id is not None:
            self.app.push_screen(ServiceDetailScreen(message.row_id))


class CustomerServicesPane(Widget):
    """A customer's services, newest first (a tab of the customer screen);
    Enter opens one with its history and the actions the user may take."""

    def __init__(self, customer_id: int):
        super().__init__(classes="customer-pane")
        self.customer_id = customer_id

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(
            lambda text: (service_list_query(user, None, text)
                          .where(Service.customer == self.customer_id)
                          .order_by(Service.id.desc())),
            SERVICE_COLUMNS)
        yield LazyTable(source, id="customer-service-table")

    def focus_main(self) -> None:
        self.query_one(LazyTable).focus()

    @on(LazyTable.RowChosen)
    def _open(self, message: LazyTable.RowChosen) -> None:
        message.stop()
        if message.row_id is not None:
            self.app.push_screen(ServiceDetailScreen(message.row_id))


class ServiceDetailScreen(ServiceActions, Screen):
    """One service: its fields and its whole history, every assignment,
    handling and feedback in the order they happened."""

    BINDINGS = ACTION_BINDINGS

    def __init__(self, service_id: int):
        super().__init__()
        self.service_id = service_id

    def compose(self) -> ComposeResult:
        yield Static("", id="service-detail-title", classes="screen-title")
        with VerticalScroll(id="service-detail-body", can_focus=True):
            yield Static("", id="service-detail-fields")
            yield Static(t("service.history"), classes="section-title")
            yield Static("", id="service-detail-history")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#service-detail-body").focus()
        self.record_changed()

    def selected_service_id(self) -> int | None:
        return self.service_id

    def record_changed(self) -> None:
        try:
            service = Service.get_visible(self.app.user, self.service_id)
        except CrmError as error:
            self.query_one("#service-detail-fields", Static).update(str(error))
            self.query_one("#service-detail-history", Static).update("")
        else:
            self.query_one("#service-detail-title", Static).update(Text(t(
                "service.detail_title", summary=service.summary,
                status=status_label(service.status))))
            self.query_one("#service-detail-fields", Static).update(fields_text(service))
            self.query_one("#service-detail-history", Static).update(history_text(service))
        self.refresh_allowed()

    def service_deleted(self) -> None:
        self.dismiss()


def fields_text(service: Service) -> Text:
    customer = Customer.get_by_id(service.customer_id)
    service_type = DictionaryEntry.get_or_none(DictionaryEntry.id == service.type_id)
    rows = [
        ("service.customer", f"{customer.name}  {customer.number}"),
        ("service.type", service_type.item if service_type else ""),
        ("service.status", status_label(service.status)),
        ("service.created_by", f"{user_name(service.created_by_id)}  "
                               f"{moment_text(service.created_at)}"),
        ("service.assigned_to", f"{user_name(service.assigned_to_id)}  "
                                f"{moment_text(service.assigned_at)}"),
        ("service.request", service.request),
    ]
    if service.status == ARCHIVED:
        rows += [("service.satisfaction", str(service.satisfaction)),
                 ("service.archived_at", moment_text(service.archived_at))]
    text = Text()
    for label_key, value in rows:
        text.append(f"{t(label_key)}: ", style="bold")
        text.append(f"{value.strip()}\n")
    text.rstrip()
    return text


def history_text(service: Service) -> Text:
    """Each event: when, what, who; then its text (and the satisfaction)."""
    text = Text()
    for event in service.history():
        author = event.actor.display_name if event.actor_id else ""
        heading = f"{moment_text(event.at)}  {t('service.event.' + event.kind)}  {author}"
        if event.satisfaction is not None:
            heading += "  " + t("service.event.satisfaction", value=event.satisfaction)
        text.append(heading + "\n", style="bold")
        for line in event.text.splitlines() or [""]:
            text.append(f"  {line}\n")
    text.rstrip()
    return text

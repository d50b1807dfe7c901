"""The audit log (审计日志): who changed what, and when.

Filters on top (user, table, from, to; Enter applies a date), "/" searches
the field and the old and new values. The newest change comes first.
"""
from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Label, Select, Static

from crm_tui.i18n import t
from crm_tui.models import admin
from crm_tui.models.audit import AuditLog
from crm_tui.models import permissions as perm
from crm_tui.models.errors import CrmError, ValidationError
from crm_tui.models.users import User
from crm_tui.models.validation import Field, clean
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.lazy_table import Column, LazyTable
from crm_tui.widgets.query_source import QuerySource
from crm_tui.widgets.plain import plain_content

DATE_FILTERS = (Field("date_from", "audit.date_from", kind="date"),
                Field("date_to", "audit.date_to", kind="date"))


def _moment(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


COLUMNS = [
    Column("at", "audit.at", 16, AuditLog.at, format=_moment),
    Column("actor_login", "audit.actor", 8, User.login,
           format=lambda login: login or t("audit.shell")),
    Column("table_name", "audit.table", 9, AuditLog.table_name, max_width=16),
    Column("row_id", "audit.row", 5, AuditLog.row_id),
    Column("action", "audit.action", 6, AuditLog.action, max_width=10),
    Column("field", "audit.field", 9, AuditLog.field, max_width=16),
    # Together 78 cells: the old and new values take what a wider terminal adds.
    Column("old", "audit.old", 9, AuditLog.old, max_width=60),
    Column("new", "audit.new", 9, AuditLog.new, max_width=60),
]


class AuditScreen(Screen):
    BINDINGS = [
        Binding("u", "focus_filter('#audit-user')", "audit.user", id="audit.user"),
        Binding("g", "focus_filter('#audit-table-name')", "audit.table", id="audit.table"),
        Binding("f", "focus_filter('#audit-date_from')", "audit.dates", id="audit.dates"),
        Binding("z", "undo", "undo.key", id="audit.undo"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filters: dict[str, Any] = {"user_id": None, "table": "", "date_from": None,
                                        "date_to": None}

    def compose(self) -> ComposeResult:
        actor = self.app.user
        yield Static(t("audit.title"), classes="screen-title")
        with Horizontal(classes="admin-filters"):
            yield Select([(plain_content(user.login, multiline=False), user.id)
                          for user in User.select().order_by(User.login)],
                         prompt=t("audit.all_users"), id="audit-user")
            yield Select([(plain_content(name, multiline=False), name)
                          for name in admin.audit_tables(actor)],
                         prompt=t("audit.all_tables"), id="audit-table-name")
            yield Label(t("audit.date_from"))
            yield Input(id="audit-date_from", classes="report-date audit-date", max_length=10,
                        placeholder="YYYY-MM-DD")
            yield Label(t("audit.date_to"))
            yield Input(id="audit-date_to", classes="report-date audit-date", max_length=10,
                        placeholder="YYYY-MM-DD")
        source = QuerySource(lambda text: admin.audit_query(actor, text=text, **self.filters),
                             COLUMNS)
        yield LazyTable(source, id="audit-log", openable=False)
        yield CrmFooter()

    def on_mount(self) -> None:
        self.table.focus()

    @property
    def table(self) -> LazyTable:
        return self.query_one("#audit-log", LazyTable)

    def action_undo(self) -> None:
        """Undo the change of the row under the cursor (models/undo.py says who may)."""
        from crm_tui.screens.undo import ask_undo_row

        row_id = self.table.current_row_id
        if row_id is not None:
            ask_undo_row(self.app, row_id, after=self.table.reload)

    def action_focus_filter(self, selector: str) -> None:
        self.query_one(selector).focus()

    @on(Select.Changed, "#audit-user")
    def _user_changed(self, event: Select.Changed) -> None:
        self.filters["user_id"] = None if event.value is Select.NULL else event.value
        self.table.reload()

    @on(Select.Changed, "#audit-table-name")
    def _table_changed(self, event: Select.Changed) -> None:
        self.filters["table"] = "" if event.value is Select.NULL else event.value
        self.table.reload()

    @on(Input.Submitted, ".audit-date")
    def _dates_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        values = {field.name: self.query_one(f"#audit-{field.name}", Input).value
                  for field in DATE_FILTERS}
        try:
            dates = clean(DATE_FILTERS, values)
        except ValidationError as error:
            self.notify("; ".join(f"{t('audit.' + name)}: {message}"
                                  for name, message in error.errors.items()),
                        severity="error")
            return
        self.filters.update(dates)
        self.table.reload()
        self.table.focus()


__all__ = ["AuditScreen"]

"""Customer service (服务管理): a request from creation to archive.

States: new → assigned → handled → archived, or from handled back to
assigned when the customer is not satisfied (satisfaction < 3). Every
creation, assignment, handling and feedback is kept as a `ServiceEvent`, so
a service sent back for handling again keeps its whole history.

Every transition is one method: it checks the actor's right and the current
state, then writes with a conditional UPDATE (status and version as read)
and an audit row, in one transaction.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

from peewee import JOIN, SQL, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.base import BaseModel, database
from crm_tui.models.customers import (Customer, active_manager, customer_text_contains,
                                      customer_text_match, manager_choices)
from crm_tui.models.dictionary import SERVICE_TYPE, DictionaryEntry
from crm_tui.models.errors import PermissionDenied, ValidationError
from crm_tui.models.filters import dictionary_match, user_match
from crm_tui.models.kinds import (CHOICE, DATE, LOOKUP, NUMBER, TEXT, Action, Column, FilterField,
                                  RecordKind, Transitions, day_text, labelled_choices, moment_text,
                                  register, user_name)
from crm_tui.models.users import User, require, scoped
from crm_tui.models.validation import Field, clean
from crm_tui.models.workflow import StateMachine, Visible, record_id

NEW, ASSIGNED, HANDLED, ARCHIVED = "new", "assigned", "handled", "archived"
SERVICE_STATUSES = (NEW, ASSIGNED, HANDLED, ARCHIVED)
# The kinds of ServiceEvent.
CREATED, ASSIGNMENT, HANDLING, FEEDBACK = "create", "assign", "handle", "feedback"
# Satisfaction from this value up archives a service; below, it goes back.
SATISFIED = 3

# The state graph: (from, action, to); None: the service is deleted.
SERVICE_TRANSITIONS = Transitions([
    (NEW, "assign", ASSIGNED),
    (NEW, "delete", None),
    (ASSIGNED, "handle", HANDLED),
    (HANDLED, "feedback", ARCHIVED),   # satisfied
    (HANDLED, "feedback", ASSIGNED),   # not satisfied: handled again
])


def status_label(status: str) -> str:
    return t(f"service.status.{status}")


SERVICE_FIELDS = (
    Field("type", "service.type", kind="choice", required=True,
          choices=lambda: DictionaryEntry.choices(SERVICE_TYPE)),
    Field("summary", "service.summary", required=True, max_length=200),
    # The choices depend on who creates the service: see service_fields().
    Field("customer", "service.customer", kind="choice", required=True),
    Field("request", "service.request", required=True, max_length=2000, multiline=True),
)
ASSIGN_FIELDS = (
    Field("manager", "service.assigned_to", kind="choice", required=True,
          choices=manager_choices),
)
HANDLE_FIELDS = (
    Field("handling", "service.handling", required=True, max_length=2000, multiline=True),
)
FEEDBACK_FIELDS = (
    Field("result", "service.result", required=True, max_length=2000, multiline=True),
    Field("satisfaction", "service.satisfaction", kind="int", required=True,
          minimum=1, maximum=5),
)


def service_fields(user: User) -> tuple[Field, ...]:
    """The create form for `user`: customers to pick from are theirs to see."""
    def customers() -> list[tuple[int, str]]:
        query = (Customer.visible_to(user).select(Customer.id, Customer.name)
                 .order_by(Customer.name))
        return [(customer_id, name) for customer_id, name in query.tuples()]

    return tuple(replace(field, choices=customers) if field.name == "customer" else field
                 for field in SERVICE_FIELDS)


class Service(Visible, StateMachine, BaseModel):
    type = ForeignKeyField(DictionaryEntry, backref="+", on_delete="RESTRICT")
    summary = CharField(max_length=200)
    customer = ForeignKeyField(Customer, backref="services", on_delete="RESTRICT")
    request = TextField()
    status = CharField(max_length=10, default=NEW, index=True)
    created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField(default=clock.now, index=True)
    assigned_to = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    assigned_at = DateTimeField(null=True)
    # The latest round; earlier rounds are in the events.
    handling = TextField(default="")
    handled_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    handled_at = DateTimeField(null=True)
    result = TextField(default="")
    satisfaction = IntegerField(null=True)
    archived_at = DateTimeField(null=True)
    version = IntegerField(default=1)

    # Refusals read "service.error.<action>" with the state's label.
    i18n_prefix = "service"
    status_label = staticmethod(status_label)
    transitions = SERVICE_TRANSITIONS

    def __str__(self) -> str:
        return self.summary

    # ----- scope -------------------------------------------------------
    @classmethod
    def visible_to(cls, user: User | None):
        """Services `user` may see: all with service.view_all, else those of
        their customers or assigned to them; nothing for an unknown role."""
        def own_services(own: User):
            own_customers = Customer.select(Customer.id).where(Customer.manager == own.id)
            return cls.customer.in_(own_customers) | (cls.assigned_to == own.id)

        return scoped(cls.select(), user, perm.SERVICE_VIEW_ALL,
                      {perm.SERVICE_CREATE, perm.SERVICE_HANDLE, perm.SERVICE_FEEDBACK},
                      own_services)

    def history(self):
        """Every event of this service in the order they happened."""
        return (ServiceEvent.select(ServiceEvent, User)
                .join(User, JOIN.LEFT_OUTER, on=(ServiceEvent.actor == User.id))
                .where(ServiceEvent.service == self.id)
                .order_by(ServiceEvent.id))

    # ----- what an actor may do (the record kind's actions ask these) -
    def _check_assignable_by(self, actor: User, action: str = "assign") -> None:
        require(actor, perm.SERVICE_ASSIGN)
        self._check_state(action)

    def _check_handleable_by(self, actor: User) -> None:
        require(actor, perm.SERVICE_HANDLE)
        self._check_state("handle")
        if self.assigned_to_id != actor.id:
            raise PermissionDenied(t("service.error.not_assignee"))

    def _check_feedback_by(self, actor: User) -> None:
        require(actor, perm.SERVICE_FEEDBACK)
        if not Service.visible_to(actor).where(Service.id == self.id).exists():
            raise PermissionDenied(t("service.error.not_yours"))
        self._check_state("feedback")

    # ----- writes ------------------------------------------------------
    @classmethod
    def create_by(cls, actor: User, values: dict[str, Any]) -> "Service":
        """3.1: a new service for one of the actor's customers."""
        require(actor, perm.SERVICE_CREATE)
        data = clean(SERVICE_FIELDS, values)
        errors = {}
        type_id = record_id(data["type"])
        if not DictionaryEntry.select().where((DictionaryEntry.id == type_id)
                                              & (DictionaryEntry.type == SERVICE_TYPE)).exists():
            errors["type"] = t("error.not_a_choice")
        customer_id = record_id(data["customer"])
        if not Customer.visible_to(actor).where(Customer.id == customer_id).exists():
            errors["customer"] = t("error.not_a_choice")
        if errors:
            raise ValidationError(errors)
        now = clock.now()
        with database.atomic():
            service = cls.create(type=type_id, summary=data["summary"], customer=customer_id,
                                 request=data["request"], status=NEW, created_by=actor.id,
                                 created_at=now)
            ServiceEvent.create(service=service.id, kind=CREATED, actor=actor.id, at=now,
                                text=data["request"])
            audit.record(actor, "service", service.id, audit.CREATE)
        return service

    def assign_by(self, actor: User, manager: User | int | str) -> "Service":
        """3.2: a supervisor gives a new service to an active account manager."""
        self._check_assignable_by(actor)
        assignee = active_manager(manager)
        now = clock.now()
        with database.atomic():
            self._change_state("assign", {"status": ASSIGNED, "assigned_to": assignee.id,
                                               "assigned_at": now})
            ServiceEvent.create(service=self.id, kind=ASSIGNMENT, actor=actor.id, at=now,
                                text=assignee.display_name)
            audit.record(actor, "service", self.id, "assign",
                         {"status": (self.status, ASSIGNED), "assigned_to": (None, assignee.id)})
        return Service.get_by_id(self.id)

    def delete_by(self, actor: User) -> None:
        """3.2: a supervisor deletes a service still new."""
        self._check_assignable_by(actor, "delete")
        with database.atomic():
            self._delete_in_state("delete")
            audit.record(actor, "service", self.id, audit.DELETE, {"summary": (self.summary, "")})

    def handle_by(self, actor: User, values: dict[str, Any]) -> "Service":
        """3.3: the assigned account manager records the handling."""
        self._check_handleable_by(actor)
        data = clean(HANDLE_FIELDS, values)
        now = clock.now()
        with database.atomic():
            self._change_state("handle",
                               {"status": HANDLED, "handling": data["handling"],
                                "handled_by": actor.id, "handled_at": now},
                               Service.assigned_to == actor.id)
            ServiceEvent.create(service=self.id, kind=HANDLING, actor=actor.id, at=now,
                                text=data["handling"])
            audit.record(actor, "service", self.id, "handle",
                         {"status": (self.status, HANDLED), "handling": (self.handling,
                                                                          data["handling"])})
        return Service.get_by_id(self.id)

    def feedback_by(self, actor: User, values: dict[str, Any]) -> "Service":
        """3.4: the customer's verdict. Satisfied (>= 3): archived; otherwise
        back to assigned, to be handled again."""
        self._check_feedback_by(actor)
        data = clean(FEEDBACK_FIELDS, values)
        satisfied = data["satisfaction"] >= SATISFIED
        now = clock.now()
        new_status = ARCHIVED if satisfied else ASSIGNED
        with database.atomic():
            self._change_state("feedback",
                               {"status": new_status, "result": data["result"],
                                "satisfaction": data["satisfaction"],
                                "archived_at": now if satisfied else None})
            ServiceEvent.create(service=self.id, kind=FEEDBACK, actor=actor.id, at=now,
                                text=data["result"], satisfaction=data["satisfaction"])
            audit.record(actor, "service", self.id, "feedback",
                         {"status": (self.status, new_status),
                          "satisfaction": (self.satisfaction, data["satisfaction"])})
        return Service.get_by_id(self.id)


class ServiceEvent(BaseModel):
    service = ForeignKeyField(Service, backref="events", on_delete="CASCADE")
    # create, assign, handle or feedback
    kind = CharField(max_length=10)
    actor = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    at = DateTimeField(default=clock.now)
    # create: the request; assign: the assignee's name; handle: the
    # handling; feedback: the result.
    text = TextField(default="")
    satisfaction = IntegerField(null=True)


# ----- lists -------------------------------------------------------------
_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^\d{4}-\d{1,2}$")
_DAY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def _date_range(text: str) -> tuple[dt.datetime, dt.datetime] | None:
    """The period a search text names (2026, 2026-11 or 2026-11-24), if any."""
    try:
        if _DAY.match(text):
            year, month, day = map(int, text.split("-"))
            start = dt.datetime(year, month, day)
            return start, start + dt.timedelta(days=1)
        if _MONTH.match(text):
            year, month = map(int, text.split("-"))
            start = dt.datetime(year, month, 1)
            return start, dt.datetime(year + month // 12, month % 12 + 1, 1)
        if _YEAR.match(text):
            year = int(text)
            return dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)
    except ValueError:
        return None
    return None


def service_list_query(user: User, status: str | None = None, search: str = ""):
    """Services visible to `user` (in `status`, if given), with type,
    customer and assignee names; `search` matches the customer, summary,
    type, or a date (YYYY, YYYY-MM, YYYY-MM-DD) of creation or archiving."""
    service_type = DictionaryEntry.alias("service_type")
    assignee = User.alias("assignee")
    query = (Service.visible_to(user)
             .select_extend(service_type.item.alias("type_name"),
                            Customer.name.alias("customer_name"),
                            assignee.display_name.alias("assignee_name"))
             .join_from(Service, service_type, JOIN.INNER, on=(Service.type == service_type.id))
             .join_from(Service, Customer, JOIN.INNER, on=(Service.customer == Customer.id))
             .join_from(Service, assignee, JOIN.LEFT_OUTER,
                        on=(Service.assigned_to == assignee.id)))
    if status:
        query = query.where(Service.status == status)
    # The joined names become attributes of each Service row.
    query = query.objects()
    search = search.strip()
    if search:
        matches = (Customer.name.contains(search) | Service.summary.contains(search)
                   | service_type.item.contains(search))
        period = _date_range(search)
        if period:
            start, end = period
            matches |= ((Service.created_at >= start) & (Service.created_at < end)) | (
                (Service.archived_at >= start) & (Service.archived_at < end))
        query = query.where(matches)
    return query


def archive_query(user: User, search: str = ""):
    """3.5: the archived services `user` may see, searchable."""
    return service_list_query(user, ARCHIVED, search)


# ----- the record kind -----------------------------------------------------
def _service_rows(service: Service) -> list[tuple[str, Any]]:
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
        rows += [("service.satisfaction", service.satisfaction),
                 ("service.archived_at", moment_text(service.archived_at))]
    return rows


def _service_history(service: Service) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """Each event: when, what, who (and the satisfaction); then its text."""
    entries = []
    for event in service.history():
        author = event.actor.display_name if event.actor_id else ""
        heading = f"{moment_text(event.at)}  {t('service.event.' + event.kind)}  {author}"
        if event.satisfaction is not None:
            heading += "  " + t("service.event.satisfaction", value=event.satisfaction)
        entries.append((heading, event.text.splitlines() or [""]))
    return [("service.history", entries)]


def _services_query(user: User, search: str, within: dict[str, Any]):
    query = service_list_query(user, within.get("status"), search)
    if within.get("parent") is not None:
        query = query.where(Service.customer == within["parent"])
    return query.order_by(Service.id.desc())


def _archive_query(user: User, search: str, within: dict[str, Any]):
    return archive_query(user, search).order_by(Service.archived_at.desc())


def _feedback_done(service: Service) -> str:
    return t("service.archived" if service.status == ARCHIVED else "service.sent_back")


SERVICE_COLUMNS = [
    Column("created_at", "service.column.created", 10, Service.created_at, format=day_text),
    Column("customer_name", "service.customer", 14, SQL("customer_name")),
    Column("summary", "service.summary", 22, Service.summary, max_width=80),
    Column("type_name", "service.column.type", 4, SQL("type_name")),
    Column("status", "service.status", 8, Service.status, format=status_label),
    Column("assignee_name", "service.assigned_to", 8, SQL("assignee_name")),
]

def _service_word(word: str):
    """A free word of a service filter: its customer, summary or type, or a
    day, month or year (2026-03-05, 2026-03, 2026) it was created or archived."""
    matches = (customer_text_contains(word) | Service.summary.contains(word)
               | dictionary_match(Service.type, SERVICE_TYPE)(":", word))
    period = _date_range(word)
    if period:
        start, end = period
        matches |= ((Service.created_at >= start) & (Service.created_at < end)) | (
            (Service.archived_at >= start) & (Service.archived_at < end))
    return matches


SERVICE_FILTERS = (
    FilterField("customer", ("客户",), TEXT, Customer.name, match=customer_text_match("name")),
    FilterField("summary", ("概要",), TEXT, Service.summary),
    FilterField("request", ("服务请求", "请求"), TEXT, Service.request),
    FilterField("type", ("类型", "服务类型"), LOOKUP, match=dictionary_match(Service.type, SERVICE_TYPE)),
    FilterField("status", ("状态",), CHOICE, Service.status,
                choices=labelled_choices(SERVICE_STATUSES, "service.status.")),
    FilterField("assignee", ("处理人", "指派给"), LOOKUP, match=user_match(Service.assigned_to)),
    FilterField("creator", ("创建人",), LOOKUP, match=user_match(Service.created_by)),
    FilterField("created", ("创建", "创建时间"), DATE, Service.created_at),
    FilterField("archived", ("归档", "归档时间"), DATE, Service.archived_at),
    FilterField("satisfaction", ("满意度",), NUMBER, Service.satisfaction),
)

SERVICE = register(RecordKind(
    name="service", title="service.title", columns=SERVICE_COLUMNS,
    query=_services_query, get=Service.get_visible, opens="service", parent="customer",
    filters=SERVICE_FILTERS, search=_service_word,
    status_filters=SERVICE_STATUSES, status_label=status_label,
    transitions=SERVICE_TRANSITIONS,
    words=lambda service: {"summary": service.summary},
    heading=lambda service: t("service.detail_title", summary=service.summary,
                              status=status_label(service.status)),
    rows=_service_rows, sections=_service_history,
    actions=[
        Action("new", "n", "service.action.new", on_row=False,
               check=lambda _parent, actor: require(actor, perm.SERVICE_CREATE),
               form=lambda _parent, actor: service_fields(actor),
               title="service.new_title", done="service.created",
               run=lambda _parent, actor, values: Service.create_by(actor, values)),
        Action("assign", "a", "service.action.assign",
               check=lambda service, actor: service._check_assignable_by(actor),
               form=lambda _service, _actor: ASSIGN_FIELDS,
               title="service.assign_title", done="service.assigned",
               run=lambda service, actor, values: service.assign_by(actor, values.get("manager"))),
        Action("handle", "h", "service.action.handle",
               check=lambda service, actor: service._check_handleable_by(actor),
               form=lambda _service, _actor: HANDLE_FIELDS,
               title="service.handle_title", done="service.handled",
               run=lambda service, actor, values: service.handle_by(actor, values)),
        Action("feedback", "f", "service.action.feedback",
               check=lambda service, actor: service._check_feedback_by(actor),
               form=lambda _service, _actor: FEEDBACK_FIELDS,
               title="service.feedback_title", done=_feedback_done,
               run=lambda service, actor, values: service.feedback_by(actor, values)),
        Action("delete", "d", "service.action.delete", leaves=True,
               check=lambda service, actor: service._check_assignable_by(actor, "delete"),
               ask="service.delete_question", done="service.deleted",
               run=lambda service, actor, _values: service.delete_by(actor)),
    ],
))

ARCHIVE_COLUMNS = [
    Column("created_at", "service.column.created", 10, Service.created_at, format=day_text),
    Column("archived_at", "service.column.archived", 10, Service.archived_at, format=day_text),
    Column("customer_name", "service.customer", 14, SQL("customer_name")),
    Column("summary", "service.summary", 22, Service.summary, max_width=80),
    Column("type_name", "service.column.type", 4, SQL("type_name")),
    Column("satisfaction", "service.column.satisfaction", 6, Service.satisfaction),
    Column("assignee_name", "service.assigned_to", 8, SQL("assignee_name")),
]

# 服务归档: archived services, read only; Enter opens the service.
SERVICE_ARCHIVE = register(RecordKind(
    name="service_archive", title="service.archive_title", columns=ARCHIVE_COLUMNS,
    query=_archive_query, get=Service.get_visible, opens="service", changes=(),
    filters=SERVICE_FILTERS, search=_service_word))

"""Churn alerts (客户流失预警), the measures taken on them, and the worker's
run log.

At most one open alert per customer is guaranteed by the database itself:
a partial unique index on (customer) over the open states, so no number of
scans or workers running at once can add a second. The scan inserts with
ON CONFLICT DO NOTHING against that index, so a scan that loses the race
adds nothing and does not fail.

States: 预警 warning -> 暂缓流失 deferred (a measure appended; more may
follow) -> 确认流失 confirmed (a reason; the customer becomes lost). An open
alert whose customer orders again is closed by the next scan, kept with the
time and a note.
"""
from __future__ import annotations

import calendar
import datetime as dt
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from peewee import (JOIN, SQL, Case, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField,
                    Table, TextField, Value, fn)

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.base import BaseModel, database, is_postgres, sales_database
from crm_tui.models.contracts import IN_FORCE, Contract
from crm_tui.models.customers import (LOST, NORMAL, Customer, customer_text_contains,
                                      customer_text_match)
from crm_tui.models.errors import InvalidTransition, PermissionDenied
from crm_tui.models.filters import user_match
from crm_tui.models.kinds import (CHOICE, DATE, LOOKUP, TEXT, Action, Column, FilterField,
                                  RecordKind, Transitions, labelled_choices, moment_text, register,
                                  user_name)
from crm_tui.models.sales_system import COUNTED_STATUSES, Order
from crm_tui.models.users import User, require, scoped
from crm_tui.models.validation import Field, clean
from crm_tui.models.workflow import Visible, update_as_read

WARNING, DEFERRED, CONFIRMED, CLOSED = "warning", "deferred", "confirmed", "closed"
OPEN_STATUSES = (WARNING, DEFERRED)
# What an account manager can do on an open alert of their customer.
DEFER, CONFIRM = "defer", "confirm"
ALERT_STATUSES = (WARNING, DEFERRED, CONFIRMED, CLOSED)
# The state graph: (from, action, to). A scan closes an open alert when
# the customer ordered again or is no longer normal.
CHURN_TRANSITIONS = Transitions([
    (WARNING, DEFER, DEFERRED), (DEFERRED, DEFER, DEFERRED),
    (WARNING, CONFIRM, CONFIRMED), (DEFERRED, CONFIRM, CONFIRMED),
    (WARNING, "close", CLOSED), (DEFERRED, "close", CLOSED),
])

# closed_note values written by the scan; the screen translates them.
ORDERED_AGAIN = "ordered_again"
CUSTOMER_NOT_NORMAL = "customer_not_normal"

# The predicate of the partial index churn_alert_one_open, written out as
# the conflict target's WHERE (both SQLite and PostgreSQL match it to the
# index; bound parameters there would not match).
OPEN_INDEX_PREDICATE = SQL("status IN ('warning', 'deferred')")


class ChurnAlert(Visible, BaseModel):
    customer = ForeignKeyField(Customer, backref="churn_alerts", on_delete="CASCADE")
    last_order_date = DateField(null=True)
    created_at = DateTimeField(default=clock.now)
    status = CharField(max_length=10, default=WARNING, index=True)
    reason = TextField(default="")
    lost_date = DateField(null=True)
    closed_at = DateTimeField(null=True)
    closed_note = CharField(max_length=200, default="")
    version = IntegerField(default=1)

    # ----- scope -------------------------------------------------------
    @classmethod
    def visible_to(cls, user: User | None):
        """The alerts `user` may see: all with churn.view_all, those of own
        customers with churn.act, none otherwise (an unknown role sees nothing)."""
        query = cls.select().join(Customer, on=(cls.customer == Customer.id))
        return scoped(query, user, perm.CHURN_VIEW_ALL, {perm.CHURN_ACT},
                      lambda own: Customer.manager == own.id)

    def measures_in_order(self):
        return (ChurnMeasure.select(ChurnMeasure, User)
                .join(User, JOIN.LEFT_OUTER, on=(ChurnMeasure.author == User.id))
                .where(ChurnMeasure.alert == self.id)
                .order_by(ChurnMeasure.created_at, ChurnMeasure.id))

    # ----- what the actor may do -----------------------------------------
    def check_actionable_by(self, actor: User) -> None:
        """Raise unless `actor` may defer or confirm this alert now: the
        right, the customer's own account manager, an open alert."""
        require(actor, perm.CHURN_ACT)
        customer = Customer.get_by_id(self.customer_id)
        if customer.manager_id != actor.id:
            raise PermissionDenied(t("error.not_your_customer"))
        if self.status not in OPEN_STATUSES:
            raise InvalidTransition(t("churn.error.not_open"))

    def check_confirmable_by(self, actor: User) -> None:
        """确认流失 needs what deferring needs, and a measure taken first."""
        self.check_actionable_by(actor)
        if self.measure_count() == 0:
            raise InvalidTransition(t("churn.error.no_measure"))

    def measure_count(self) -> int:
        return ChurnMeasure.select().where(ChurnMeasure.alert == self.id).count()

    # ----- writes ------------------------------------------------------
    def defer_by(self, actor: User, values: dict[str, Any]) -> "ChurnAlert":
        """暂缓流失: append a measure (kept with its time and author); the
        alert becomes deferred."""
        self.check_actionable_by(actor)
        text = clean(DEFER_FIELDS, values)["measure"]
        with database.atomic():
            self._move(DEFER, actor, {"status": DEFERRED})
            measure = ChurnMeasure.create(alert=self.id, text=text, author=actor.id,
                                          created_at=clock.now())
            audit.record(actor, "churn_measure", measure.id, audit.CREATE, {"text": ("", text)})
            audit.record(actor, "churn_alert", self.id, "defer", {"status": (self.status, DEFERRED)})
        return ChurnAlert.get_by_id(self.id)

    def confirm_by(self, actor: User, values: dict[str, Any]) -> "ChurnAlert":
        """确认流失: only after at least one measure; with a reason. The alert
        is confirmed with the lost date and the customer becomes lost, in
        one transaction."""
        self.check_actionable_by(actor)
        reason = clean(CONFIRM_FIELDS, values)["reason"]
        today = clock.today()
        with database.atomic():
            # Counted inside the transaction: a measure is what allows this.
            if self.measure_count() == 0:
                raise InvalidTransition(t("churn.error.no_measure"))
            self._move(CONFIRM, actor, {"status": CONFIRMED, "reason": reason, "lost_date": today})
            customer = Customer.get_by_id(self.customer_id)
            updated = (Customer.update(status=LOST, lost_at=today, version=Customer.version + 1)
                       .where((Customer.id == customer.id) & (Customer.status == NORMAL))
                       .execute())
            if updated != 1:
                raise InvalidTransition(t("customer.error.not_normal"))
            audit.record(actor, "churn_alert", self.id, "confirm",
                         {"status": (self.status, CONFIRMED), "reason": ("", reason),
                          "lost_date": (None, today)})
            audit.record(actor, "customer", customer.id, "lost",
                         {"status": (customer.status, LOST), "lost_at": (customer.lost_at, today)})
        return ChurnAlert.get_by_id(self.id)

    def _move(self, action: str, actor: User, changes: dict[str, Any]) -> None:
        """Change this alert, in a state `action` leaves from, if nobody
        changed it since it was read. The WHERE itself holds the scope: the
        alert is of the customer read here and that customer is `actor`'s,
        as the database has them now."""
        own_customers = Customer.select(Customer.id).where(Customer.manager == actor.id)
        expected = tuple(CHURN_TRANSITIONS.sources(action))
        update_as_read(self, changes, ChurnAlert.status.in_(expected),
                       ChurnAlert.customer == self.customer_id,
                       ChurnAlert.customer.in_(own_customers), why=self._refusal_for(actor))

    def _refusal_for(self, actor: User):
        def why(current: "ChurnAlert") -> Exception | None:
            owner = Customer.select(Customer.manager).where(Customer.id == current.customer_id)
            if current.customer_id != self.customer_id or owner.scalar() != actor.id:
                return PermissionDenied(t("error.not_your_customer"))
            if current.status not in OPEN_STATUSES:
                return InvalidTransition(t("churn.error.not_open"))
            return None
        return why


# The guarantee: one open alert per customer.
ChurnAlert.add_index(
    ChurnAlert.index(ChurnAlert.customer, unique=True, name="churn_alert_one_open")
    .where(SQL("status IN ('warning', 'deferred')")))


class ChurnMeasure(BaseModel):
    alert = ForeignKeyField(ChurnAlert, backref="measures", on_delete="CASCADE")
    text = TextField()
    author = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)


class WorkerRun(BaseModel):
    # schedule, catch-up, once or app: what started the scan.
    trigger = CharField(max_length=10)
    started_at = DateTimeField(index=True)
    finished_at = DateTimeField(null=True)
    scanned = IntegerField(default=0)
    added = IntegerField(default=0)
    closed = IntegerField(default=0)
    # running, done, failed or interrupted (its process ended mid-scan)
    status = CharField(max_length=12, default="running")
    message = TextField(default="")
    # The process that runs the scan: a run left "running" by a process
    # that no longer exists was interrupted.
    host = CharField(max_length=100, default="")
    pid = IntegerField(null=True)


SCHEDULE, CATCH_UP, ONCE, APP = "schedule", "catch-up", "once", "app"
RUNNING, DONE, FAILED, INTERRUPTED = "running", "done", "failed", "interrupted"

DEFER_FIELDS = (Field("measure", "churn.measure", required=True, max_length=2000, multiline=True),)
CONFIRM_FIELDS = (Field("reason", "churn.reason", required=True, max_length=2000, multiline=True),)


# ----- the scan ------------------------------------------------------------

@dataclass(frozen=True)
class ScanResult:
    scanned: int  # customers in status normal
    added: int  # new alerts
    closed: int  # open alerts closed (ordered again, or customer no longer normal)
    started_at: dt.datetime  # also the created_at of the alerts added
    seconds: float


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (clamped to the month's end)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    month = month_index + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class _Orders:
    """Where the scan reads counted orders from: the sales system's order
    table (same database), or a temporary table of each customer's last
    counted order copied from a separate sales database. Both answer the
    scan's three questions the same way, since those only depend on each
    customer's last order date."""

    def __init__(self, table, customer_id, date, counted):
        self.table, self.customer_id, self.date, self.counted = table, customer_id, date, counted

    def of(self, customer_id):
        return self.table.select(SQL("1")).where((self.customer_id == customer_id) & self.counted)

    def last_date_of(self, customer_id):
        return (self.table.select(fn.MAX(self.date))
                .where((self.customer_id == customer_id) & self.counted))


LAST_ORDER_TABLE = "churn_last_order"
# Earlier than any order: what "ordered since" compares with when there was none.
NO_ORDER_YET = dt.date(1, 1, 1)
LOAD_BATCH = 500


def scan(months_without_orders: int, grace_days: int = 0) -> ScanResult:
    """Add one warning per customer in status normal whose last counted order
    is more than `months_without_orders` months before today, or who has
    none, and has no open alert; close open alerts of customers who ordered
    again since (or are no longer normal). A customer created less than
    `grace_days` ago gets no alert yet: a new customer has had no time to
    order. One transaction; safe to run from any number of processes at once."""
    started = time.perf_counter()
    now = clock.now()
    cutoff = months_before(now.date(), months_without_orders)
    created_before = now - dt.timedelta(days=grace_days)
    separate_sales = sales_database.obj is not database.obj
    with database.atomic():
        if separate_sales:
            orders = _load_last_orders()
        else:
            orders = _Orders(Order, Order.customer_id, Order.date,
                             Order.status.in_(COUNTED_STATUSES))
        closed = _close_alerts(orders, now)
        added = _add_alerts(orders, now, cutoff, created_before)
        scanned = Customer.select().where(Customer.status == NORMAL).count()
        if separate_sales:
            _drop_last_orders()
    return ScanResult(scanned, added, closed, now, time.perf_counter() - started)


def _close_alerts(orders: _Orders, now: dt.datetime) -> int:
    # COALESCE rather than "IS NULL OR": the comparison then stays an index
    # condition (customer, date), and PostgreSQL probes the index per alert
    # instead of hashing every order.
    ordered_again = fn.EXISTS(orders.of(ChurnAlert.customer).where(
        orders.date > fn.COALESCE(ChurnAlert.last_order_date, NO_ORDER_YET)))
    closed = (ChurnAlert.update(status=CLOSED, closed_at=now, closed_note=ORDERED_AGAIN,
                                version=ChurnAlert.version + 1)
              .where(ChurnAlert.status.in_(OPEN_STATUSES) & ordered_again)
              .execute())
    not_normal = fn.EXISTS(Customer.select(SQL("1")).where(
        (Customer.id == ChurnAlert.customer) & (Customer.status != NORMAL)))
    closed += (ChurnAlert.update(status=CLOSED, closed_at=now, closed_note=CUSTOMER_NOT_NORMAL,
                                 version=ChurnAlert.version + 1)
               .where(ChurnAlert.status.in_(OPEN_STATUSES) & not_normal)
               .execute())
    return closed


def _add_alerts(orders: _Orders, now: dt.datetime, cutoff: dt.date, created_before: dt.datetime) -> int:
    """The one set-based INSERT ... SELECT ... ON CONFLICT DO NOTHING."""
    open_alert = ChurnAlert.alias("open_alert")
    has_open_alert = fn.EXISTS(open_alert.select(SQL("1")).where(
        (open_alert.customer == Customer.id) & open_alert.status.in_(OPEN_STATUSES)))
    ordered_recently = fn.EXISTS(orders.of(Customer.id).where(orders.date >= cutoff))
    # A customer with a contract in force is being served, orders or not.
    contract_in_force = fn.EXISTS(Contract.select(SQL("1")).where(
        (Contract.customer == Customer.id) & (Contract.status == IN_FORCE)))
    churned = (Customer
               .select(Customer.id, orders.last_date_of(Customer.id),
                       Value(now), Value(WARNING), Value(""), Value(""), Value(1))
               .where((Customer.status == NORMAL) & (Customer.created_at <= created_before)
                      & ~ordered_recently & ~has_open_alert & ~contract_in_force))
    return (ChurnAlert
            .insert_from(churned, [ChurnAlert.customer, ChurnAlert.last_order_date,
                                   ChurnAlert.created_at, ChurnAlert.status, ChurnAlert.reason,
                                   ChurnAlert.closed_note, ChurnAlert.version])
            .on_conflict(action="nothing", conflict_target=["customer_id"],
                         conflict_where=OPEN_INDEX_PREDICATE)
            .as_rowcount()
            .execute())


def _load_last_orders() -> _Orders:
    """Copy each customer's last counted order date from the separate sales
    database (one GROUP BY there) into a temporary table here, in batches
    of multi-row INSERTs (plain DB-API: building 100,000 rows of SQL through
    the query builder would cost seconds)."""
    crm = database.obj
    _drop_last_orders()
    crm.execute_sql(f"CREATE TEMPORARY TABLE {LAST_ORDER_TABLE} "
                    "(customer_id INTEGER PRIMARY KEY, last_date DATE NOT NULL)")
    per_customer = (Order.select(Order.customer_id, fn.MAX(Order.date))
                    .where(Order.status.in_(COUNTED_STATUSES))
                    .group_by(Order.customer_id)
                    .tuples())
    batch: list = []
    for customer_id, last_date in per_customer.iterator():
        batch += (customer_id, Order.date.python_value(last_date))
        if len(batch) == 2 * LOAD_BATCH:
            _insert_last_orders(crm, batch)
            batch = []
    if batch:
        _insert_last_orders(crm, batch)
    last_orders = Table(LAST_ORDER_TABLE, ("customer_id", "last_date")).bind(crm)
    return _Orders(last_orders, last_orders.customer_id, last_orders.last_date, SQL("1 = 1"))


def _insert_last_orders(crm, flat_values: list) -> None:
    mark = crm.param
    rows = ", ".join([f"({mark}, {mark})"] * (len(flat_values) // 2))
    crm.execute_sql(f"INSERT INTO {LAST_ORDER_TABLE} (customer_id, last_date) VALUES {rows}",
                    flat_values)


def _drop_last_orders() -> None:
    schema = "pg_temp" if is_postgres() else "temp"
    database.obj.execute_sql(f"DROP TABLE IF EXISTS {schema}.{LAST_ORDER_TABLE}")


def run_scan(trigger: str, months_without_orders: int,
             grace_days: int = 0) -> tuple[WorkerRun, ScanResult | None]:
    """The scan, recorded as a WorkerRun (running, then done or failed)."""
    run = WorkerRun.create(trigger=trigger, started_at=clock.now(), status=RUNNING,
                           host=socket.gethostname()[:100], pid=os.getpid())
    try:
        result = scan(months_without_orders, grace_days)
    except Exception as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        (WorkerRun.update(status=FAILED, finished_at=clock.now(), message=message[:500])
         .where(WorkerRun.id == run.id).execute())
        raise
    (WorkerRun.update(status=DONE, finished_at=clock.now(), scanned=result.scanned,
                      added=result.added, closed=result.closed)
     .where(WorkerRun.id == run.id).execute())
    return WorkerRun.get_by_id(run.id), result


def mark_interrupted_runs() -> list[WorkerRun]:
    """Mark the runs of this machine still "running" whose process no longer
    exists as interrupted (killed, or the machine went down); returns them.
    Runs of other machines are left alone: their processes cannot be seen
    from here."""
    interrupted = []
    here = socket.gethostname()[:100]
    for run in WorkerRun.select().where((WorkerRun.status == RUNNING) & (WorkerRun.host == here)):
        if run.pid is not None and _process_exists(run.pid):
            continue
        message = f"interrupted: process {run.pid} on {here} ended during the scan"
        marked = (WorkerRun.update(status=INTERRUPTED, message=message)
                  .where((WorkerRun.id == run.id) & (WorkerRun.status == RUNNING))
                  .execute())
        if marked:
            interrupted.append(run)
    return interrupted


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def last_finished_run() -> WorkerRun | None:
    return (WorkerRun.select().where(WorkerRun.status == DONE)
            .order_by(WorkerRun.started_at.desc(), WorkerRun.id.desc()).first())


def new_alerts_since(user: User, moment: dt.datetime):
    """Warnings `user` may see that were raised after `moment`, by any scan
    (the worker's, this app's or another session's): for a notification."""
    return ChurnAlert.visible_to(user).where(
        (ChurnAlert.created_at > moment) & (ChurnAlert.status == WARNING))


def open_alert_count(user: User) -> int:
    return ChurnAlert.visible_to(user).where(ChurnAlert.status.in_(OPEN_STATUSES)).count()


def alert_list_query(user: User, search: str = ""):
    """Alerts visible to `user` with the customer and manager names, filtered
    by customer name or number, manager name or status containing `search`."""
    query = (ChurnAlert.visible_to(user)
             .select_extend(Customer.name.alias("customer_name"),
                            Customer.number.alias("customer_number"),
                            User.display_name.alias("manager_name"))
             .join_from(Customer, User, JOIN.INNER, on=(Customer.manager == User.id))
             # Open alerts first, the newest on top.
             .order_by(Case(None, [(ChurnAlert.status.in_(OPEN_STATUSES), 0)], 1),
                       ChurnAlert.created_at.desc()))
    search = search.strip()
    if search:
        statuses = [status for status in ALERT_STATUSES
                    if search.lower() in t(f"churn.status.{status}").lower()]
        condition = (Customer.name.contains(search) | Customer.number.contains(search)
                     | User.display_name.contains(search))
        if statuses:
            condition |= ChurnAlert.status.in_(statuses)
        query = query.where(condition)
    return query


# ----- the record kind -----------------------------------------------------
def status_text(status: str | None) -> str:
    return t(f"churn.status.{status}") if status else ""


def last_order_text(value: Any) -> str:
    return t("churn.no_order") if value is None else str(value)


def _alert_rows(alert: ChurnAlert) -> list[tuple[str, Any]]:
    customer = Customer.get_by_id(alert.customer_id)
    rows = [("churn.detail.customer", f"{customer.name}  {customer.number}"),
            ("churn.detail.manager", user_name(customer.manager_id)),
            ("churn.detail.last_order", last_order_text(alert.last_order_date)),
            ("churn.detail.status", status_text(alert.status)),
            ("churn.detail.created", moment_text(alert.created_at))]
    if alert.status == CONFIRMED:
        rows += [("churn.detail.lost_date", alert.lost_date),
                 ("churn.detail.reason", alert.reason)]
    if alert.status == CLOSED:
        note_key = f"churn.closed_note.{alert.closed_note}"
        note = t(note_key) if t(note_key) != note_key else alert.closed_note
        rows.append(("churn.detail.closed", f"{moment_text(alert.closed_at)}  {note}"))
    return rows


def _alert_measures(alert: ChurnAlert) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    entries = []
    for measure in alert.measures_in_order():
        author = (measure.author.display_name if measure.author_id
                  else t("churn.detail.unknown_author"))
        entries.append((f"{moment_text(measure.created_at)}  {author}",
                        measure.text.splitlines() or [""]))
    return [("churn.detail.measures", entries)]


def _customer_name(alert: ChurnAlert) -> str:
    return Customer.get_by_id(alert.customer_id).name


CHURN_FILTERS = (
    FilterField("customer", ("客户", "客户名称"), TEXT, Customer.name,
                match=customer_text_match("name")),
    FilterField("number", ("编号", "客户编号"), TEXT, Customer.number,
                match=customer_text_match("number")),
    FilterField("manager", ("经理", "客户经理"), LOOKUP, match=user_match(Customer.manager)),
    FilterField("status", ("状态",), CHOICE, ChurnAlert.status,
                choices=labelled_choices(ALERT_STATUSES, "churn.status.")),
    FilterField("last_order", ("最后订单", "最后下单"), DATE, ChurnAlert.last_order_date),
    FilterField("created", ("创建", "预警时间"), DATE, ChurnAlert.created_at),
    FilterField("reason", ("原因", "流失原因"), TEXT, ChurnAlert.reason),
)


def _alert_word(word: str):
    """A free word of an alert filter: the customer's number or name, the
    name of the customer's account manager, or the alert's state."""
    matches = customer_text_contains(word) | user_match(Customer.manager)(":", word)
    statuses = [status for status in ALERT_STATUSES
                if word.lower() in t(f"churn.status.{status}").lower()]
    if statuses:
        matches |= ChurnAlert.status.in_(statuses)
    return matches


CHURN_ALERT = register(RecordKind(
    name="churn_alert", title="churn.title", opens="churn_alert",
    columns=[
        Column("customer_name", "churn.column.customer", 24, SQL("customer_name"), max_width=40),
        Column("manager_name", "churn.column.manager", 10, SQL("manager_name")),
        Column("last_order_date", "churn.column.last_order", 10, ChurnAlert.last_order_date,
               format=last_order_text),
        Column("status", "churn.column.status", 9, ChurnAlert.status, format=status_text),
        Column("created_at", "churn.column.created", 16, ChurnAlert.created_at,
               format=moment_text),
    ],
    query=lambda user, search, _within: alert_list_query(user, search),
    get=ChurnAlert.get_visible, transitions=CHURN_TRANSITIONS,
    filters=CHURN_FILTERS, search=_alert_word,
    words=lambda alert: {"customer": _customer_name(alert)},
    heading=lambda alert: t("churn.detail.title", customer=_customer_name(alert)),
    rows=_alert_rows, sections=_alert_measures, changes=("customer",),
    actions=[
        Action(DEFER, "d", "churn.defer",
               check=lambda alert, actor: alert.check_actionable_by(actor),
               form=lambda _alert, _actor: DEFER_FIELDS, title="churn.defer_title",
               done="churn.deferred_done",
               run=lambda alert, actor, values: alert.defer_by(actor, values)),
        Action(CONFIRM, "c", "churn.confirm",
               check=lambda alert, actor: alert.check_confirmable_by(actor),
               ask="churn.confirm_question",
               form=lambda _alert, _actor: CONFIRM_FIELDS, title="churn.confirm_title",
               done="churn.confirmed_done",
               run=lambda alert, actor, values: alert.confirm_by(actor, values)),
    ],
))

"""One customer's timeline (客户时间线): everything that happened with a
customer, newest first, in one list.

Each `EventSource` reads one table (interactions, mail, service steps,
orders of the sales system, documents, opportunities, churn alerts and
measures, contracts, their steps and payments, quotes). A page is read
per source by keyset, newest first from a given key, and the sources are
merged by time in Python: the sales system may live in another database,
so no SQL UNION can take in its orders, and each source's read is a range
on its own (customer, time) index however long the history.

The order is by (time, kind, id), newest first; a key names one event of
one table, so no two events share a key and paging never skips or repeats
one. A day without a time (an interaction's date, an order's) counts as
that day's midnight.
"""
from __future__ import annotations

import datetime as dt
import heapq
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from peewee import SQL

from crm_tui.i18n import t
from crm_tui.models import permissions as perm
from crm_tui.models.churn import ChurnAlert, ChurnMeasure
from crm_tui.models.contracts import Contract, ContractStep, Payment
from crm_tui.models.customers import Customer, Interaction
from crm_tui.models.documents import Document
from crm_tui.models.kinds import money
from crm_tui.models.mail import IN, MailMessage
from crm_tui.models.quotes import Quote
from crm_tui.models.sales import Opportunity
from crm_tui.models.sales_system import COUNTED_STATUSES, Order
from crm_tui.models.service import Service, ServiceEvent
from crm_tui.models.users import User

# (time, kind, id): one event's place in the timeline.
Key = tuple[dt.datetime, str, int]


@dataclass(frozen=True)
class Event:
    time: dt.datetime
    kind: str         # the table it comes from: also its label, timeline.kind.<kind>
    id: int
    text: str
    # The record kind and id Enter opens; None: nothing to open.
    opens: tuple[str, int] | None = None

    @property
    def key(self) -> Key:
        return (self.time, self.kind, self.id)


@dataclass(frozen=True)
class EventSource:
    """One table's events of a customer.

    - `kind`: names the table (and the label); unique among the sources.
    - `group`: what the kind filter calls it (contracts take in their steps
      and payments).
    - `time`: the column the events are ordered by; `is_day`: it holds a
      date, not a time.
    - `select(customer_id)`: the customer's rows; the query selects `time`
      and the id of the table as `id`, and whatever `event(row)` reads.
    - `words`: the columns a search looks in.
    - `allowed(user)`: whether the user may see this source at all.
    """

    kind: str
    group: str
    time: Any
    row_id: Any
    select: Callable[[int], Any]
    event: Callable[[Any], Event]
    words: Sequence[Any] = ()
    is_day: bool = False
    allowed: Callable[[User], bool] = lambda user: True

    # ----- keyset conditions on this source's time column -----------------
    def _as_time(self, value: Any) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time())
        return dt.datetime.fromisoformat(str(value))

    def _after(self, key: Key, newest_first: bool) -> Any:
        """Rows that come after `key` in the timeline's order (newest first)
        or, with `newest_first` False, before it (reading from the oldest)."""
        moment, kind, row_id = key
        column, ids = self.time, self.row_id
        if self.is_day:
            day, midnight = moment.date(), moment.time() == dt.time()
            # Every row of this source is at its day's midnight.
            if newest_first:
                strictly = column < day if midnight else column <= day
                same = column == day if midnight else None
            else:
                strictly = column > day
                same = column == day if midnight else None
        else:
            strictly = column < moment if newest_first else column > moment
            same = column == moment
        # On the same time, the kinds in order, then the ids.
        if same is not None:
            if self.kind == kind:
                tie = same & ((ids < row_id) if newest_first else (ids > row_id))
            elif (self.kind < kind) == newest_first:
                tie = same
            else:
                tie = None
            if tie is not None:
                strictly = strictly | tie
        # A range too, so the database reads the (customer, time) index
        # from the key on rather than from the newest row.
        bound = day if self.is_day else moment
        return strictly & ((column <= bound) if newest_first else (column >= bound))

    def page(self, customer_id: int, after: Key | None, limit: int, search: str = "",
             newest_first: bool = True) -> list[Event]:
        query = self._searched(self.select(customer_id), search)
        if after is not None:
            query = query.where(self._after(after, newest_first))
        order = ((self.time.desc(), self.row_id.desc()) if newest_first
                 else (self.time.asc(), self.row_id.asc()))
        # Named tuples: a tenth of the cost of model instances per row.
        return [self._event(row) for row in query.order_by(*order).limit(limit).namedtuples()]

    def count(self, customer_id: int, search: str = "") -> int:
        return self._searched(self.select(customer_id), search).count()

    def _searched(self, query: Any, search: str) -> Any:
        if search.split() and not self.words:
            return query.where(SQL("1 = 0"))  # nothing here to search in
        for word in search.split():
            condition = None
            for column in self.words:
                match = column.contains(word)
                condition = match if condition is None else (condition | match)
            if condition is not None:
                query = query.where(condition)
        return query

    def _event(self, row: Any) -> Event:
        event = self.event(row)
        return Event(self._as_time(event.time), self.kind, event.id, event.text, event.opens)


# ----- the sources ----------------------------------------------------------------

def _interactions(customer_id: int):
    # Mail filed as an interaction is shown once, as the mail.
    return Interaction.select(Interaction.id, Interaction.date, Interaction.place,
                              Interaction.summary).where(
        (Interaction.customer == customer_id) & (Interaction.source == "manual"))


def _mail(customer_id: int):
    return MailMessage.select(MailMessage.id, MailMessage.date, MailMessage.direction,
                              MailMessage.sender, MailMessage.recipients,
                              MailMessage.subject).where(MailMessage.customer == customer_id)


def _mail_text(row: Any) -> str:
    if row.direction == IN:
        return t("timeline.mail_in", address=row.sender, subject=row.subject)
    return t("timeline.mail_out", address=row.recipients, subject=row.subject)


def _service_steps(customer_id: int):
    return (ServiceEvent.select(ServiceEvent.id, ServiceEvent.at, ServiceEvent.kind,
                                ServiceEvent.text, ServiceEvent.service, Service.summary)
            .join(Service, on=(ServiceEvent.service == Service.id))
            .where(Service.customer == customer_id))


def _orders(customer_id: int):
    return Order.select(Order.id, Order.date, Order.number, Order.amount).where(
        (Order.customer_id == customer_id) & Order.status.in_(COUNTED_STATUSES))


def _documents(customer_id: int):
    return Document.select(Document.id, Document.uploaded_at, Document.name).where(
        Document.customer == customer_id)


def _opportunities(customer_id: int):
    return Opportunity.select(Opportunity.id, Opportunity.created_at, Opportunity.summary,
                              Opportunity.status).where(Opportunity.customer == customer_id)


def _alerts(customer_id: int):
    return ChurnAlert.select(ChurnAlert.id, ChurnAlert.created_at, ChurnAlert.last_order_date
                             ).where(ChurnAlert.customer == customer_id)


def _measures(customer_id: int):
    return (ChurnMeasure.select(ChurnMeasure.id, ChurnMeasure.created_at, ChurnMeasure.text,
                                ChurnMeasure.alert)
            .join(ChurnAlert, on=(ChurnMeasure.alert == ChurnAlert.id))
            .where(ChurnAlert.customer == customer_id))


def _contracts(customer_id: int):
    return Contract.select(Contract.id, Contract.created_at, Contract.number, Contract.title,
                           Contract.amount).where(Contract.customer == customer_id)


def _contract_steps(customer_id: int):
    return (ContractStep.select(ContractStep.id, ContractStep.at, ContractStep.step,
                                ContractStep.comment, ContractStep.contract, Contract.number)
            .join(Contract, on=(ContractStep.contract == Contract.id))
            .where(Contract.customer == customer_id))


def _payments(customer_id: int):
    return (Payment.select(Payment.id, Payment.date, Payment.amount, Payment.contract,
                           Contract.number)
            .join(Contract, on=(Payment.contract == Contract.id))
            .where(Contract.customer == customer_id))


def _quotes(customer_id: int):
    return Quote.select(Quote.id, Quote.created_at, Quote.number, Quote.status).where(
        Quote.customer == customer_id)


SOURCES: list[EventSource] = [
    EventSource("interaction", "interaction", Interaction.date, Interaction.id, _interactions,
                lambda row: Event(row.date, "", row.id, f"{row.summary} ({row.place})"),
                words=(Interaction.summary, Interaction.place), is_day=True),
    EventSource("mail", "mail", MailMessage.date, MailMessage.id, _mail,
                lambda row: Event(row.date, "", row.id, _mail_text(row)),
                words=(MailMessage.subject, MailMessage.sender, MailMessage.recipients)),
    EventSource("service", "service", ServiceEvent.at, ServiceEvent.id, _service_steps,
                lambda row: Event(row.at, "", row.id, t(
                    "timeline.service", summary=row.summary,
                    step=t(f"service.event.{row.kind}"), text=row.text),
                    ("service", row.service)),
                words=(Service.summary, ServiceEvent.text)),
    EventSource("order", "order", Order.date, Order.id, _orders,
                lambda row: Event(row.date, "", row.id, t(
                    "timeline.order", number=row.number, amount=money(row.amount))),
                words=(Order.number,), is_day=True,
                allowed=lambda user: user.has_perm(perm.ORDER_VIEW)),
    EventSource("document", "document", Document.uploaded_at, Document.id, _documents,
                lambda row: Event(row.uploaded_at, "", row.id, row.name),
                words=(Document.name,)),
    EventSource("opportunity", "opportunity", Opportunity.created_at, Opportunity.id,
                _opportunities,
                lambda row: Event(row.created_at, "", row.id, row.summary,
                                  ("opportunity", row.id)),
                words=(Opportunity.summary,)),
    EventSource("churn_alert", "churn", ChurnAlert.created_at, ChurnAlert.id, _alerts,
                lambda row: Event(row.created_at, "", row.id, t(
                    "timeline.churn_alert", date=row.last_order_date or "-"),
                    ("churn_alert", row.id))),
    EventSource("churn_measure", "churn", ChurnMeasure.created_at, ChurnMeasure.id, _measures,
                lambda row: Event(row.created_at, "", row.id, row.text,
                                  ("churn_alert", row.alert)),
                words=(ChurnMeasure.text,)),
    EventSource("contract", "contract", Contract.created_at, Contract.id, _contracts,
                lambda row: Event(row.created_at, "", row.id,
                                  f"{row.number} {row.title} {money(row.amount)}",
                                  ("contract", row.id)),
                words=(Contract.number, Contract.title)),
    EventSource("contract_step", "contract", ContractStep.at, ContractStep.id, _contract_steps,
                lambda row: Event(row.at, "", row.id,
                                  f"{row.number} {t('contract.step.' + row.step)} {row.comment}"
                                  .strip(), ("contract", row.contract)),
                words=(Contract.number, ContractStep.comment)),
    EventSource("payment", "contract", Payment.date, Payment.id, _payments,
                lambda row: Event(row.date, "", row.id, t(
                    "timeline.payment", number=row.number, amount=money(row.amount)),
                    ("contract", row.contract)),
                words=(Contract.number,), is_day=True),
    EventSource("quote", "quote", Quote.created_at, Quote.id, _quotes,
                lambda row: Event(row.created_at, "", row.id, row.number, ("quote", row.id)),
                words=(Quote.number,)),
]

# The kind filter's steps, in order (None: everything).
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(source.group for source in SOURCES))


class Timeline:
    """The timeline of one customer as `user` may see it, narrowed to a
    group of sources (None: all) and to events whose words hold every word
    of a search."""

    def __init__(self, user: User, customer_id: int, group: str | None = None,
                 seen: bool = False):
        # The customer must be one the user may see (NotFound otherwise);
        # `seen`: checked already, by the count the pages follow.
        self.customer_id = customer_id if seen else Customer.get_visible(user, customer_id).id
        self.sources = [source for source in SOURCES
                        if source.allowed(user) and group in (None, source.group)]

    def counts(self, search: str = "") -> dict[str, int]:
        """The number of events of each source."""
        return {source.kind: source.count(self.customer_id, search) for source in self.sources}

    def count(self, search: str = "") -> int:
        return sum(self.counts(search).values())

    def only(self, kinds: set[str]) -> "Timeline":
        """This timeline read from the sources `kinds` alone (those a count
        found events in: an empty source costs a query per page otherwise)."""
        self.sources = [source for source in self.sources if source.kind in kinds]
        return self

    def page(self, after: Key | None, limit: int, search: str = "") -> list[Event]:
        """The `limit` events that follow `after` (from the newest when None)."""
        pages = [source.page(self.customer_id, after, limit, search) for source in self.sources]
        return merge(pages, limit, newest_first=True)

    def oldest(self, limit: int, search: str = "") -> list[Event]:
        """The `limit` oldest events, newest first."""
        pages = [source.page(self.customer_id, None, limit, search, newest_first=False)
                 for source in self.sources]
        return list(reversed(merge(pages, limit, newest_first=False)))


class TimelineRows:
    """A timeline as the rows of a lazy list: `count`, and `fetch` of the
    rows offset..offset+limit. A page that follows one already read starts
    from that page's last key; a page near the end is read from the oldest
    event; any other reads forward from the nearest key known below it."""

    id_key = "key"

    def __init__(self, user: User, customer_id: int, columns: Sequence[Any] = ()):
        self.user = user
        self.customer_id = customer_id
        self.columns = list(columns)
        self.group: str | None = None
        self._lock = threading.Lock()
        self._anchors: dict[int, Key] = {}
        self._count: int | None = None
        # The sources the last count found events in (None: not counted yet).
        self._filled: set[str] | None = None

    def timeline(self) -> Timeline:
        filled = self._filled
        if filled is None:
            return Timeline(self.user, self.customer_id, self.group)
        return Timeline(self.user, self.customer_id, self.group, seen=True).only(filled)

    def count(self, filter_text: str) -> int:
        counts = Timeline(self.user, self.customer_id, self.group).counts(filter_text)
        with self._lock:
            self._anchors = {}
            self._count = sum(counts.values())
            self._filled = {kind for kind, number in counts.items() if number}
        return self._count

    def fetch(self, filter_text: str, _sort: Any, _descending: bool, offset: int,
              limit: int) -> list[dict]:
        timeline = self.timeline()
        with self._lock:
            anchors, count = self._anchors, self._count
            below = max((known for known in anchors if known <= offset), default=0)
            anchor = anchors.get(below)
        skip = offset - below
        if count is not None and offset < count and count - offset < skip:
            events = timeline.oldest(count - offset, filter_text)[:limit]
        else:
            events = timeline.page(anchor, skip + limit, filter_text)[skip:]
        with self._lock:
            if events and anchors is self._anchors:
                anchors[offset + len(events)] = events[-1].key
        return [{"key": f"{event.kind}:{event.id}", "time": event.time, "kind": event.kind,
                 "text": event.text, "opens": event.opens} for event in events]


def merge(pages: Iterable[list[Event]], limit: int, newest_first: bool) -> list[Event]:
    """The first `limit` events of pages each already in the order wanted."""
    merged = heapq.merge(*pages, key=lambda event: event.key, reverse=newest_first)
    return [event for _, event in zip(range(limit), merged)]


__all__ = ["Event", "EventSource", "GROUPS", "SOURCES", "Timeline", "TimelineRows", "merge"]

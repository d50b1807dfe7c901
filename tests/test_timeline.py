"""A customer's timeline (SQLite and PostgreSQL): every source in one
order, newest first by (time, kind, id) with days at midnight; paging by
key gives each event once whichever way the pages are read; the kind
filter, the search, and the customer's scope."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from crm_tui.models import (ChurnAlert, ChurnMeasure, Document, Interaction, MailMessage,
                            Opportunity, Order, Service, ServiceEvent)
from crm_tui.models.dictionary import SERVICE_TYPE
from crm_tui.models.errors import NotFound
from crm_tui.models.timeline import SOURCES, Timeline, TimelineRows
from tests.conftest import at, entry, make_customer

NOON = dt.datetime(2026, 3, 5, 12)
MIDNIGHT = dt.datetime(2026, 3, 5)


def full_history(customer, people) -> None:
    """Events of every source, several of them at the same moment, and
    days (an interaction, an order) on the same day as timed events."""
    user = people.manager.id
    for day in (4, 5, 6):
        Interaction.create(customer=customer.id, date=dt.date(2026, 3, day), place="厂区",
                           summary=f"拜访{day}", created_by=user)
    # Filed mail is shown once, as the mail.
    Interaction.create(customer=customer.id, date=dt.date(2026, 3, 5), place="mail",
                       summary="quoted", source="mail_in")
    for number, when in (("<a@x>", NOON), ("<b@x>", NOON), ("<c@x>", MIDNIGHT)):
        MailMessage.create(message_id=number, direction="in", sender="chen@x.cn",
                           subject=f"询价 {number}", date=when, customer=customer.id,
                           status="filed")
    Order.create(number="SO-1", customer_id=customer.id, date=dt.date(2026, 3, 5), status=6,
                 amount="100.00")
    Order.create(number="SO-2", customer_id=customer.id, date=dt.date(2026, 3, 5), status=1)
    service = Service.create(type=entry(SERVICE_TYPE, "投诉").id, summary="卡纸",
                             customer=customer.id, request="修", created_by=user)
    ServiceEvent.create(service=service.id, kind="create", at=NOON, actor=user)
    ServiceEvent.create(service=service.id, kind="assign", at=dt.datetime(2026, 3, 6, 8))
    Document.create(customer=customer.id, name="合同扫描.pdf", size=10, sha256="0" * 64,
                    uploaded_at=NOON)
    Opportunity.create(customer_name=customer.name, success_rate=50, summary="二期",
                       description="-", created_by=user, created_at=dt.datetime(2026, 3, 1, 9),
                       customer=customer.id, status="succeeded")
    alert = ChurnAlert.create(customer=customer.id, created_at=NOON)
    ChurnMeasure.create(alert=alert.id, text="上门拜访", created_at=NOON)


def expected_order(timeline: Timeline) -> list[tuple]:
    everything = [event for source in timeline.sources
                  for event in source.page(timeline.customer_id, None, 1000)]
    return sorted((event.key for event in everything), reverse=True)


def read_all(rows: TimelineRows, size: int, search: str = "", order=None) -> list[tuple]:
    count = rows.count(search)
    pages = list(range(0, count, size))
    found = {}
    for offset in order(pages) if order else pages:
        for position, row in enumerate(rows.fetch(search, None, False, offset, size)):
            found[offset + position] = (row["time"], row["kind"], row["key"])
    return [found[position] for position in range(count)]


def test_every_source_in_one_order(crm_db, people):
    at(2026, 3, 10)
    customer = make_customer(people.manager)
    full_history(customer, people)
    timeline = Timeline(people.manager, customer.id)
    events = timeline.page(None, 100)
    assert [(event.time, event.kind) for event in events] == [
        (dt.datetime(2026, 3, 6, 8), "service"),
        (dt.datetime(2026, 3, 6), "interaction"),
        (NOON, "service"), (NOON, "mail"), (NOON, "mail"), (NOON, "document"),
        (NOON, "churn_measure"), (NOON, "churn_alert"),
        (MIDNIGHT, "order"), (MIDNIGHT, "mail"), (MIDNIGHT, "interaction"),
        (dt.datetime(2026, 3, 4), "interaction"),
        (dt.datetime(2026, 3, 1, 9), "opportunity"),
    ]
    assert [event.key for event in events] == expected_order(timeline)
    assert timeline.count() == len(events) == 13
    by_kind = {event.kind: event for event in events}
    assert by_kind["order"].text == "Order SO-1: 100.00"
    assert by_kind["service"].opens[0] == "service"
    assert by_kind["churn_measure"].opens == ("churn_alert", by_kind["churn_alert"].id)
    assert by_kind["interaction"].opens is None


@pytest.mark.parametrize("size", [1, 2, 3, 5, 13, 50])
def test_pages_in_any_order_give_each_event_once(crm_db, people, size):
    at(2026, 3, 10)
    customer = make_customer(people.manager)
    full_history(customer, people)
    expected = expected_order(Timeline(people.manager, customer.id))
    for order in (None, lambda pages: list(reversed(pages)),
                  lambda pages: random.Random(size).sample(pages, len(pages))):
        rows = TimelineRows(people.manager, customer.id)
        assert [key for _time, _kind, key in read_all(rows, size, order=order)] == [
            f"{kind}:{row_id}" for _time, kind, row_id in expected]


def test_kind_filter_and_search(crm_db, people):
    at(2026, 3, 10)
    customer = make_customer(people.manager)
    full_history(customer, people)
    rows = TimelineRows(people.manager, customer.id)
    rows.group = "churn"
    assert [kind for _t, kind, _k in read_all(rows, 1)] == ["churn_measure", "churn_alert"]
    rows.group = "mail"
    assert rows.count("") == 3
    rows.group = None
    assert [kind for _t, kind, _k in read_all(rows, 2, "拜访")] == [
        "interaction", "churn_measure", "interaction", "interaction"]
    assert read_all(rows, 2, "拜访 5") == read_all(rows, 2, "拜访5")[:1]


def test_scope_of_the_customer(crm_db, people):
    customer = make_customer(people.manager)
    with pytest.raises(NotFound):
        Timeline(people.other_manager, customer.id)
    assert Timeline(people.supervisor, customer.id).count() == 0
    assert {source.kind for source in SOURCES} >= {
        "interaction", "mail", "service", "order", "document", "opportunity", "churn_alert",
        "contract", "contract_step", "payment"}


def test_contracts_steps_and_payments(crm_db, people):
    from crm_tui.models import Contract, Instalment
    from tests.test_contracts import contract_values, method, with_plan

    at(2026, 3, 1)
    customer = make_customer(people.manager)
    contract = with_plan(Contract.create_by(people.manager, contract_values(customer)),
                         people.manager, "300000")
    at(2026, 3, 2)
    contract = contract.submit_by(people.manager)
    at(2026, 3, 3)
    contract.approve_by(people.supervisor, {}).sign_by(people.manager, {"sign_date": "2026-03-03"})
    Instalment.get().pay_by(people.manager, {"date": "2026-03-04", "amount": "1000",
                                             "method": method()})
    rows = TimelineRows(people.manager, customer.id)
    rows.group = "contract"
    kinds = [kind for _t, kind, _k in read_all(rows, 2)]
    assert kinds[0] == "payment" and kinds[-1] == "contract"
    assert kinds.count("contract_step") >= 3


from tests.test_orders_queries import separate_sales_database  # noqa: E402,F401  (a fixture)


def test_orders_from_a_separate_sales_database_merge_by_time(separate_sales_database):
    from tests.conftest import make_user

    crm_only, sales = separate_sales_database
    manager = make_user("manager", "wang")
    customer = make_customer(manager)
    for day in range(1, 11):
        Interaction.create(customer=customer.id, date=dt.date(2026, 1, day), place="厂区",
                           summary=f"拜访{day}", created_by=manager.id)
        Order.create(number=f"SO-{day}", customer_id=customer.id, date=dt.date(2026, 1, day),
                     status=6, amount=day)
    assert "sales_order" not in crm_only.get_tables()
    rows = TimelineRows(manager, customer.id)
    for size in (1, 3, 7):
        found = read_all(rows, size)
        # Each day: the order before the interaction (same time, kind order), newest day first.
        assert [kind for _t, kind, _k in found] == ["order", "interaction"] * 10
        assert [when.day for when, _k, _i in found] == [day for day in range(10, 0, -1)
                                                        for _ in range(2)]

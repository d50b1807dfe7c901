"""Quotes (M10): drafting with lines of the sales system's products, sending,
acceptance into a contract draft, rejection, expiry and scope, on SQLite and
PostgreSQL."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm_tui.models import AuditLog, Contract, Interaction, Quote, QuoteLine
from crm_tui.models.contracts import DRAFT as CONTRACT_DRAFT
from crm_tui.models.errors import (ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied,
                                   ValidationError)
from crm_tui.models.kinds import kind
from crm_tui.models.quotes import (ACCEPTED, DRAFT, EXPIRED, QUOTE_TRANSITIONS, REJECTED, SENT,
                                   expire_quotes, line_amount)
from crm_tui.models.sales import Opportunity
from crm_tui.models.sales_system import Product
from tests.conftest import at, make_customer
from tests.test_contracts import with_plan


def product(name="配电柜 GGD", price="12500.00", unit="台") -> Product:
    return Product.create(name=name, model="GGD-1", unit=unit, price=Decimal(price))


def quote_values(owner, **overrides) -> dict:
    values = {"customer": owner.id, "valid_until": "2026-03-31", "note": "含运费"}
    values.update(overrides)
    return values


def line_values(item, **overrides) -> dict:
    values = {"product": item.id, "quantity": "2", "unit_price": "", "discount": "0"}
    values.update(overrides)
    return values


@pytest.fixture
def customer(crm_db, people):
    at(2026, 3, 1)
    return make_customer(people.manager, name="北京远大科技有限公司")


@pytest.fixture
def products(crm_db):
    return product(), product("断路器 DW15", "333.33", "只")


@pytest.fixture
def draft(customer, people, products):
    quote = Quote.create_by(people.manager, quote_values(customer))
    quote.add_line_by(people.manager, line_values(products[0]))
    quote.add_line_by(people.manager, line_values(products[1], quantity="3", discount="10"))
    return Quote.get_by_id(quote.id)


@pytest.fixture
def sent(draft, people):
    return draft.send_by(people.manager)


def test_a_draft_gets_a_number_and_lines_are_computed_in_decimal(draft, people):
    assert draft.number == "BJ20260301001" and draft.status == DRAFT
    first, second = draft.lines()
    # The unit price defaults to the product's; 3 × 333.33 less 10% = 899.991 → 899.99.
    assert (first.unit_price, first.amount) == (Decimal("12500.00"), Decimal("25000.00"))
    assert (second.discount, second.amount) == (Decimal("10.00"), Decimal("899.99"))
    assert draft.total() == Decimal("25899.99")
    assert isinstance(draft.total(), Decimal)
    second_quote = Quote.create_by(people.manager, quote_values(draft.customer))
    assert second_quote.number == "BJ20260301002"
    assert AuditLog.select().where((AuditLog.table_name == "quote")
                                   & (AuditLog.row_id == draft.id)).count() == 1


def test_line_amounts_round_half_up_to_the_cent():
    assert line_amount(1, Decimal("0.05"), Decimal("50")) == Decimal("0.03")
    assert line_amount(7, Decimal("19.99"), Decimal("0")) == Decimal("139.93")
    assert line_amount(1, Decimal("100"), Decimal("100")) == Decimal("0.00")


@pytest.mark.parametrize("field, value", [
    ("quantity", "0"), ("quantity", "-1"), ("quantity", "1.5"), ("discount", "101"),
    ("discount", "-1"), ("unit_price", "-0.01"), ("product", 999999), ("product", None),
])
def test_bad_lines_are_refused_and_nothing_is_written(customer, people, products, field, value):
    quote = Quote.create_by(people.manager, quote_values(customer))
    with pytest.raises(ValidationError) as refused:
        quote.add_line_by(people.manager, line_values(products[0], **{field: value}))
    assert field in refused.value.errors
    assert QuoteLine.select().count() == 0


def test_a_given_unit_price_and_full_discount_are_taken(customer, people, products):
    quote = Quote.create_by(people.manager, quote_values(customer))
    line = quote.add_line_by(people.manager, line_values(products[0], unit_price="11000",
                                                         discount="100"))
    assert (line.unit_price, line.amount) == (Decimal("11000.00"), Decimal("0.00"))


@pytest.mark.parametrize("field, value", [("valid_until", ""), ("valid_until", "2026-02-28"),
                                          ("customer", None)])
def test_bad_quotes_are_refused(customer, people, field, value):
    with pytest.raises(ValidationError) as refused:
        Quote.create_by(people.manager, quote_values(customer, **{field: value}))
    assert field in refused.value.errors
    assert Quote.select().count() == 0


def test_the_opportunity_is_an_assigned_one_of_the_same_customer(customer, people):
    own = Opportunity.create(customer_name=customer.name, success_rate=50, summary="配电改造",
                             description="", created_by=people.supervisor.id,
                             assigned_to=people.manager.id, status="assigned")
    elsewhere = Opportunity.create(customer_name="天津港务集团", success_rate=50, summary="x",
                                   description="", created_by=people.supervisor.id,
                                   assigned_to=people.manager.id, status="assigned")
    unassigned = Opportunity.create(customer_name=customer.name, success_rate=50, summary="y",
                                    description="", created_by=people.supervisor.id)
    for wrong in (elsewhere, unassigned):
        with pytest.raises(ValidationError) as refused:
            Quote.create_by(people.manager, quote_values(customer, opportunity=wrong.id))
        assert "opportunity" in refused.value.errors
    quote = Quote.create_by(people.manager, quote_values(customer, opportunity=own.id))
    assert quote.opportunity_id == own.id


def test_a_draft_is_edited_and_deleted_with_its_lines(draft, people):
    edited = draft.update_by(people.manager, {"valid_until": "2026-04-30", "note": "改期"})
    assert edited.valid_until == dt.date(2026, 4, 30) and edited.version == draft.version + 1
    line = edited.lines().first()
    line.update_by(people.manager, line_values(Product.get_by_id(line.product_id), quantity="4"))
    assert QuoteLine.get_by_id(line.id).amount == Decimal("50000.00")
    line.delete_by(people.manager)
    assert edited.lines().count() == 1
    Quote.get_by_id(draft.id).delete_by(people.manager)
    assert Quote.select().count() == 0 and QuoteLine.select().count() == 0


def test_a_stale_copy_does_not_overwrite_a_newer_edit(draft, people):
    stale = Quote.get_by_id(draft.id)
    draft.update_by(people.manager, {"note": "first"})
    with pytest.raises(ConcurrentEdit):
        stale.update_by(people.manager, {"note": "second"})
    assert Quote.get_by_id(draft.id).note == "first"


def test_sending_records_an_interaction_and_freezes_the_quote(sent, people, products):
    assert sent.status == SENT and sent.sent_at is not None
    interaction = Interaction.get()
    assert interaction.customer_id == sent.customer_id and interaction.source == "manual"
    assert sent.number in interaction.summary and "25,899.99" in interaction.summary
    assert "断路器 DW15" in interaction.detail
    with pytest.raises(InvalidTransition):
        sent.update_by(people.manager, {"note": "changed"})
    with pytest.raises(InvalidTransition):
        sent.add_line_by(people.manager, line_values(products[0]))
    with pytest.raises(InvalidTransition):
        sent.lines().first().update_by(people.manager, line_values(products[0], quantity="9"))
    with pytest.raises(InvalidTransition):
        sent.lines().first().delete_by(people.manager)
    with pytest.raises(InvalidTransition):
        sent.delete_by(people.manager)
    with pytest.raises(InvalidTransition):
        sent.send_by(people.manager)
    assert Quote.get_by_id(sent.id).note == "含运费" and QuoteLine.select().count() == 2
    assert Interaction.select().count() == 1


def test_a_quote_without_lines_or_past_its_date_is_not_sent(customer, people, products):
    empty = Quote.create_by(people.manager, quote_values(customer))
    with pytest.raises(ValidationError) as refused:
        empty.send_by(people.manager)
    assert "lines" in refused.value.errors
    assert Quote.get_by_id(empty.id).status == DRAFT and Interaction.select().count() == 0
    empty.add_line_by(people.manager, line_values(products[0]))
    at(2026, 4, 1)
    with pytest.raises(ValidationError):
        Quote.get_by_id(empty.id).send_by(people.manager)
    assert Quote.get_by_id(empty.id).status == DRAFT


def test_accepting_drafts_exactly_one_contract_with_the_total(sent, people):
    accepted = sent.accept_by(people.manager)
    assert accepted.status == ACCEPTED
    contract = Contract.get()
    assert Contract.select().count() == 1 and accepted.contract_id == contract.id
    assert contract.status == CONTRACT_DRAFT and contract.amount == Decimal("25899.99")
    assert contract.customer_id == sent.customer_id and sent.number in contract.title
    assert "断路器 DW15" in contract.note and contract.created_by_id == people.manager.id
    with pytest.raises(InvalidTransition):
        Quote.get_by_id(sent.id).accept_by(people.manager)
    with pytest.raises(InvalidTransition):
        sent.accept_by(people.manager)  # the copy read before: refused by state and version
    assert Contract.select().count() == 1


def test_rejecting_a_sent_quote(sent, people):
    rejected = sent.reject_by(people.manager)
    assert rejected.status == REJECTED
    with pytest.raises(InvalidTransition):
        rejected.accept_by(people.manager)
    assert Contract.select().count() == 0


def test_a_sent_quote_past_its_date_is_expired_before_and_after_the_worker(sent, people):
    at(2026, 4, 1)
    quote = Quote.get_by_id(sent.id)
    assert quote.status == SENT and quote.shown_status() == EXPIRED
    for refused in (quote.accept_by, quote.reject_by):
        with pytest.raises(InvalidTransition):
            refused(people.manager)
    rows = list(kind("quote").query(people.manager, "", {"status": EXPIRED}).dicts())
    assert [row["id"] for row in rows] == [sent.id] and rows[0]["shown_status"] == EXPIRED
    assert list(kind("quote").query(people.manager, "", {"status": SENT})) == []
    assert expire_quotes(dt.date(2026, 4, 1)) == 1
    assert Quote.get_by_id(sent.id).status == EXPIRED
    assert expire_quotes(dt.date(2026, 4, 1)) == 0
    assert AuditLog.select().where((AuditLog.table_name == "quote")
                                   & (AuditLog.action == "expire")).count() == 1
    assert Contract.select().count() == 0


def test_expiry_spares_quotes_still_valid_and_those_not_sent(sent, customer, people):
    Quote.create_by(people.manager, quote_values(customer, valid_until="2026-03-02"))
    assert expire_quotes(dt.date(2026, 3, 31)) == 0  # valid through the 31st
    assert expire_quotes(dt.date(2026, 4, 1)) == 1
    assert Quote.select().where(Quote.status == DRAFT).count() == 1


def test_another_managers_quote_is_invisible_and_untouchable(sent, draft, people, products):
    other = people.other_manager
    assert Quote.visible_to(other).count() == 0
    with pytest.raises(NotFound):
        Quote.get_visible(other, sent.id)
    assert list(kind("quote").query(other, "", {})) == []
    with pytest.raises(PermissionDenied):
        sent.accept_by(other)
    with pytest.raises(PermissionDenied):
        sent.reject_by(other)
    fresh = Quote.create_by(people.manager, quote_values(sent.customer))
    with pytest.raises(PermissionDenied):
        fresh.update_by(other, {"note": "x"})
    with pytest.raises(PermissionDenied):
        fresh.add_line_by(other, line_values(products[0]))
    with pytest.raises(PermissionDenied):
        fresh.delete_by(other)
    with pytest.raises(ValidationError):
        Quote.create_by(other, quote_values(sent.customer))
    assert Quote.get_by_id(sent.id).status == SENT


def test_rights_by_role(sent, customer, people):
    assert Quote.visible_to(people.executive).count() == 1
    with pytest.raises(PermissionDenied):
        sent.reject_by(people.executive)
    with pytest.raises(PermissionDenied):
        Quote.create_by(people.executive, quote_values(customer))
    with pytest.raises(PermissionDenied):
        sent.accept_by(people.executive)
    assert sent.reject_by(people.supervisor).status == REJECTED
    theirs = Quote.create_by(people.supervisor, quote_values(customer))
    assert theirs.status == DRAFT


def test_a_supervisor_accepts_and_the_draft_is_the_account_managers(sent, customer, people):
    accepted = sent.accept_by(people.supervisor)
    contract = Contract.get_by_id(accepted.contract_id)
    # The draft is the customer's manager's: they plan and submit it, and
    # the supervisor who accepted the quote may still approve it.
    assert (contract.status, contract.created_by_id, contract.amount) == (
        "draft", people.manager.id, sent.total())
    assert AuditLog.get(AuditLog.table_name == "contract", AuditLog.row_id == contract.id,
                        AuditLog.action == "create").actor_id == people.supervisor.id
    with_plan(contract, people.manager, str(sent.total())).submit_by(people.manager)
    assert Contract.get_by_id(contract.id).approve_by(people.supervisor, {}).status == "approved"


def test_every_transition_of_the_graph_is_exercised():
    """The graph this file walks: a new transition needs a test here."""
    assert QUOTE_TRANSITIONS.actions == {"edit", "lines", "delete", "send", "accept", "reject",
                                         "expire"}
    assert QUOTE_TRANSITIONS.states == {DRAFT, SENT, ACCEPTED, REJECTED, EXPIRED}


def test_the_worker_expires_sent_quotes_past_their_date(sent, crm_db, people):
    from crm_tui.config import parse_config
    from crm_tui.models.churn import ONCE
    from crm_tui.worker import Worker

    at(2026, 4, 1)
    assert Worker(parse_config(""), crm_db, crm_db).run(ONCE)
    assert Quote.get_by_id(sent.id).status == EXPIRED


def test_the_line_picker_searches_products_by_name_and_model(crm_db):
    from crm_tui.models.quotes import describe_product, search_products

    Product.insert_many([{"name": f"电缆 YJV 3x{size}", "model": f"YJV-{size}", "unit": "米",
                          "price": Decimal("12.50")} for size in range(1, 301)]).execute()
    breaker = product("断路器 DW15", "333.33", "只")
    assert [value for value, _label in search_products("dw15", 10)] == [breaker.id]
    assert [value for value, _label in search_products("断路器", 10)] == [breaker.id]
    assert len(search_products("电缆", 50)) == 50
    assert [label for _value, label in search_products("yjv-30", 3)] == [
        "电缆 YJV 3x30 YJV-30 (12.50/米)", "电缆 YJV 3x300 YJV-300 (12.50/米)"]
    assert search_products("电缆 YJV-7 3x70", 10)[0][1].startswith("电缆 YJV 3x70 ")
    assert describe_product(breaker.id) == "断路器 DW15 GGD-1 (333.33/只)"


def test_a_line_added_from_a_copy_read_before_sending_is_refused(draft, people, products):
    before_sending = Quote.get_by_id(draft.id)
    draft.send_by(people.manager)
    with pytest.raises(InvalidTransition):
        before_sending.add_line_by(people.manager, line_values(products[0]))
    with pytest.raises(InvalidTransition):
        before_sending.update_by(people.manager, {"note": "late"})
    assert QuoteLine.select().count() == 2
    assert Quote.get_by_id(draft.id).total() == Decimal("25899.99")


def test_the_palette_finds_quotes_by_number_in_scope(sent, people):
    from crm_tui.commands import find_records

    assert [hit[:2] for hit in find_records(people.manager, "BJ2026")] == [("quote", sent.id)]
    assert find_records(people.other_manager, "BJ2026") == []


def test_the_list_sorts_by_every_column(sent, customer, people):
    from crm_tui.widgets.query_source import QuerySource

    Quote.create_by(people.manager, quote_values(customer))
    quote_kind = kind("quote")
    source = QuerySource(lambda text: quote_kind.query(people.manager, text, {}),
                         quote_kind.columns)
    for column in quote_kind.columns:
        for descending in (False, True):
            rows = source.fetch("", column, descending, 0, 10)
            assert len(rows) == 2, column.key
    by_total = source.fetch("", quote_kind.columns[2], True, 0, 10)
    assert [row["id"] for row in by_total][0] == sent.id
    assert Decimal(str(by_total[0]["total"])).quantize(Decimal("0.01")) == Decimal("25899.99")

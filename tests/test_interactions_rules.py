"""Interactions (交往记录): field rules, scope and rights, conflicts, audit,
and the cross-customer search."""
import datetime as dt

import pytest

from crm_tui.models import AuditLog, Contact, Customer, Interaction
from crm_tui.models.customers import (
    INTERACTION_FIELDS,
    interaction_export,
    interaction_search_query,
)
from crm_tui.models.errors import (
    ConcurrentEdit,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from tests.conftest import at, make_customer
from tests.test_contacts_rules import contact_values


def interaction_values(**overrides) -> dict:
    values = {"date": "2026-03-01", "place": "客户办公室", "summary": "洽谈年度采购",
              "detail": "", "note": ""}
    values.update(overrides)
    return values


def refused(actor, customer, **overrides) -> dict[str, str]:
    before = Interaction.select().count(), AuditLog.select().count()
    with pytest.raises(ValidationError) as error:
        Interaction.create_by(actor, customer, interaction_values(**overrides))
    assert (Interaction.select().count(), AuditLog.select().count()) == before
    return error.value.errors


@pytest.fixture
def customer(crm_db, people):
    return make_customer(people.manager, name="远大科技")


def test_the_required_fields_are_those_of_the_spec():
    assert {f.name for f in INTERACTION_FIELDS if f.required} == {"date", "place", "summary"}


def test_create_saves_who_and_when(crm_db, people, customer):
    at(2026, 3, 2, 15)
    interaction = Interaction.create_by(people.manager, customer, interaction_values())
    saved = Interaction.get_by_id(interaction.id)
    assert (saved.date, saved.source, saved.created_by_id, saved.created_at) == (
        dt.date(2026, 3, 1), "manual", people.manager.id, dt.datetime(2026, 3, 2, 15))
    assert AuditLog.get(AuditLog.table_name == "interaction").row_id == interaction.id


@pytest.mark.parametrize("name", ["date", "place", "summary"])
def test_a_missing_required_field_is_refused(crm_db, people, customer, name):
    assert refused(people.manager, customer, **{name: ""}) == {name: "required"}


@pytest.mark.parametrize("name", ["date", "place", "summary"])
def test_required_fields_stay_required_on_edit(crm_db, people, customer, name):
    interaction = Interaction.create_by(people.manager, customer, interaction_values())
    with pytest.raises(ValidationError):
        interaction.update_by(people.manager, {name: ""})
    assert Interaction.get_by_id(interaction.id).version == 1


@pytest.mark.parametrize("date", ["2026-13-01", "2026-02-30", "2026/03/01", "昨天", "20260301",
                                  "2026-3-1"])
def test_malformed_dates_are_refused(crm_db, people, customer, date):
    assert refused(people.manager, customer, date=date) == {"date": "not a date (YYYY-MM-DD)"}


@pytest.mark.parametrize("name,limit", [("place", 100), ("summary", 200), ("detail", 4000),
                                        ("note", 1000)])
def test_too_long_text_is_refused(crm_db, people, customer, name, limit):
    assert refused(people.manager, customer, **{name: "字" * (limit + 1)}) == {
        name: f"at most {limit} characters"}
    assert Interaction.create_by(people.manager, customer,
                                 interaction_values(**{name: "字" * limit})).id


def test_the_contact_must_be_one_of_the_customers(crm_db, people, customer):
    other = make_customer(people.manager, name="另一家")
    theirs = Contact.create_by(people.manager, other, contact_values())
    assert refused(people.manager, customer, contact=theirs.id) == {"contact": "not one of the choices"}
    assert refused(people.manager, customer, contact="x") == {"contact": "not one of the choices"}
    ours = Contact.create_by(people.manager, customer, contact_values(name="王芳", sex="F"))
    interaction = Interaction.create_by(people.manager, customer, interaction_values(contact=ours.id))
    assert interaction.contact_id == ours.id
    listed = Interaction.of_customer(people.manager, customer.id).first()
    assert listed.contact_name == "王芳"


def test_edit_and_delete_with_audit(crm_db, people, customer):
    interaction = Interaction.create_by(people.manager, customer, interaction_values())
    edited = interaction.update_by(people.manager, interaction_values(summary="签订合同"))
    assert (edited.summary, edited.version) == ("签订合同", 2)
    edited.delete_by(people.manager)
    assert Interaction.select().count() == 0
    actions = [(r.action, r.field) for r in AuditLog.select().where(
        AuditLog.table_name == "interaction").order_by(AuditLog.id)]
    assert actions == [("create", ""), ("update", "summary"), ("delete", "name")]


def test_a_stale_edit_is_refused(crm_db, people, customer):
    interaction = Interaction.create_by(people.manager, customer, interaction_values())
    stale = Interaction.get_by_id(interaction.id)
    interaction.update_by(people.manager, {"place": "上海"})
    with pytest.raises(ConcurrentEdit):
        stale.update_by(people.admin, {"place": "广州"})
    assert Interaction.get_by_id(interaction.id).place == "上海"


def test_another_managers_customer_is_out_of_reach(crm_db, people, customer):
    theirs = make_customer(people.other_manager)
    interaction = Interaction.create_by(people.other_manager, theirs, interaction_values())
    for attempt in (lambda: Interaction.create_by(people.manager, theirs, interaction_values()),
                    lambda: interaction.update_by(people.manager, {"place": "x"}),
                    lambda: interaction.delete_by(people.manager),
                    lambda: Interaction.create_by(people.executive, customer, interaction_values())):
        with pytest.raises(PermissionDenied):
            attempt()
    with pytest.raises(NotFound):
        Interaction.of_customer(people.manager, theirs.id)
    assert Interaction.select().count() == 1


def test_of_customer_is_newest_first(crm_db, people, customer):
    for date in ("2026-01-05", "2026-03-01", "2025-12-31"):
        Interaction.create_by(people.manager, customer, interaction_values(date=date, summary=date))
    assert [i.summary for i in Interaction.of_customer(people.manager, customer.id)] == [
        "2026-03-01", "2026-01-05", "2025-12-31"]


def search(user, *args, **kwargs) -> list[str]:
    return [row.summary for row in interaction_search_query(user, *args, **kwargs)]


def test_search_by_date_range_and_keyword_within_scope(crm_db, people, customer):
    theirs = make_customer(people.other_manager, name="南方电子")
    Interaction.create_by(people.manager, customer, interaction_values(date="2026-01-10", summary="报价"))
    Interaction.create_by(people.manager, customer, interaction_values(
        date="2026-02-10", summary="回访", detail="客户对报价满意"))
    Interaction.create_by(people.manager, customer, interaction_values(date="2026-03-10", summary="签约"))
    Interaction.create_by(people.other_manager, theirs, interaction_values(date="2026-02-11", summary="报价"))
    d = dt.date
    assert search(people.manager) == ["签约", "回访", "报价"]
    assert search(people.admin) == ["签约", "报价", "回访", "报价"]
    assert search(people.manager, d(2026, 2, 1), d(2026, 3, 10)) == ["签约", "回访"]
    assert search(people.manager, None, d(2026, 2, 10)) == ["回访", "报价"]
    assert search(people.manager, keyword="报价") == ["回访", "报价"]  # summary or detail
    assert search(people.supervisor, keyword="南方 报价") == ["报价"]  # customer name and summary
    assert search(people.supervisor, d(2026, 2, 1), d(2026, 2, 28), "远大") == ["回访"]


def test_search_hides_deleted_customers(crm_db, people, customer):
    Interaction.create_by(people.manager, customer, interaction_values())
    Customer.get_by_id(customer.id).delete_by(people.manager)
    assert search(people.admin) == []


def test_export_rows_of_a_search(crm_db, people, customer):
    contact = Contact.create_by(people.manager, customer, contact_values())
    Interaction.create_by(people.manager, customer, interaction_values(contact=contact.id))
    headers, rows = interaction_export(interaction_search_query(people.manager))
    assert headers[:3] == ["Date", "Number", "Name"]
    assert list(rows) == [[dt.date(2026, 3, 1), customer.number, "远大科技", "李明", "客户办公室",
                           "洽谈年度采购", "", ""]]

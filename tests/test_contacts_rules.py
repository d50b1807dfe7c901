"""Contacts (联系人): field rules, scope and rights, conflicts, audit."""
import pytest

from crm_tui.models import AuditLog, Contact, Customer, Interaction
from crm_tui.models.customers import CONTACT_FIELDS, LOST
from crm_tui.models.errors import (
    ConcurrentEdit,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from tests.conftest import make_customer


def contact_values(**overrides) -> dict:
    values = {"name": "李明", "sex": "M", "position": "采购经理", "office_phone": "010-62345678",
              "mobile": "13812345678", "email": "liming@example.com", "note": ""}
    values.update(overrides)
    return values


def refused(actor, customer, **overrides) -> dict[str, str]:
    before = Contact.select().count(), AuditLog.select().count()
    with pytest.raises(ValidationError) as error:
        Contact.create_by(actor, customer, contact_values(**overrides))
    assert (Contact.select().count(), AuditLog.select().count()) == before
    return error.value.errors


@pytest.fixture
def customer(crm_db, people):
    return make_customer(people.manager)


def test_the_required_fields_are_those_of_the_spec():
    assert {f.name for f in CONTACT_FIELDS if f.required} == {"name", "sex", "position", "office_phone"}


def test_create_saves_the_contact_with_an_audit_row(crm_db, people, customer):
    contact = Contact.create_by(people.manager, customer, contact_values())
    saved = Contact.get_by_id(contact.id)
    assert (saved.customer_id, saved.name, saved.sex, saved.email) == (
        customer.id, "李明", "M", "liming@example.com")
    row = AuditLog.get(AuditLog.table_name == "contact")
    assert (row.row_id, row.action, row.actor_id) == (contact.id, "create", people.manager.id)


@pytest.mark.parametrize("name", ["name", "sex", "position", "office_phone"])
def test_a_missing_required_field_is_refused(crm_db, people, customer, name):
    assert refused(people.manager, customer, **{name: ""}) == {name: "required"}


@pytest.mark.parametrize("name", ["name", "sex", "position", "office_phone"])
def test_required_fields_stay_required_on_edit(crm_db, people, customer, name):
    contact = Contact.create_by(people.manager, customer, contact_values())
    with pytest.raises(ValidationError) as error:
        contact.update_by(people.manager, {name: " "})
    assert error.value.errors == {name: "required"}
    assert Contact.get_by_id(contact.id).version == 1


@pytest.mark.parametrize("sex", ["X", "男", "MF", 1])
def test_sex_is_male_or_female(crm_db, people, customer, sex):
    assert refused(people.manager, customer, sex=sex) == {"sex": "not one of the choices"}


def test_sex_is_stored_as_m_or_f(crm_db, people, customer):
    assert Contact.create_by(people.manager, customer, contact_values(sex=" f")).sex == "F"


@pytest.mark.parametrize("name,limit", [("name", 50), ("position", 50), ("note", 1000)])
def test_too_long_text_is_refused(crm_db, people, customer, name, limit):
    assert refused(people.manager, customer, **{name: "x" * (limit + 1)}) == {
        name: f"at most {limit} characters"}


@pytest.mark.parametrize("name", ["office_phone", "mobile"])
def test_malformed_phones_are_refused(crm_db, people, customer, name):
    assert refused(people.manager, customer, **{name: "手机号"}) == {name: "not a phone number"}


@pytest.mark.parametrize("email", ["liming", "li ming@example.com", "li@example", "@example.com",
                                   "a" * 95 + "@x.com"])
def test_malformed_email_is_refused(crm_db, people, customer, email):
    errors = refused(people.manager, customer, email=email)
    assert list(errors) == ["email"]


def test_optional_fields_may_stay_blank(crm_db, people, customer):
    contact = Contact.create_by(people.manager, customer,
                                contact_values(mobile="", email="", note=""))
    assert (contact.mobile, contact.email) == ("", "")


def test_edit_records_each_changed_field(crm_db, people, customer):
    contact = Contact.create_by(people.manager, customer, contact_values())
    edited = contact.update_by(people.manager, contact_values(position="总经理", mobile=""))
    assert (edited.position, edited.mobile, edited.version) == ("总经理", "", 2)
    changes = {(r.field, r.old, r.new) for r in AuditLog.select().where(
        (AuditLog.table_name == "contact") & (AuditLog.action == "update"))}
    assert changes == {("position", "采购经理", "总经理"), ("mobile", "13812345678", "")}


def test_a_stale_edit_is_refused(crm_db, people, customer):
    contact = Contact.create_by(people.manager, customer, contact_values())
    stale = Contact.get_by_id(contact.id)
    contact.update_by(people.manager, {"position": "总经理"})
    with pytest.raises(ConcurrentEdit):
        stale.update_by(people.admin, {"position": "副总"})
    with pytest.raises(ConcurrentEdit):
        stale.delete_by(people.admin)
    assert Contact.get_by_id(contact.id).position == "总经理"


def test_editing_a_deleted_contact_says_it_is_gone(crm_db, people, customer):
    contact = Contact.create_by(people.manager, customer, contact_values())
    Contact.get_by_id(contact.id).delete_by(people.manager)
    with pytest.raises(NotFound):
        contact.update_by(people.manager, {"position": "总经理"})


def test_delete_keeps_the_interactions_without_the_contact(crm_db, people, customer):
    contact = Contact.create_by(people.manager, customer, contact_values())
    interaction = Interaction.create_by(people.manager, customer, {
        "date": "2026-03-01", "place": "北京", "summary": "拜访", "contact": contact.id})
    contact.delete_by(people.manager)
    assert not Contact.select().where(Contact.id == contact.id).exists()
    assert Interaction.get_by_id(interaction.id).contact_id is None
    row = AuditLog.get((AuditLog.table_name == "contact") & (AuditLog.action == "delete"))
    assert (row.row_id, row.old) == (contact.id, "李明")


def test_another_managers_customer_is_out_of_reach(crm_db, people, customer):
    theirs = make_customer(people.other_manager)
    contact = Contact.create_by(people.other_manager, theirs, contact_values())
    with pytest.raises(PermissionDenied):
        Contact.create_by(people.manager, theirs, contact_values())
    with pytest.raises(PermissionDenied):
        contact.update_by(people.manager, {"name": "x"})
    with pytest.raises(PermissionDenied):
        contact.delete_by(people.manager)
    with pytest.raises(NotFound):
        Contact.of_customer(people.manager, theirs.id)
    assert Contact.select().count() == 1


def test_read_only_roles_cannot_write_and_admins_can(crm_db, people, customer):
    for reader in (people.executive, people.supervisor):
        with pytest.raises(PermissionDenied):
            Contact.create_by(reader, customer, contact_values())
    assert Contact.create_by(people.admin, customer, contact_values()).customer_id == customer.id
    assert [c.name for c in Contact.of_customer(people.executive, customer.id)] == ["李明"]


def test_a_deleted_customers_contacts_are_closed(crm_db, people, customer):
    contact = Contact.create_by(people.manager, customer, contact_values())
    Customer.get_by_id(customer.id).delete_by(people.manager)
    with pytest.raises(NotFound):
        Contact.create_by(people.manager, customer, contact_values())
    with pytest.raises(NotFound):
        contact.update_by(people.manager, {"name": "x"})


def test_a_lost_customers_contacts_stay_open(crm_db, people, customer):
    Customer.update(status=LOST).where(Customer.id == customer.id).execute()
    assert Contact.create_by(people.manager, customer.id, contact_values()).id


def test_an_unknown_customer_is_not_found(crm_db, people, customer):
    with pytest.raises(NotFound):
        Contact.create_by(people.admin, 999999, contact_values())
    with pytest.raises(NotFound):
        Contact.create_by(people.admin, "abc", contact_values())

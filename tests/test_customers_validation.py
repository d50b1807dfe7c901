"""Every field rule of the customer form, on create and on edit; the edit
conflict; which customers can be changed at all."""
import pytest

from crm_tui.models import AuditLog, Customer
from crm_tui.models.accounts import set_active
from crm_tui.models.customers import CUSTOMER_FIELDS, LOST, NORMAL, customer_list_query
from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION
from crm_tui.models.errors import (
    ConcurrentEdit,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from tests.conftest import customer_values, entry, make_customer

REQUIRED = [field.name for field in CUSTOMER_FIELDS if field.required]
TEXT_LIMITS = [(field.name, field.max_length) for field in CUSTOMER_FIELDS if field.kind == "text"]


def refused(people, **overrides) -> dict[str, str]:
    """The field errors of creating a customer with `overrides`; checks that
    nothing was written."""
    values = customer_values(people.manager)
    values.update(overrides)
    customers, audit_rows = Customer.select().count(), AuditLog.select().count()
    with pytest.raises(ValidationError) as error:
        Customer.create_by(people.admin, values)
    assert (Customer.select().count(), AuditLog.select().count()) == (customers, audit_rows)
    return error.value.errors


def test_the_required_fields_are_those_of_the_spec():
    assert set(REQUIRED) == {
        "name", "region", "manager", "level", "satisfaction", "credit", "address", "postcode",
        "phone", "legal_representative", "bank", "bank_account", "local_tax_number",
        "national_tax_number"}


@pytest.mark.parametrize("name", REQUIRED)
def test_a_missing_required_field_is_refused_at_that_field(crm_db, people, name):
    assert refused(people, **{name: "  "}) == {name: "required"}


@pytest.mark.parametrize("name", REQUIRED)
def test_required_fields_stay_required_on_edit(crm_db, people, name):
    customer = make_customer(people.manager)
    with pytest.raises(ValidationError) as error:
        customer.update_by(people.manager, {name: ""})
    assert error.value.errors == {name: "required"}
    assert Customer.get_by_id(customer.id).version == customer.version


@pytest.mark.parametrize("name,limit", TEXT_LIMITS)
def test_too_long_text_is_refused(crm_db, people, name, limit):
    assert refused(people, **{name: "长" * (limit + 1)}) == {name: f"at most {limit} characters"}
    customer = make_customer(people.manager, **{name: "长" * limit})
    assert getattr(customer, name) == "长" * limit


@pytest.mark.parametrize("name", ["satisfaction", "credit"])
@pytest.mark.parametrize("value,message", [
    ("0", "must be from 1 to 5"), ("6", "must be from 1 to 5"), ("-1", "must be from 1 to 5"),
    ("4.5", "not a whole number"), ("很好", "not a whole number"),
    ("9" * 5000, "not a whole number"),
])
def test_satisfaction_and_credit_are_whole_numbers_from_1_to_5(crm_db, people, name, value, message):
    assert refused(people, **{name: value}) == {name: message}


@pytest.mark.parametrize("value", ["1", "5", " 3 "])
def test_satisfaction_in_range_is_saved(crm_db, people, value):
    assert make_customer(people.manager, satisfaction=value).satisfaction == int(value)


@pytest.mark.parametrize("name", ["registered_capital", "annual_turnover"])
@pytest.mark.parametrize("value,message", [
    ("-1", "must be from 0 to None"), ("lots", "not a number"), ("NaN", "not a number"),
    ("Infinity", "not a number"), ("1e12", "not a number"),
])
def test_money_fields_are_non_negative_numbers(crm_db, people, name, value, message):
    errors = refused(people, **{name: value})
    assert list(errors) == [name]
    if message != "must be from 0 to None":
        assert errors[name] == message


def test_money_is_kept_to_the_cent(crm_db, people):
    customer = make_customer(people.manager, registered_capital="1234.567", annual_turnover="")
    saved = Customer.get_by_id(customer.id)
    assert str(saved.registered_capital) == "1234.57"
    assert saved.annual_turnover is None


@pytest.mark.parametrize("name", ["phone", "fax"])
@pytest.mark.parametrize("value", ["call me", "12", "010-6234567x", "+" + "1" * 30])
def test_malformed_phone_numbers_are_refused(crm_db, people, name, value):
    assert refused(people, **{name: value}) == {name: "not a phone number"}


@pytest.mark.parametrize("value", ["010-62345678", "+86 10 6234 5678", "0755-8888 6666", "13812345678"])
def test_phone_numbers_people_write_are_accepted(crm_db, people, value):
    assert make_customer(people.manager, phone=value, fax=value).phone == value


@pytest.mark.parametrize("value", ["10008", "1000800", "1000a0", "１０００８０"])
def test_a_postcode_has_six_digits(crm_db, people, value):
    assert refused(people, postcode=value) == {"postcode": "a postcode has six digits"}


@pytest.mark.parametrize("value", ["not a site", "http://", "www", "http://exa mple.com"])
def test_malformed_websites_are_refused(crm_db, people, value):
    assert refused(people, website=value) == {"website": "not a web address"}


def test_control_characters_are_refused(crm_db, people):
    assert refused(people, name="远大\x00科技") == {"name": "contains control characters"}
    assert refused(people, address="a\ud800b") == {"address": "contains characters that cannot be stored"}


def test_region_and_level_come_from_their_dictionary_types(crm_db, people):
    errors = refused(people, region=entry(CUSTOMER_LEVEL, "大客户").id, level=entry(REGION, "北京").id)
    assert errors == {"region": "not one of the choices", "level": "not one of the choices"}
    assert refused(people, region="北京") == {"region": "not one of the choices"}
    assert refused(people, level=10**40) == {"level": "not one of the choices"}


def test_the_manager_is_an_active_account_manager(crm_db, people):
    assert refused(people, manager=people.supervisor.id) == {"manager": "not an active account manager"}
    set_active(None, people.other_manager, False)
    errors = refused(people, manager=people.other_manager.id)
    assert errors == {"manager": "not an active account manager"}


def test_unknown_fields_are_refused(crm_db, people):
    assert refused(people, status="deleted") == {"status": "not a field of this form"}
    assert refused(people, number="KH1") == {"number": "not a field of this form"}


def test_every_wrong_field_is_named_at_once(crm_db, people):
    errors = refused(people, name="", credit="9", postcode="x", phone="y", bank="")
    assert set(errors) == {"name", "credit", "postcode", "phone", "bank"}


def test_a_bad_edit_changes_nothing(crm_db, people):
    customer = make_customer(people.manager, name="原名")
    with pytest.raises(ValidationError):
        customer.update_by(people.manager, {"name": "新名", "postcode": "abc"})
    saved = Customer.get_by_id(customer.id)
    assert (saved.name, saved.version) == ("原名", customer.version)
    assert AuditLog.select().where(AuditLog.action == "update").count() == 0


def test_two_people_editing_the_same_customer(crm_db, people):
    """The manager and an administrator open the same customer; the manager
    saves first; the administrator's save is refused, not silently lost."""
    customer = make_customer(people.manager, phone="010-11111111")
    opened_by_manager = Customer.get_by_id(customer.id)
    opened_by_admin = Customer.get_by_id(customer.id)
    opened_by_manager.update_by(people.manager, {"phone": "010-22222222"})
    with pytest.raises(ConcurrentEdit) as error:
        opened_by_admin.update_by(people.admin, {"address": "上海市浦东新区"})
    assert "changed this record after you opened it" in str(error.value)
    saved = Customer.get_by_id(customer.id)
    assert (saved.phone, saved.address, saved.version) == ("010-22222222", customer.address, 2)
    # Opened again, the edit goes through.
    Customer.get_by_id(customer.id).update_by(people.admin, {"address": "上海市浦东新区"})
    assert Customer.get_by_id(customer.id).address == "上海市浦东新区"


def test_a_stale_delete_is_refused(crm_db, people):
    customer = make_customer(people.manager)
    stale = Customer.get_by_id(customer.id)
    customer.update_by(people.manager, {"name": "改名"})
    with pytest.raises(ConcurrentEdit):
        stale.delete_by(people.manager)
    assert Customer.get_by_id(customer.id).status == NORMAL


def test_only_normal_customers_can_be_edited_or_deleted(crm_db, people):
    customer = make_customer(people.manager)
    Customer.update(status=LOST).where(Customer.id == customer.id).execute()
    lost = Customer.get_by_id(customer.id)
    with pytest.raises(InvalidTransition):
        lost.update_by(people.manager, {"name": "x"})
    with pytest.raises(InvalidTransition):
        lost.delete_by(people.manager)


def test_deleting_twice_is_refused(crm_db, people):
    customer = make_customer(people.manager)
    Customer.get_by_id(customer.id).delete_by(people.manager)
    with pytest.raises((ConcurrentEdit, InvalidTransition)):
        customer.delete_by(people.manager)
    with pytest.raises(InvalidTransition):
        Customer.get_by_id(customer.id).delete_by(people.manager)


def test_an_account_manager_cannot_give_a_customer_away(crm_db, people):
    customer = make_customer(people.manager)
    with pytest.raises(PermissionDenied):
        customer.update_by(people.manager, {"manager": people.other_manager.id})
    moved = customer.update_by(people.admin, {"manager": people.other_manager.id})
    assert moved.manager_id == people.other_manager.id
    assert [c.id for c in customer_list_query(people.other_manager)] == [customer.id]
    assert customer_list_query(people.manager).count() == 0


def test_an_unchanged_amount_leaves_no_audit_row(crm_db, people):
    customer = make_customer(people.manager, registered_capital="500")
    saved = Customer.get_by_id(customer.id)
    saved.update_by(people.manager, customer_values(people.manager, name="新名"))
    changed = [row.field for row in AuditLog.select().where(AuditLog.action == "update")]
    assert changed == ["name"]

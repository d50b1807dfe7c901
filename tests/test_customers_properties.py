"""Random input to the customer, contact and interaction rules: each call
either saves cleanly or raises ValidationError naming fields of the form;
never another exception, never a partial write."""
import datetime as dt

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from crm_tui.models import AuditLog, Contact, Customer, Interaction
from crm_tui.models.customers import CONTACT_FIELDS, CUSTOMER_FIELDS, INTERACTION_FIELDS
from crm_tui.models.errors import ValidationError
from tests.conftest import customer_values, make_customer
from tests.test_contacts_rules import contact_values
from tests.test_interactions_rules import interaction_values

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# What a person could type, paste or a script could pass.
any_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=300)
plausible = st.sampled_from(["", " ", "3", "0", "6", "-1", "1.5", "1e3", "NaN", "2026-02-29",
                             "2025-02-29", "100080", "010-62345678", "a@b.cn", "M", "F", "北京",
                             "x" * 101, "\x00", "\ud800", "1" * 5000])
anything = st.one_of(any_text, plausible, st.none(), st.integers(), st.booleans(),
                     st.floats(allow_nan=True), st.dates(), st.decimals(allow_nan=True),
                     st.lists(st.integers(), max_size=2))


def form(fields, valid: dict):
    """Valid values with some fields replaced by random input, some left out,
    now and then a field the form does not have."""
    names = [field.name for field in fields]
    replaced = st.dictionaries(st.sampled_from(names), anything, max_size=len(names))
    dropped = st.sets(st.sampled_from(names), max_size=3)
    extra = st.dictionaries(st.sampled_from(["status", "version", "customer", "id"]), anything,
                            max_size=1)

    def build(parts):
        replace, drop, unknown = parts
        values = {name: value for name, value in valid.items() if name not in drop}
        values.update(replace)
        values.update(unknown if len(unknown) and len(replace) % 5 == 0 else {})
        return values
    return st.tuples(replaced, dropped, extra).map(build)


def counts():
    return (Customer.select().count(), Contact.select().count(), Interaction.select().count(),
            AuditLog.select().count())


def attempt(write, fields):
    """Run `write`; return True if it saved, False if refused at known fields."""
    try:
        write()
        event("saved")
        return True
    except ValidationError as error:
        event("refused")
        assert error.errors, "a refusal names at least one field"
        known = {field.name for field in fields} | {"status", "version", "customer", "id"}
        assert set(error.errors) <= known
        return False


def check_text_saved_as_typed(record, fields, values):
    for field in fields:
        value = values.get(field.name)
        if field.kind in ("text", "phone", "postcode", "email", "website") and isinstance(value, str):
            assert getattr(record, field.name) == value.strip()


@pytest.fixture
def valid_customer(crm_db, people):
    return customer_values(people.manager)


@SETTINGS
@given(data=st.data())
def test_customer_create_with_random_input(crm_db, people, valid_customer, data):
    values = data.draw(form(CUSTOMER_FIELDS, valid_customer))
    before = counts()
    saved = attempt(lambda: Customer.create_by(people.admin, values), CUSTOMER_FIELDS)
    after = counts()
    if saved:
        assert after == (before[0] + 1, before[1], before[2], before[3] + 1)
        record = Customer.select().order_by(Customer.id.desc()).first()
        check_text_saved_as_typed(record, CUSTOMER_FIELDS, values)
        assert 1 <= record.satisfaction <= 5 and 1 <= record.credit <= 5
    else:
        assert after == before


@SETTINGS
@given(data=st.data())
def test_customer_edit_with_random_input(crm_db, people, valid_customer, data):
    customer = Customer.select().first() or make_customer(people.manager)
    values = data.draw(form(CUSTOMER_FIELDS, {}))
    before, version = counts(), customer.version
    saved = attempt(lambda: customer.update_by(people.admin, values), CUSTOMER_FIELDS)
    record = Customer.get_by_id(customer.id)
    if saved:
        assert record.version == version + 1
        check_text_saved_as_typed(record, CUSTOMER_FIELDS, values)
    else:
        assert counts() == before and record.version == version
        assert record.__data__ == customer.__data__


@SETTINGS
@given(data=st.data())
def test_contact_create_and_edit_with_random_input(crm_db, people, data):
    customer = Customer.select().first() or make_customer(people.manager)
    values = data.draw(form(CONTACT_FIELDS, contact_values()))
    before = counts()
    saved = attempt(lambda: Contact.create_by(people.manager, customer, values), CONTACT_FIELDS)
    after = counts()
    assert after == ((before[0], before[1] + 1, before[2], before[3] + 1) if saved else before)
    if saved:
        record = Contact.select().order_by(Contact.id.desc()).first()
        check_text_saved_as_typed(record, CONTACT_FIELDS, values)
        assert record.sex in ("M", "F")
        edit = data.draw(form(CONTACT_FIELDS, {}))
        edited = attempt(lambda: record.update_by(people.manager, edit), CONTACT_FIELDS)
        reread = Contact.get_by_id(record.id)
        assert reread.version == (2 if edited else 1)
        if not edited:
            assert reread.__data__ == record.__data__


@SETTINGS
@given(data=st.data())
def test_interaction_create_and_edit_with_random_input(crm_db, people, data):
    customer = Customer.select().first() or make_customer(people.manager)
    values = data.draw(form(INTERACTION_FIELDS, interaction_values()))
    before = counts()
    saved = attempt(lambda: Interaction.create_by(people.manager, customer, values),
                    INTERACTION_FIELDS)
    after = counts()
    assert after == ((before[0], before[1], before[2] + 1, before[3] + 1) if saved else before)
    if saved:
        record = Interaction.select().order_by(Interaction.id.desc()).first()
        check_text_saved_as_typed(record, INTERACTION_FIELDS, values)
        assert isinstance(record.date, dt.date)
        edit = data.draw(form(INTERACTION_FIELDS, {}))
        edited = attempt(lambda: record.update_by(people.manager, edit), INTERACTION_FIELDS)
        assert Interaction.get_by_id(record.id).version == (2 if edited else 1)

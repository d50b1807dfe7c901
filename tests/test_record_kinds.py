"""The record kinds as data: every kind is complete and its keys are free."""
from __future__ import annotations

from crm_tui.i18n import strings
from crm_tui.models.kinds import all_kinds
from crm_tui.widgets.lazy_table import LazyTableView

# Keys the list itself uses (move, open, search, sort, columns).
TABLE_KEYS = {key for binding in LazyTableView.BINDINGS for key in binding.key.split(",")}


def test_no_action_key_is_taken_by_the_list():
    for record_kind in all_kinds():
        for action in record_kind.actions:
            assert action.key not in TABLE_KEYS, (record_kind.name, action.id, action.key)


def test_a_kind_binds_each_key_once():
    for record_kind in all_kinds():
        keys = [action.key for action in record_kind.actions]
        assert len(keys) == len(set(keys)), record_kind.name


def test_every_label_and_text_is_translated():
    for locale in ("en", "zh_CN"):
        texts = strings(locale)
        for record_kind in all_kinds():
            for action in record_kind.actions:
                for key in (action.label, action.title, action.ask, action.done):
                    if isinstance(key, str) and key:
                        assert key in texts, (locale, record_kind.name, key)
            for column in record_kind.columns:
                assert column.label_key in texts, (locale, record_kind.name, column.label_key)


def test_related_kinds_exist():
    names = {record_kind.name for record_kind in all_kinds()}
    for record_kind in all_kinds():
        for related in (record_kind.opens, record_kind.parent, record_kind.child,
                        *record_kind.changes):
            assert related is None or related in names, (record_kind.name, related)


def test_the_state_graphs_name_only_real_states():
    for record_kind in all_kinds():
        if record_kind.transitions is None:
            continue
        for status in record_kind.status_filters:
            assert status in record_kind.transitions.states, (record_kind.name, status)


def test_records_of_an_owner_are_read_only_through_a_visible_owner(crm_db, people):
    """A contact, an instalment: found for whoever sees the customer or
    the contract, NotFound for another account manager (and for no id)."""
    import pytest

    from crm_tui.models import Contract, Contact
    from crm_tui.models.errors import NotFound
    from crm_tui.models.kinds import kind
    from tests.conftest import at, make_customer
    from tests.test_contacts_rules import contact_values
    from tests.test_contracts import contract_values

    at(2026, 3, 1)
    customer = make_customer(people.manager)
    contact = Contact.create_by(people.manager, customer, contact_values())
    contract = Contract.create_by(people.manager, contract_values(customer))
    instalment = contract.add_instalment_by(people.manager, {"due_date": "2026-04-01",
                                                             "amount": "1000"})
    for kind_name, record in (("contact", contact), ("instalment", instalment)):
        get = kind(kind_name).get
        assert get(people.manager, record.id).id == record.id
        assert get(people.supervisor, record.id).id == record.id
        for user, wanted in ((people.other_manager, record.id), (people.manager, "x")):
            with pytest.raises(NotFound):
                get(user, wanted)

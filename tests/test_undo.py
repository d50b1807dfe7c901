"""Undo from the audit log (SQLite and PostgreSQL): a field edit, a create,
a soft delete; only one's own last change (the administrator any);
refused with the reason when the record moved on; audited itself."""
from __future__ import annotations

import pytest

from crm_tui.models import AuditLog, Contact, Customer, Opportunity
from crm_tui.models.customers import DELETED, NORMAL
from crm_tui.models.errors import ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied
from crm_tui.models.undo import (UNDO, Change, last_change, register_inverse, undo_by,
                                 undo_last_by)
from tests.conftest import at, make_customer
from tests.test_contacts_rules import contact_values
from tests.test_opportunities import new_opportunity


def last_row(table: str, row_id: int) -> AuditLog:
    return (AuditLog.select().where((AuditLog.table_name == table) & (AuditLog.row_id == row_id))
            .order_by(AuditLog.id.desc()).first())


def test_undo_a_field_edit_puts_the_old_values_back(crm_db, people):
    at(2026, 3, 1)
    customer = make_customer(people.manager, name="华东电力")
    customer = customer.update_by(people.manager, {"name": "华东电力集团", "postcode": "200000"})
    change = last_change(people.manager)
    assert (change.table, change.action, set(change.fields())) == (
        "customer", "update", {"name", "postcode"})
    undo_last_by(people.manager)
    stored = Customer.get_by_id(customer.id)
    assert (stored.name, stored.postcode) == ("华东电力", "100080")
    # Audited: the edit back, and the mark that the change was undone.
    rows = list(AuditLog.select().where(AuditLog.id > change.last_id).order_by(AuditLog.id))
    assert [(row.action, row.field, row.old, row.new) for row in rows] == [
        ("update", "name", "华东电力集团", "华东电力"), ("update", "postcode", "200000", "100080"),
        (UNDO, "change", "", change.key)]
    assert all(row.actor_id == people.manager.id for row in rows)
    # The same change cannot be undone twice; undoing the undo redoes.
    with pytest.raises(InvalidTransition):
        undo_by(people.admin, change.first.id)
    undo_last_by(people.manager)
    assert Customer.get_by_id(customer.id).name == "华东电力集团"


def test_refused_when_the_record_moved_on(crm_db, people):
    customer = make_customer(people.manager)
    customer.update_by(people.manager, {"phone": "010-1111111"})
    change = last_change(people.manager)
    # The administrator saves the customer afterwards.
    Customer.get_by_id(customer.id).update_by(people.admin, {"fax": "010-2222222"})
    with pytest.raises(ConcurrentEdit) as refusal:
        undo_by(people.admin, change.first.id)
    assert "admin" in str(refusal.value)
    assert Customer.get_by_id(customer.id).phone == "010-1111111"
    # Nothing written by the refusal.
    assert not AuditLog.select().where(AuditLog.action == UNDO).exists()


def test_refused_when_a_field_changed_without_an_audit_row(crm_db, people):
    customer = make_customer(people.manager)
    customer.update_by(people.manager, {"phone": "010-1111111"})
    Customer.update(phone="010-9999999").where(Customer.id == customer.id).execute()
    with pytest.raises(ConcurrentEdit):
        undo_last_by(people.manager)
    assert Customer.get_by_id(customer.id).phone == "010-9999999"


def test_only_ones_own_last_change_unless_administrator(crm_db, people):
    customer = make_customer(people.manager)
    customer = customer.update_by(people.manager, {"phone": "010-1111111"})
    first = last_change(people.manager)
    other = make_customer(people.manager, name="西北钢铁")
    # Not the manager's last change any more.
    with pytest.raises(InvalidTransition):
        undo_by(people.manager, first.first.id)
    # Another user's change.
    with pytest.raises(PermissionDenied):
        undo_by(people.other_manager, first.first.id)
    with pytest.raises(PermissionDenied):
        undo_by(people.supervisor, first.first.id)
    # The administrator may undo any change.
    undo_by(people.admin, first.first.id)
    assert Customer.get_by_id(customer.id).phone == "010-62345678"
    assert Customer.get_by_id(other.id).status == NORMAL


def test_undo_a_create_deletes_where_the_rules_allow(crm_db, people):
    customer = make_customer(people.manager)
    undo_last_by(people.manager)
    assert Customer.get_by_id(customer.id).status == DELETED  # a soft delete
    # ... and undoing that (the delete's own undo) restores it.
    undo_last_by(people.manager)
    assert Customer.get_by_id(customer.id).status == NORMAL

    opportunity = new_opportunity(people.manager)
    undo_last_by(people.manager)
    assert not Opportunity.select().where(Opportunity.id == opportunity.id).exists()

    contact = Contact.create_by(people.manager, Customer.get_by_id(customer.id),
                                contact_values())
    assert last_change(people.manager).table == "contact"
    undo_last_by(people.manager)
    assert not Contact.select().where(Contact.id == contact.id).exists()


def test_undo_an_assigned_opportunitys_create_is_refused_by_its_rules(crm_db, people):
    opportunity = new_opportunity(people.manager)
    created = last_change(people.manager)
    opportunity.assign_by(people.supervisor, people.manager.id)
    # Moved on (assigned), so refused before the rules are even asked.
    with pytest.raises(ConcurrentEdit):
        undo_by(people.admin, created.first.id)
    # An assignment has no inverse.
    assign = Change.of(last_row("opportunity", opportunity.id).id)
    with pytest.raises(InvalidTransition):
        undo_by(people.admin, assign.first.id)
    assert Opportunity.get_by_id(opportunity.id).status == "assigned"


def test_undo_a_soft_delete_restores(crm_db, people):
    customer = make_customer(people.manager)
    customer.delete_by(people.manager)
    undo_last_by(people.manager)
    assert Customer.get_by_id(customer.id).status == NORMAL
    assert last_row("customer", customer.id).action == UNDO


def test_an_action_registers_its_own_inverse(crm_db, people):
    customer = make_customer(people.manager)
    from crm_tui.models import audit

    audit.record(people.manager, "customer", customer.id, "stamp", {"note": ("", "x")})
    with pytest.raises(InvalidTransition):
        undo_last_by(people.manager)
    seen = []
    register_inverse("stamp", lambda change, actor: seen.append((change.fields(), actor.id)),
                     table="customer")
    try:
        undo_last_by(people.manager)
    finally:
        from crm_tui.models.undo import _INVERSES
        _INVERSES.pop(("customer", "stamp"))
    assert seen == [({"note": ("", "x")}, people.manager.id)]


def test_nothing_to_undo(crm_db, people):
    with pytest.raises(NotFound):
        undo_last_by(people.other_manager)


def test_a_table_without_a_record_kind_has_no_generic_inverse(crm_db, people):
    from crm_tui.models import accounts

    accounts.create_user(people.admin, "qian", "钱经理", "manager", "long enough pw")
    with pytest.raises(InvalidTransition):
        undo_last_by(people.admin)

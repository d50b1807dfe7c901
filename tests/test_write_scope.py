"""Writes check ownership in the database, not in the copy in memory: an
account manager who changes customer_id, manager_id, created_by_id or
opportunity_id on a loaded object still cannot touch another manager's
records. The ownership condition is part of each write's own WHERE."""
from __future__ import annotations

import pytest

from crm_tui.documents import DocumentStore
from crm_tui.models import (ChurnAlert, Contact, Customer, Document, Interaction, Opportunity,
                            PlanItem)
from crm_tui.models.churn import WARNING, scan
from crm_tui.models.customers import DELETED, NORMAL
from crm_tui.models.errors import CrmError, PermissionDenied
from tests.conftest import at, make_customer
from tests.test_opportunities import new_opportunity


@pytest.fixture
def theirs(crm_db, people):
    """A customer of people.other_manager with a contact and an interaction."""
    customer = make_customer(people.other_manager, name="赵的客户")
    contact = Contact.create_by(people.other_manager, customer, {
        "name": "孙丽", "sex": "F", "position": "采购", "office_phone": "010-66667777"})
    interaction = Interaction.create_by(people.other_manager, customer, {
        "date": "2026-03-01", "place": "北京", "summary": "初次拜访"})
    return customer, contact, interaction


@pytest.fixture
def mine(crm_db, people):
    return make_customer(people.manager, name="王的客户")


def test_a_contact_moved_in_memory_to_own_customer_stays_untouched(theirs, mine, people):
    _, contact, _ = theirs
    contact.customer_id = mine.id
    with pytest.raises(PermissionDenied):
        contact.update_by(people.manager, {"name": "改掉"})
    with pytest.raises(PermissionDenied):
        contact.delete_by(people.manager)
    assert Contact.get_by_id(contact.id).name == "孙丽"


def test_an_interaction_moved_in_memory_stays_untouched(theirs, mine, people):
    _, _, interaction = theirs
    interaction.customer_id = mine.id
    interaction.created_by_id = people.manager.id
    with pytest.raises(PermissionDenied):
        interaction.update_by(people.manager, {"summary": "改掉"})
    with pytest.raises(PermissionDenied):
        interaction.delete_by(people.manager)
    assert Interaction.get_by_id(interaction.id).summary == "初次拜访"


def test_a_customer_whose_manager_is_changed_in_memory_stays_untouched(theirs, people):
    customer, _, _ = theirs
    customer.manager_id = people.manager.id
    with pytest.raises(PermissionDenied):
        customer.update_by(people.manager, {"name": "改掉"})
    with pytest.raises(PermissionDenied):
        customer.delete_by(people.manager)
    stored = Customer.get_by_id(customer.id)
    assert (stored.name, stored.status, stored.manager_id) == ("赵的客户", NORMAL,
                                                               people.other_manager.id)


def test_a_document_moved_in_memory_is_neither_deleted_nor_exported(theirs, mine, people,
                                                                    tmp_path):
    customer, _, _ = theirs
    store = DocumentStore(tmp_path / "store", max_size_mb=1, upload_folders=(tmp_path,),
                          export_folder=tmp_path)
    source = tmp_path / "合同.txt"
    source.write_bytes(b"contract")
    document = Document.attach(people.other_manager, customer.id, source, store)
    document.customer_id = mine.id
    with pytest.raises(CrmError):
        document.export_by(people.manager, tmp_path / "out.txt", store)
    assert not (tmp_path / "out.txt").exists()
    with pytest.raises(PermissionDenied):
        document.delete_by(people.manager, store)
    assert Document.select().where(Document.id == document.id).exists()
    assert store.has(document.sha256)


def test_a_churn_alert_moved_in_memory_cannot_be_acted_on(crm_db, people):
    at(2026, 1, 1)
    theirs = make_customer(people.other_manager, name="赵的客户")
    mine = make_customer(people.manager, name="王的客户")
    at(2026, 7, 2)
    scan(6)
    alert = ChurnAlert.get(ChurnAlert.customer == theirs.id)
    alert.customer_id = mine.id
    with pytest.raises(PermissionDenied):
        alert.defer_by(people.manager, {"measure": "拜访"})
    ChurnAlert.get(ChurnAlert.customer == theirs.id).defer_by(people.other_manager,
                                                              {"measure": "电话"})
    alert = ChurnAlert.get(ChurnAlert.customer == theirs.id)
    alert.customer_id = mine.id
    with pytest.raises(PermissionDenied):
        alert.confirm_by(people.manager, {"reason": "搬走了"})
    assert ChurnAlert.get_by_id(alert.id).status != WARNING  # deferred by its own manager
    assert Customer.get_by_id(theirs.id).status == NORMAL
    assert Customer.get_by_id(mine.id).status == NORMAL


def test_an_opportunity_whose_creator_is_changed_in_memory_stays_untouched(crm_db, people):
    opportunity = new_opportunity(people.other_manager)
    opportunity.created_by_id = people.manager.id
    with pytest.raises(PermissionDenied):
        opportunity.update_by(people.manager, {"summary": "改掉"})
    with pytest.raises(PermissionDenied):
        opportunity.delete_by(people.manager)
    assert Opportunity.get_by_id(opportunity.id).summary != "改掉"


def test_a_plan_item_moved_in_memory_to_own_plan_stays_untouched(crm_db, people):
    theirs = new_opportunity(people.supervisor).assign_by(people.supervisor, people.other_manager)
    mine = new_opportunity(people.supervisor).assign_by(people.supervisor, people.manager)
    item = theirs.add_plan_item(people.other_manager, {"date": "2026-04-01", "content": "拜访"})
    item.opportunity_id = mine.id
    with pytest.raises(PermissionDenied):
        item.update_content_by(people.manager, {"content": "改掉"})
    with pytest.raises(PermissionDenied):
        item.record_result_by(people.manager, {"result": "改掉"})
    with pytest.raises(PermissionDenied):
        item.delete_by(people.manager)
    stored = PlanItem.get_by_id(item.id)
    assert (stored.content, stored.result) == ("拜访", "")


def test_own_records_still_change(theirs, mine, people):
    contact = Contact.create_by(people.manager, mine, {
        "name": "周", "sex": "M", "position": "经理", "office_phone": "010-11112222"})
    assert contact.update_by(people.manager, {"name": "周明"}).name == "周明"
    assert mine.update_by(people.manager, {"name": "王的新客户"}).name == "王的新客户"
    Customer.get_by_id(mine.id).delete_by(people.manager)
    assert Customer.get_by_id(mine.id).status == DELETED

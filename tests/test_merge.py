"""Merging two customers: every record of the merged one moves to the kept
one, the fields chosen from either side are kept, the merged number stays
an alias for the sales system's orders, and an administrator undoes it all
from the audit row. On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from crm_tui.models import (AuditLog, ChurnAlert, Contact, Contract, Customer, Document,
                            Interaction, MailMessage, Opportunity, Quote, Service)
from crm_tui.models.customers import DELETED, NORMAL
from crm_tui.models.errors import (ConcurrentEdit, InvalidTransition, NotFound,
                                   PermissionDenied, ValidationError)
from crm_tui.models.merge import (MERGE, MERGE_TABLE, CustomerMerge, dependents,
                                  merge_customers, undo_merge)
from crm_tui.models.orders import customer_orders_query, order_detail
from tests.conftest import at, make_customer
from tests.test_contacts_rules import contact_values
from tests.test_contracts import contract_values
from tests.test_interactions_rules import interaction_values
from tests.test_opportunities import new_opportunity
from tests.test_orders_queries import add_order
from tests.test_quotes import quote_values
from tests.test_service import service_values


def give_everything(customer, people) -> dict[str, int]:
    """One record of every kind that belongs to a customer; their ids."""
    manager = people.manager
    opportunity = new_opportunity(people.supervisor, customer_name=customer.name)
    Opportunity.update(customer=customer.id).where(Opportunity.id == opportunity.id).execute()
    records = {
        "contact": Contact.create_by(manager, customer, contact_values(name=f"联系人{customer.id}")),
        "interaction": Interaction.create_by(manager, customer, interaction_values()),
        "service": Service.create_by(manager, service_values(customer)),
        "opportunity": opportunity,
        "churn_alert": ChurnAlert.create(customer=customer.id, reason="7 months without orders"),
        "document": Document.create(customer=customer.id, name="营业执照.pdf", size=10,
                                    sha256="0" * 64, uploaded_by=manager.id),
        "mail_message": MailMessage.create(message_id=f"<m{customer.id}@example.com>",
                                           direction="in", sender="a@example.com",
                                           status="filed", customer=customer.id),
        "contract": Contract.create_by(manager, contract_values(customer)),
        "quote": Quote.create_by(manager, quote_values(customer)),
    }
    return {table: record.id for table, record in records.items()}


def owners(ids: dict[str, int]) -> dict[str, int]:
    """The customer each record belongs to now."""
    found = {}
    for key, field in dependents().items():
        table = key.split(".")[0]
        if table in ids:
            model = field.model
            found[table] = model.select(field).where(model.id == ids[table]).scalar()
    return found


@pytest.fixture
def pair(crm_db, people):
    at(2026, 3, 1)
    kept = make_customer(people.manager, name="北京远大科技有限公司", phone="010-62345678")
    merged = make_customer(people.manager, name="远大科技（北京）", phone="+86 10 6234 5678",
                           address="北京市海淀区中关村大街2号", postcode="100081")
    return kept, merged


def test_every_dependent_kind_is_moved(crm_db):
    tables = {key.split(".")[0] for key in dependents()}
    assert {"contact", "interaction", "service", "opportunity", "churn_alert", "document",
            "mail_message", "contract", "quote"} <= tables
    assert "customer_merge" not in tables and "customer" not in tables


def test_merge_moves_every_record_and_keeps_chosen_fields(pair, people):
    kept, merged = pair
    kept_records = give_everything(kept, people)
    ChurnAlert.update(status="closed").where(ChurnAlert.id == kept_records["churn_alert"]).execute()
    merged_records = give_everything(merged, people)

    merge = merge_customers(people.manager, kept.id, merged.id, take=["address", "postcode"])

    assert set(owners(merged_records).values()) == {kept.id}
    assert set(owners(kept_records).values()) == {kept.id}
    after = Customer.get_by_id(kept.id)
    assert (after.name, after.address, after.postcode) == (
        "北京远大科技有限公司", "北京市海淀区中关村大街2号", "100081")
    gone = Customer.get_by_id(merged.id)
    assert (gone.status, gone.merged_into_id) == (DELETED, kept.id)
    assert Customer.visible_to(people.manager).where(Customer.id == merged.id).count() == 0
    row = AuditLog.get((AuditLog.table_name == MERGE_TABLE) & (AuditLog.row_id == merge.id))
    assert (row.action, row.actor_id, row.old, row.new) == (
        MERGE, people.manager.id, merged.number, kept.number)
    assert json.loads(merge.kept_before) == {"address": "北京市海淀区中关村大街1号",
                                             "postcode": "100080"}


def test_the_merged_number_keeps_its_orders_under_the_kept_customer(pair, people):
    kept, merged = pair
    add_order(kept.id, "SO-1", dt.date(2026, 1, 5))
    old_order = add_order(merged.id, "SO-2", dt.date(2026, 2, 5))
    merge_customers(people.manager, kept.id, merged.id)

    numbers = [order.number for order in customer_orders_query(people.manager, kept.id)]
    assert numbers == ["SO-2", "SO-1"]
    assert order_detail(people.manager, old_order.id).order.number == "SO-2"
    with pytest.raises(NotFound):
        customer_orders_query(people.manager, merged.id).count()


def test_a_merge_is_one_transaction(pair, people):
    kept, merged = pair
    # Both have an open churn alert: one open alert per customer refuses the move.
    ChurnAlert.create(customer=kept.id)
    ChurnAlert.create(customer=merged.id)
    contact = Contact.create_by(people.manager, merged, contact_values())
    audit_before = AuditLog.select().count()
    with pytest.raises(InvalidTransition):
        merge_customers(people.manager, kept.id, merged.id, take=["address"])
    assert Contact.get_by_id(contact.id).customer_id == merged.id
    assert Customer.get_by_id(merged.id).status == NORMAL
    assert Customer.get_by_id(kept.id).address == kept.address
    assert AuditLog.select().count() == audit_before
    assert CustomerMerge.select().count() == 0


def test_merge_checks_the_same_rules_as_an_edit(pair, people):
    kept, merged = pair
    theirs = make_customer(people.other_manager, name="赵的客户")
    with pytest.raises(PermissionDenied):
        merge_customers(people.manager, kept.id, theirs.id)
    with pytest.raises(ValidationError):
        merge_customers(people.manager, kept.id, kept.id)
    with pytest.raises(ValidationError):
        merge_customers(people.manager, kept.id, merged.id, take=["number"])
    with pytest.raises(PermissionDenied):
        merge_customers(people.supervisor, kept.id, merged.id)
    merge_customers(people.admin, kept.id, theirs.id)
    assert Customer.get_by_id(theirs.id).merged_into_id == kept.id


def merge_row(merge) -> AuditLog:
    return AuditLog.get((AuditLog.table_name == MERGE_TABLE) & (AuditLog.row_id == merge.id)
                        & (AuditLog.action == MERGE))


def test_undo_puts_everything_back(pair, people):
    kept, merged = pair
    kept_records = give_everything(kept, people)
    ChurnAlert.update(status="closed").where(ChurnAlert.id == kept_records["churn_alert"]).execute()
    merged_records = give_everything(merged, people)
    merge = merge_customers(people.manager, kept.id, merged.id, take=["address", "postcode"])
    # A contact added to the kept customer after the merge stays there.
    later = Contact.create_by(people.manager, kept.id, contact_values(name="新联系人"))

    with pytest.raises(PermissionDenied):
        undo_merge(people.manager, merge_row(merge).id)
    undone = undo_merge(people.admin, merge_row(merge).id)

    assert undone.undone_by_id == people.admin.id
    assert set(owners(merged_records).values()) == {merged.id}
    assert set(owners(kept_records).values()) == {kept.id}
    assert Contact.get_by_id(later.id).customer_id == kept.id
    restored = Customer.get_by_id(kept.id)
    assert (restored.address, restored.postcode) == (kept.address, kept.postcode)
    back = Customer.get_by_id(merged.id)
    assert (back.status, back.merged_into_id) == (NORMAL, None)
    with pytest.raises(InvalidTransition):
        undo_merge(people.admin, merge_row(merge).id)
    assert AuditLog.select().where((AuditLog.table_name == MERGE_TABLE)
                                   & (AuditLog.action == "merge_undo")).count() == 1


def test_undo_is_refused_once_the_kept_customer_changed(pair, people):
    kept, merged = pair
    contact = Contact.create_by(people.manager, merged, contact_values())
    merge = merge_customers(people.manager, kept.id, merged.id)
    Customer.get_by_id(kept.id).update_by(people.manager, {"phone": "010-99998888"})
    with pytest.raises(ConcurrentEdit):
        undo_merge(people.admin, merge_row(merge).id)
    assert Contact.get_by_id(contact.id).customer_id == kept.id
    assert Customer.get_by_id(merged.id).status == DELETED


def test_only_a_merge_row_undoes_a_merge(pair, people):
    kept, _merged = pair
    other = AuditLog.get((AuditLog.table_name == "customer") & (AuditLog.row_id == kept.id))
    with pytest.raises(NotFound):
        undo_merge(people.admin, other.id)

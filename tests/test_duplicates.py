"""Likely duplicates: keys kept in step with every write, pairs found by
shared keys in the user's scope and scored, the hint before a create; and
bulk actions that apply one rule per row and list the refusals."""
from __future__ import annotations

import pytest

from crm_tui.models import AuditLog, Customer
from crm_tui.models.bulk import run_action
from crm_tui.models.customers import DELETED, similar_customers
from crm_tui.models.duplicates import ADDRESS, NAME, PHONE, TAX, duplicate_pairs
from crm_tui.models.kinds import kind
from crm_tui.models.merge import merge_customers
from tests.conftest import customer_values, entry, make_customer


def test_keys_follow_every_write(crm_db, people):
    customer = make_customer(people.manager, name="ＡＢＣ科技有限公司", phone="+86 10 6234 5678",
                             national_tax_number="9111 0108-ma01")
    saved = Customer.get_by_id(customer.id)
    assert (saved.name_key, saved.phone_key, saved.tax_key) == ("abc科技", "1062345678",
                                                               "91110108MA01")
    saved.update_by(people.manager, {"name": "ABC 电子 有限公司"})
    assert Customer.get_by_id(customer.id).name_key == "abc电子"
    Customer.insert_many([{**customer_values(people.manager), "number": "KH-X1",
                           "name": "华为技术有限公司", "satisfaction": 3, "credit": 3}]).execute()
    assert Customer.get(Customer.number == "KH-X1").name_key == "华为技术"


@pytest.fixture
def customers(crm_db, people):
    manager = people.manager
    return {
        "a": make_customer(manager, name="华为技术有限公司", phone="0755-28780808",
                           national_tax_number="914403001922038216", address="深圳市龙岗区坂田"),
        "b": make_customer(manager, name="华为技术 （有限）公司", phone="0755 2878 0808",
                           national_tax_number="91440300 1922038216", address="深圳市 龙岗区 坂田"),
        "c": make_customer(manager, name="华为终端", phone="0769-12345678",
                           national_tax_number="914419000000000001", address="东莞市松山湖"),
        "d": make_customer(manager, name="深圳华为终端有限公司", phone="0769-12345678",
                           national_tax_number="914419000000000002", address="东莞"),
        "lone": make_customer(manager, name="远大科技", phone="010-11112222",
                              national_tax_number="110108000000001", address="北京"),
        "theirs": make_customer(people.other_manager, name="华为技术", phone="021-33334444",
                                national_tax_number="310000000000009", address="上海"),
    }


def pairs_of(user, customers):
    names = {customer.id: key for key, customer in customers.items()}
    return [(names[pair.left_id], names[pair.right_id], pair.score, pair.reasons)
            for pair in duplicate_pairs(user)]


def test_pairs_are_found_by_shared_keys_in_scope_and_scored(customers, people):
    found = pairs_of(people.manager, customers)
    assert [(left, right) for left, right, _score, _reasons in found] == [("a", "b"), ("c", "d")]
    (_, _, best, reasons), (_, _, phone_only, phone_reasons) = found
    assert reasons == (NAME, PHONE, TAX, ADDRESS) and best == 100
    assert phone_reasons == (PHONE,) and 25 < phone_only < best
    # The supervisor sees every customer: the other manager's spelling joins the block.
    everyone = pairs_of(people.supervisor, customers)
    assert ("a", "theirs") in [(left, right) for left, right, _s, _r in everyone]
    assert pairs_of(people.other_manager, customers) == []


def test_deleted_and_merged_customers_are_not_duplicates(customers, people):
    merge_customers(people.manager, customers["a"].id, customers["b"].id)
    Customer.get_by_id(customers["d"].id).delete_by(people.manager)
    assert pairs_of(people.manager, customers) == []


def test_the_hint_names_visible_customers_with_the_same_key(customers, people):
    values = customer_values(people.manager, name="华为技术股份有限公司", phone="0755-99999999",
                             national_tax_number="914419000000000002")
    found = [(match.id, match.reasons) for match in similar_customers(people.manager, values)]
    assert found == [(customers["a"].id, (NAME,)), (customers["b"].id, (NAME,)),
                     (customers["d"].id, (TAX,))]
    assert similar_customers(people.other_manager, values)[0].id == customers["theirs"].id
    assert similar_customers(people.manager, customer_values(
        people.manager, name="全新公司", phone="0591-77778888", national_tax_number="")) == []
    assert [match.id for match in similar_customers(
        people.manager, {"name": "华为终端"}, exclude_id=customers["c"].id)] == []


# ----- bulk actions ------------------------------------------------------------
def test_bulk_assign_changes_what_the_rule_allows_and_lists_the_rest(crm_db, people):
    mine = [make_customer(people.manager, name=f"客户{n}") for n in range(5)]
    theirs = make_customer(people.other_manager, name="赵的客户")
    Customer.get_by_id(mine[4].id).delete_by(people.manager)
    customer_kind = kind("customer")
    level = entry("客户等级", "战略合作伙伴").id
    action = next(
        action for action in customer_kind.bulk_actions() if action.id == "bulk_level")

    result = run_action(people.manager, customer_kind, action,
                        [c.id for c in mine] + [theirs.id], {"level": level})

    assert result.changed == 4
    assert [refusal.id for refusal in result.refused] == [mine[4].id, theirs.id]
    assert {Customer.get_by_id(c.id).level_id for c in mine[:4]} == {level}
    assert Customer.get_by_id(theirs.id).level_id != level
    assert result.summary().startswith("4 changed, 2 refused: ")
    assert AuditLog.select().where((AuditLog.table_name == "customer")
                                   & (AuditLog.field == "level")).count() == 4


def test_bulk_delete_and_reassign_follow_the_single_rules(crm_db, people):
    mine = [make_customer(people.manager, name=f"客户{n}") for n in range(3)]
    customer_kind = kind("customer")
    delete = next(action for action in customer_kind.bulk_actions() if action.id == "delete")
    assign = next(action for action in customer_kind.bulk_actions() if action.id == "bulk_manager")
    # An account manager may not hand customers to another.
    refused = run_action(people.manager, customer_kind, assign, [mine[0].id],
                         {"manager": people.other_manager.id})
    assert (refused.changed, len(refused.refused)) == (0, 1)
    moved = run_action(people.admin, customer_kind, assign, [mine[0].id, mine[1].id],
                       {"manager": people.other_manager.id})
    assert moved.changed == 2
    deleted = run_action(people.manager, customer_kind, delete, [c.id for c in mine])
    assert (deleted.changed, len(deleted.refused)) == (1, 2)
    assert Customer.get_by_id(mine[2].id).status == DELETED


def test_the_migration_keys_the_customers_already_on_file(crm_db, people):
    import importlib

    migration = importlib.import_module("crm_tui.migrations.0011_duplicates_and_merge")
    customer = make_customer(people.manager, name="福建电力集团有限公司")
    Customer.update(name_key="", phone_key="", tax_key="").where(
        Customer.id == customer.id).execute()
    migration._fill_keys(crm_db)
    keyed = Customer.get_by_id(customer.id)
    # The key a lead's conversion and the duplicate search look customers up by.
    assert keyed.name_key == "福建电力"
    assert keyed.phone_key and keyed.tax_key

"""Duplicates at 80x24: find a likely pair from the customer list, open it
side by side, take a field from the other customer and merge."""
from __future__ import annotations

from crm_tui.models import Contact, Customer
from crm_tui.models.customers import DELETED
from crm_tui.screens.customers import CustomerListScreen
from crm_tui.screens.duplicates import DuplicatesScreen, MergeScreen
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.lazy_table import LazyTable
from tests.conftest import make_customer
from tests.pilot import app_for, open_module, press_and_settle, sign_in, text_of
from tests.test_contacts_rules import contact_values


async def test_find_a_duplicate_pair_and_merge_it(sqlite_url, people):
    kept = make_customer(people.manager, name="福建电力集团有限公司", phone="0591-87654321",
                         national_tax_number="913500001234567890")
    merged = make_customer(people.manager, name="福建 电力 集团公司", phone="0591 8765 4321",
                           address="福州市鼓楼区五四路100号",
                           national_tax_number="913500009999999999")
    make_customer(people.manager, name="远大科技", phone="010-11112222",
                  national_tax_number="110108000000009", address="北京市朝阳区")
    contact = Contact.create_by(people.manager, merged, contact_values())
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers", CustomerListScreen)
        await press_and_settle(pilot, "D")
        assert isinstance(app.screen, DuplicatesScreen)
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 1
        assert "1 pairs" in text_of(app, "#duplicates-title")
        row = table.current_row
        assert (row["left_id"], row["right_id"], row["score"]) == (kept.id, merged.id, 70)

        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, MergeScreen)
        fields = text_of(app, "#merge-fields")
        assert "福建电力集团有限公司" in fields and "福州市鼓楼区五四路100号" in fields
        address_line = [name for name, *_ in app.screen.rows].index("address")
        await press_and_settle(pilot, *["down"] * address_line, "right")
        assert app.screen.taken_from_right == ["address"]
        await press_and_settle(pilot, "ctrl+s")
        assert isinstance(app.screen, ConfirmModal)
        await press_and_settle(pilot, "y")
        assert isinstance(app.screen, DuplicatesScreen)
        assert app.screen.query_one(LazyTable).row_count == 0

    after = Customer.get_by_id(kept.id)
    assert (after.name, after.address) == ("福建电力集团有限公司", "福州市鼓楼区五四路100号")
    gone = Customer.get_by_id(merged.id)
    assert (gone.status, gone.merged_into_id) == (DELETED, kept.id)
    assert Contact.get_by_id(contact.id).customer_id == kept.id


async def test_swap_keeps_the_other_customer(sqlite_url, people):
    first = make_customer(people.manager, name="华东贸易", phone="021-55551234")
    second = make_customer(people.manager, name="华东贸易有限公司", phone="021-55559999")
    third = make_customer(people.manager, name="别的公司", phone="021-55558888",
                          national_tax_number="310000000000001", address="上海")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers", CustomerListScreen)
        await press_and_settle(pilot, "D", "enter")
        assert isinstance(app.screen, MergeScreen)
        await press_and_settle(pilot, "w", "ctrl+s", "y")
    assert Customer.get_by_id(first.id).merged_into_id == second.id
    assert Customer.get_by_id(second.id).name == "华东贸易有限公司"
    assert Customer.get_by_id(third.id).merged_into_id is None


async def test_an_administrator_undoes_a_merge_from_the_audit_log(sqlite_url, people):
    from crm_tui.models.merge import merge_customers
    from crm_tui.screens.audit import AuditScreen

    kept = make_customer(people.manager, name="福建电力")
    merged = make_customer(people.manager, name="福建电力集团")
    contact = Contact.create_by(people.manager, merged, contact_values())
    merge_customers(people.manager, kept.id, merged.id, take=["name"])
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await open_module(pilot, "audit", AuditScreen)
        table = app.screen.query_one(LazyTable)
        # The newest row first: the merge's own row.
        assert (table.current_row["table_name"], table.current_row["action"]) == (
            "customer_merge", "merge")
        await press_and_settle(pilot, "z")
        assert isinstance(app.screen, ConfirmModal)
        await press_and_settle(pilot, "y")
        assert isinstance(app.screen, AuditScreen)
        # The newest row: the undo's own mark, which is not undone in turn.
        assert table.current_row["action"] == "undo"
        await press_and_settle(pilot, "z")  # refused, nothing asked
        assert isinstance(app.screen, AuditScreen)
    assert Customer.get_by_id(kept.id).name == "福建电力"
    assert Customer.get_by_id(merged.id).status == "normal"
    assert Contact.get_by_id(contact.id).customer_id == merged.id

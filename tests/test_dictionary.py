"""Data dictionary rules: permission, locked entries, entries in use."""
import pytest
from peewee import CharField, ForeignKeyField

from crm_tui.i18n import set_locale
from crm_tui.models.campaigns import CAMPAIGN_TYPE
from crm_tui.models.base import BaseModel

from crm_tui.models import AuditLog
from crm_tui.models.contracts import PAYMENT_METHOD
from crm_tui.models.dictionary import (CUSTOMER_LEVEL, OPPORTUNITY_STAGE, REGION, SERVICE_TYPE,
                                       DictionaryEntry,
                                       create_entry, delete_entry, dictionary_query,
                                       dictionary_types, entry_usage, update_entry)
from crm_tui.models.errors import InvalidTransition, PermissionDenied, ValidationError
from crm_tui.models.service import Service
from tests.conftest import entry, make_customer


def used_only_by(usage: dict[str, int], table: str) -> int:
    """How many rows of `table` use the entry; no other table may use it."""
    assert {name for name, count in usage.items() if count} <= {table}, usage
    assert "customer" in usage and "service" in usage  # the CRM's own users are always counted
    return usage[table]


def new_region(people, item="西藏", editable="1"):
    return create_entry(people.admin, {"type": REGION, "item": item, "value": "99",
                                       "editable": editable, "sort_order": "50"})


def test_administrator_creates_edits_and_deletes_an_entry(crm_db, people):
    region = new_region(people)
    assert (region.type, region.item, region.value, region.editable, region.sort_order) == \
        (REGION, "西藏", "99", True, 50)
    changed = update_entry(people.admin, region, {"item": "西藏自治区", "value": "54"})
    assert (changed.item, changed.value) == ("西藏自治区", "54")
    delete_entry(people.admin, changed)
    assert DictionaryEntry.get_or_none(DictionaryEntry.id == region.id) is None
    actions = [row.action for row in AuditLog.select().where(
        (AuditLog.table_name == "dictionary_entry") & (AuditLog.row_id == region.id))]
    assert "create" in actions and "update" in actions and "delete" in actions


def test_only_dictionary_managers_may_change_it(crm_db, people):
    region = new_region(people)
    for user in (people.executive, people.supervisor, people.manager):
        with pytest.raises(PermissionDenied):
            create_entry(user, {"type": REGION, "item": "x", "value": "x", "editable": "1"})
        with pytest.raises(PermissionDenied):
            update_entry(user, region, {"item": "y"})
        with pytest.raises(PermissionDenied):
            delete_entry(user, region)
    assert DictionaryEntry.get_by_id(region.id).item == "西藏"


def test_locked_entries_cannot_be_changed_or_deleted(crm_db, people):
    level = entry(CUSTOMER_LEVEL, "大客户")
    assert not level.editable
    with pytest.raises(InvalidTransition, match="locked"):
        update_entry(people.admin, level, {"item": "特大客户"})
    with pytest.raises(InvalidTransition, match="locked"):
        delete_entry(people.admin, level)
    assert DictionaryEntry.get_by_id(level.id).item == "大客户"


def test_locking_an_entry_is_for_good(crm_db, people):
    region = new_region(people)
    update_entry(people.admin, region, {"editable": "0"})
    locked = DictionaryEntry.get_by_id(region.id)
    assert not locked.editable
    with pytest.raises(InvalidTransition):
        update_entry(people.admin, locked, {"editable": "1"})
    # A stale copy that still says editable is refused by the database too.
    with pytest.raises(InvalidTransition):
        update_entry(people.admin, region, {"item": "改"})
    with pytest.raises(InvalidTransition):
        delete_entry(people.admin, region)


def test_entry_in_use_by_customers_cannot_be_deleted_and_says_where(crm_db, people):
    region = new_region(people)
    make_customer(people.manager, region=region.id)
    make_customer(people.manager, region=region.id, name="第二家")
    assert used_only_by(entry_usage(region), "customer") == 2
    with pytest.raises(InvalidTransition) as error:
        delete_entry(people.admin, region)
    assert "2 customer(s)" in str(error.value)
    assert DictionaryEntry.get_or_none(DictionaryEntry.id == region.id) is not None
    # In use, its type cannot change either (the customer's region would
    # become something else); its item may be renamed.
    with pytest.raises(ValidationError) as error:
        update_entry(people.admin, region, {"type": CUSTOMER_LEVEL})
    assert "type" in error.value.errors
    assert update_entry(people.admin, region, {"item": "拉萨"}).item == "拉萨"


def test_entry_in_use_by_services_cannot_be_deleted(crm_db, people):
    kind = create_entry(people.admin, {"type": SERVICE_TYPE, "item": "表扬", "value": "4",
                                       "editable": "1"})
    customer = make_customer(people.manager)
    Service.create(type=kind.id, summary="表扬信", customer=customer.id, request="感谢",
                   created_by=people.manager.id)
    with pytest.raises(InvalidTransition) as error:
        delete_entry(people.admin, kind)
    assert "1 service(s)" in str(error.value)


def test_entry_in_use_in_both_tables_names_both_in_english_and_chinese(crm_db, people):
    kind = create_entry(people.admin, {"type": SERVICE_TYPE, "item": "表扬", "value": "4",
                                       "editable": "1"})
    level = create_entry(people.admin, {"type": CUSTOMER_LEVEL, "item": "小客户", "value": "6",
                                        "editable": "1"})
    customer = make_customer(people.manager, level=level.id)
    Service.create(type=kind.id, summary="表扬信", customer=customer.id, request="感谢",
                   created_by=people.manager.id)
    assert used_only_by(entry_usage(level), "customer") == 1
    with pytest.raises(InvalidTransition) as error:
        delete_entry(people.admin, level)
    assert str(error.value) == "This entry is in use by 1 customer(s): it cannot be deleted."
    set_locale("zh_CN")
    with pytest.raises(InvalidTransition) as error:
        delete_entry(people.admin, kind)
    assert str(error.value) == "该条目正被 1 个服务使用，不能删除。"


def test_a_new_table_with_a_dictionary_field_is_counted_without_being_named(crm_db, people):
    terms = create_entry(people.admin, {"type": "付款方式", "item": "月结", "value": "30",
                                        "editable": "1"})
    tables_before = set(entry_usage(terms))

    class Agreement(BaseModel):
        """A table the dictionary module has never heard of."""
        title = CharField(max_length=60)
        payment_terms = ForeignKeyField(DictionaryEntry, backref="+", on_delete="RESTRICT")

        class Meta:
            table_name = "probe_agreement"

    try:
        crm_db.create_tables([Agreement])
        Agreement.create(title="年度维护合同", payment_terms=terms.id)
        Agreement.create(title="年度采购合同", payment_terms=terms.id)
        usage = entry_usage(terms)
        assert set(usage) == tables_before | {"probe_agreement"}
        assert used_only_by(usage, "probe_agreement") == 2
        with pytest.raises(InvalidTransition) as error:
            delete_entry(people.admin, terms)
        assert "2 record(s) of probe_agreement" in str(error.value)
        assert DictionaryEntry.get_or_none(DictionaryEntry.id == terms.id) is not None
        with pytest.raises(ValidationError):
            update_entry(people.admin, terms, {"type": REGION})
    finally:
        # Forget the table again, so that other tests count only the real ones.
        Agreement._meta.remove_ref(Agreement.payment_terms)
        crm_db.drop_tables([Agreement])
    assert set(entry_usage(terms)) == tables_before and not any(entry_usage(terms).values())
    delete_entry(people.admin, terms)


def test_item_is_unique_within_its_type(crm_db, people):
    with pytest.raises(ValidationError) as error:
        create_entry(people.admin, {"type": REGION, "item": "北京", "value": "x", "editable": "1"})
    assert set(error.value.errors) == {"item"}
    other = new_region(people)
    with pytest.raises(ValidationError):
        update_entry(people.admin, other, {"item": "上海"})
    # The same item under another type is fine.
    assert create_entry(people.admin, {"type": "行业", "item": "北京", "value": "x",
                                       "editable": "1"}).id


def test_required_fields_are_named(crm_db, people):
    with pytest.raises(ValidationError) as error:
        create_entry(people.admin, {"type": "", "item": " ", "value": "", "editable": "1"})
    assert set(error.value.errors) == {"type", "item", "value"}


def test_list_filters_by_type_and_text(crm_db, people):
    new_region(people)
    assert set(dictionary_types()) == {REGION, CUSTOMER_LEVEL, SERVICE_TYPE, PAYMENT_METHOD,
                                       CAMPAIGN_TYPE, OPPORTUNITY_STAGE}
    levels = list(dictionary_query(CUSTOMER_LEVEL))
    assert [e.item for e in levels] == ["普通客户", "重点开发客户", "大客户", "合作伙伴", "战略合作伙伴"]
    assert [e.item for e in dictionary_query("", "西藏")] == ["西藏"]
    assert [e.item for e in dictionary_query(REGION, "客户")] == []

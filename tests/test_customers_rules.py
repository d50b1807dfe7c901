"""Customer rules of the foundation: scope, permission, validation, conflict."""
import pytest

from crm_tui.models import AuditLog
from crm_tui.models.customers import DELETED, Customer, customer_list_query
from crm_tui.models.errors import ConcurrentEdit, PermissionDenied, ValidationError
from tests.conftest import at, customer_values, make_customer


def test_manager_sees_only_own_customers(crm_db, people):
    mine = make_customer(people.manager, name="甲公司")
    make_customer(people.other_manager, name="乙公司")
    assert [c.name for c in Customer.visible_to(people.manager)] == [mine.name]
    assert Customer.visible_to(people.supervisor).count() == 2
    assert Customer.visible_to(people.executive).count() == 2


def test_manager_cannot_write_another_managers_customer_through_the_models(crm_db, people):
    theirs = make_customer(people.other_manager)
    with pytest.raises(PermissionDenied):
        theirs.update_by(people.manager, {"name": "改名"})
    with pytest.raises(PermissionDenied):
        theirs.delete_by(people.manager)
    with pytest.raises(PermissionDenied):
        Customer.create_by(people.manager, customer_values(people.other_manager))
    assert Customer.get_by_id(theirs.id).name == theirs.name


def test_read_only_roles_cannot_write(crm_db, people):
    customer = make_customer(people.manager)
    for reader in (people.executive, people.supervisor):
        with pytest.raises(PermissionDenied):
            customer.update_by(reader, {"name": "x"})


def test_role_without_customer_rights_sees_nothing(crm_db, people):
    from crm_tui.models import Role, RolePermission

    make_customer(people.manager)
    RolePermission.delete().where(RolePermission.role == Role.get(Role.key == "executive")).execute()
    assert Customer.visible_to(people.executive).count() == 0


def test_number_is_generated_per_day(crm_db, people):
    at(2026, 11, 24)
    first = make_customer(people.manager)
    second = make_customer(people.manager)
    assert (first.number, second.number) == ("KH20261124001", "KH20261124002")


def test_bad_input_names_every_wrong_field_and_writes_nothing(crm_db, people):
    values = customer_values(people.manager, name="", satisfaction="9", postcode="12ab",
                             phone="call me", website="not a site")
    with pytest.raises(ValidationError) as error:
        Customer.create_by(people.manager, values)
    assert set(error.value.errors) == {"name", "satisfaction", "postcode", "phone", "website"}
    assert Customer.select().count() == 0


def test_second_save_of_a_stale_copy_is_refused(crm_db, people):
    customer = make_customer(people.manager)
    first_copy = Customer.get_by_id(customer.id)
    second_copy = Customer.get_by_id(customer.id)
    first_copy.update_by(people.manager, {"name": "第一次"})
    with pytest.raises(ConcurrentEdit):
        second_copy.update_by(people.manager, {"name": "第二次"})
    assert Customer.get_by_id(customer.id).name == "第一次"


def test_update_and_delete_leave_audit_rows(crm_db, people):
    customer = make_customer(people.manager, name="旧名")
    customer = customer.update_by(people.manager, {"name": "新名"})
    customer.delete_by(people.manager)
    rows = list(AuditLog.select().where(AuditLog.table_name == "customer").order_by(AuditLog.id))
    assert [(r.action, r.field, r.old, r.new) for r in rows] == [
        ("create", "", "", ""), ("update", "name", "旧名", "新名"), ("delete", "status", "normal", "deleted")]
    assert all(r.actor_id == people.manager.id for r in rows)
    assert Customer.get_by_id(customer.id).status == DELETED
    assert Customer.visible_to(people.manager).count() == 0


def test_list_query_searches_number_name_region_manager_and_level(crm_db, people):
    at(2026, 11, 24)
    make_customer(people.manager, name="上海华东贸易有限公司")
    make_customer(people.other_manager, name="深圳南方电子有限公司")
    search = lambda text: sorted(c.name for c in customer_list_query(people.admin, text))  # noqa: E731
    assert search("华东") == ["上海华东贸易有限公司"]
    assert search("赵经理") == ["深圳南方电子有限公司"]
    assert len(search("北京")) == 2  # region
    assert len(search("大客户")) == 2  # level
    assert search("KH20261124002") == ["深圳南方电子有限公司"]
    assert [c.name for c in customer_list_query(people.manager, "")] == ["上海华东贸易有限公司"]


def test_numbers_keep_counting_past_999_a_day(crm_db, people):
    at(2026, 11, 24)
    Customer.insert(**{**{k: v for k, v in customer_values(people.manager).items()},
                       "number": "KH20261124999"}).execute()
    assert make_customer(people.manager).number == "KH202611241000"
    assert make_customer(people.manager).number == "KH202611241001"

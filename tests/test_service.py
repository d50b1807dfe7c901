"""Customer service rules (M3): create, assign or delete while new, handle by
the assignee, feedback archiving or sending back, history kept, archive
search, scope."""
import datetime as dt

import pytest

from crm_tui.models import AuditLog, Service, ServiceEvent, accounts
from crm_tui.models.dictionary import SERVICE_TYPE
from crm_tui.models.errors import (ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied,
                                   ValidationError)
from crm_tui.models.service import (ARCHIVED, ASSIGNED, HANDLED, NEW, archive_query,
                                    service_fields, service_list_query)
from tests.conftest import at, entry, make_customer, offers


def service_values(customer, **overrides) -> dict:
    values = {"type": entry(SERVICE_TYPE, "投诉").id, "summary": "打印机卡纸",
              "customer": customer.id, "request": "新买的打印机频繁卡纸，要求上门检修"}
    values.update(overrides)
    return values


def new_service(people, customer=None, **overrides) -> Service:
    customer = customer or make_customer(people.manager)
    return Service.create_by(people.manager, service_values(customer, **overrides))


def events(service):
    return [(e.kind, e.actor_id, e.text, e.satisfaction) for e in service.history()]


def test_create_records_creator_time_status_and_a_create_event(crm_db, people):
    at(2026, 6, 1, 9)
    service = new_service(people)
    stored = Service.get_by_id(service.id)
    assert (stored.status, stored.created_by_id, stored.created_at) == (
        NEW, people.manager.id, dt.datetime(2026, 6, 1, 9))
    assert events(stored) == [("create", people.manager.id, stored.request, None)]
    assert AuditLog.select().where((AuditLog.table_name == "service")
                                   & (AuditLog.row_id == stored.id)).count() == 1


def test_create_checks_fields_type_and_customer_scope(crm_db, people):
    mine = make_customer(people.manager)
    theirs = make_customer(people.other_manager)
    with pytest.raises(ValidationError) as error:
        Service.create_by(people.manager, service_values(mine, summary="", request=" ", type=""))
    assert set(error.value.errors) == {"summary", "request", "type"}
    region = entry("地区", "北京").id
    with pytest.raises(ValidationError) as error:
        Service.create_by(people.manager, service_values(theirs, type=region))
    assert set(error.value.errors) == {"customer", "type"}
    for reader in (people.supervisor, people.executive):
        with pytest.raises(PermissionDenied):
            Service.create_by(reader, service_values(mine))
    assert Service.select().count() == 0 and ServiceEvent.select().count() == 0
    # The form offers only the creator's own customers.
    customer_field = next(f for f in service_fields(people.manager) if f.name == "customer")
    assert customer_field.choices() == [(mine.id, mine.name)]


def test_manager_sees_services_of_own_customers_or_assigned(crm_db, people):
    mine = new_service(people, summary="我的客户")
    theirs = Service.create_by(people.other_manager,
                               service_values(make_customer(people.other_manager), summary="别人"))
    given = Service.create_by(people.other_manager,
                              service_values(make_customer(people.other_manager), summary="分给我"))
    given.assign_by(people.supervisor, people.manager)
    assert {s.id for s in Service.visible_to(people.manager)} == {mine.id, given.id}
    assert {s.id for s in Service.visible_to(people.other_manager)} == {theirs.id, given.id}
    assert Service.visible_to(people.supervisor).count() == 3
    assert Service.visible_to(people.executive).count() == 3
    with pytest.raises(NotFound):
        Service.get_visible(people.manager, theirs.id)


def test_assign_by_supervisor_to_an_active_manager(crm_db, people):
    service = new_service(people)
    with pytest.raises(PermissionDenied):
        service.assign_by(people.manager, people.manager)
    for not_a_manager in (people.supervisor, 0, "", None):
        with pytest.raises(ValidationError):
            service.assign_by(people.supervisor, not_a_manager)
    accounts.set_active(None, people.other_manager, False)
    with pytest.raises(ValidationError):
        service.assign_by(people.supervisor, people.other_manager)
    at(2026, 6, 2, 10)
    assigned = service.assign_by(people.supervisor, people.manager.id)
    assert (assigned.status, assigned.assigned_to_id, assigned.assigned_at) == (
        ASSIGNED, people.manager.id, dt.datetime(2026, 6, 2, 10))
    assert events(assigned)[-1] == ("assign", people.supervisor.id, "王经理", None)
    with pytest.raises(InvalidTransition, match="Only a new service can be assigned"):
        assigned.assign_by(people.supervisor, people.manager)
    with pytest.raises(InvalidTransition):
        service.assign_by(people.supervisor, people.manager)  # the stale copy


def test_delete_only_new_and_only_by_supervisor(crm_db, people):
    service = new_service(people)
    with pytest.raises(PermissionDenied):
        service.delete_by(people.manager)
    service.delete_by(people.supervisor)
    assert Service.get_or_none(Service.id == service.id) is None
    assert AuditLog.select().where((AuditLog.table_name == "service")
                                   & (AuditLog.action == "delete")).count() == 1
    other = new_service(people)
    other.assign_by(people.supervisor, people.manager)
    with pytest.raises(InvalidTransition, match="deleted"):
        other.delete_by(people.supervisor)
    with pytest.raises(InvalidTransition):
        Service.get_by_id(other.id).delete_by(people.supervisor)
    assert Service.get_by_id(other.id).status == ASSIGNED


def test_handle_only_by_the_assignee_of_an_assigned_service(crm_db, people):
    service = new_service(people)
    with pytest.raises(InvalidTransition, match="Only an assigned service can be handled"):
        service.handle_by(people.manager, {"handling": "处理"})
    service = service.assign_by(people.supervisor, people.other_manager)
    for actor in (people.manager, people.supervisor, people.executive):
        with pytest.raises(PermissionDenied):
            service.handle_by(actor, {"handling": "处理"})
    with pytest.raises(ValidationError):
        service.handle_by(people.other_manager, {"handling": ""})
    at(2026, 6, 3, 15)
    handled = service.handle_by(people.other_manager, {"handling": "已上门更换搓纸轮"})
    assert (handled.status, handled.handling, handled.handled_by_id, handled.handled_at) == (
        HANDLED, "已上门更换搓纸轮", people.other_manager.id, dt.datetime(2026, 6, 3, 15))
    with pytest.raises(InvalidTransition):
        handled.handle_by(people.other_manager, {"handling": "再次"})


def test_feedback_needs_a_handled_service(crm_db, people):
    service = new_service(people)
    with pytest.raises(InvalidTransition, match="Feedback needs a handled service"):
        service.feedback_by(people.manager, {"result": "好", "satisfaction": "5"})
    service = service.assign_by(people.supervisor, people.manager)
    with pytest.raises(InvalidTransition):
        service.feedback_by(people.manager, {"result": "好", "satisfaction": "5"})


def test_feedback_rules_scope_and_range(crm_db, people):
    service = new_service(people).assign_by(people.supervisor, people.manager)
    service = service.handle_by(people.manager, {"handling": "处理"})
    for actor in (people.other_manager, people.executive):
        with pytest.raises(PermissionDenied):
            service.feedback_by(actor, {"result": "好", "satisfaction": "5"})
    for bad in ("0", "6", "x", ""):
        with pytest.raises(ValidationError) as error:
            service.feedback_by(people.manager, {"result": "好", "satisfaction": bad})
        assert set(error.value.errors) == {"satisfaction"}
    # The supervisor may record feedback too.
    assert service.feedback_by(people.supervisor, {"result": "好", "satisfaction": "3"}).status == \
        ARCHIVED


def test_two_rounds_keep_the_whole_history(crm_db, people):
    service = new_service(people).assign_by(people.supervisor, people.manager)
    service = service.handle_by(people.manager, {"handling": "电话指导"})
    service = service.feedback_by(people.manager, {"result": "问题依旧", "satisfaction": "2"})
    assert (service.status, service.assigned_to_id, service.archived_at) == (
        ASSIGNED, people.manager.id, None)
    service = service.handle_by(people.manager, {"handling": "上门更换配件"})
    at(2026, 6, 9, 16)
    service = service.feedback_by(people.manager, {"result": "已解决", "satisfaction": "4"})
    assert (service.status, service.satisfaction, service.archived_at) == (
        ARCHIVED, 4, dt.datetime(2026, 6, 9, 16))
    assert [(kind, text, satisfaction) for kind, _, text, satisfaction in events(service)] == [
        ("create", service.request, None), ("assign", "王经理", None),
        ("handle", "电话指导", None), ("feedback", "问题依旧", 2),
        ("handle", "上门更换配件", None), ("feedback", "已解决", 4)]
    for refused in (lambda: service.handle_by(people.manager, {"handling": "x"}),
                    lambda: service.feedback_by(people.manager, {"result": "x", "satisfaction": 5}),
                    lambda: service.assign_by(people.supervisor, people.manager),
                    lambda: service.delete_by(people.supervisor)):
        with pytest.raises(InvalidTransition):
            refused()


def test_stale_copy_cannot_give_feedback_twice(crm_db, people):
    service = new_service(people).assign_by(people.supervisor, people.manager)
    service = service.handle_by(people.manager, {"handling": "处理"})
    other_copy = Service.get_by_id(service.id)
    service.feedback_by(people.manager, {"result": "好", "satisfaction": "5"})
    with pytest.raises(InvalidTransition):
        other_copy.feedback_by(people.supervisor, {"result": "差", "satisfaction": "1"})
    assert Service.get_by_id(service.id).satisfaction == 5
    assert ServiceEvent.select().where(ServiceEvent.kind == "feedback").count() == 1


def test_concurrent_edit_when_state_is_the_same_but_the_version_moved(crm_db, people):
    service = new_service(people).assign_by(people.supervisor, people.manager)
    stale = Service.get_by_id(service.id)
    service = service.handle_by(people.manager, {"handling": "一"})
    service.feedback_by(people.manager, {"result": "差", "satisfaction": "1"})
    # Back in assigned, but not the assigned the stale copy saw.
    with pytest.raises(ConcurrentEdit):
        stale.handle_by(people.manager, {"handling": "二"})


def archived(people, customer, summary, type_item, day):
    at(2026, 6, day, 9)
    service = Service.create_by(people.manager, service_values(
        customer, summary=summary, type=entry(SERVICE_TYPE, type_item).id))
    service = service.assign_by(people.supervisor, people.manager)
    service = service.handle_by(people.manager, {"handling": "处理"})
    at(2026, 7, day, 9)
    return service.feedback_by(people.manager, {"result": "好", "satisfaction": "5"})


def test_archive_is_searchable_by_customer_summary_type_and_date(crm_db, people):
    first = make_customer(people.manager, name="甲公司")
    second = make_customer(people.manager, name="乙公司")
    archived(people, first, "打印机卡纸", "投诉", 3)
    archived(people, second, "询问保修期", "咨询", 12)
    new_service(people, second, summary="还没处理")
    make_customer(people.other_manager, name="丙公司")

    def found(search, user=people.manager):
        return sorted(s.summary for s in archive_query(user, search))

    assert found("") == ["打印机卡纸", "询问保修期"]
    assert found("甲") == ["打印机卡纸"]
    assert found("保修") == ["询问保修期"]
    assert found("咨询") == ["询问保修期"]
    assert found("2026-06-03") == ["打印机卡纸"]   # created that day
    assert found("2026-07-12") == ["询问保修期"]   # archived that day
    assert found("2026-06") == ["打印机卡纸", "询问保修期"]
    assert found("2025") == []
    assert found("", people.other_manager) == []
    assert found("", people.executive) == ["打印机卡纸", "询问保修期"]
    row = archive_query(people.manager, "甲").first()
    assert (row.customer_name, row.type_name, row.assignee_name) == ("甲公司", "投诉", "王经理")
    assert [s.summary for s in service_list_query(people.manager, NEW)] == ["还没处理"]


def test_what_each_role_may_do_is_reported_for_the_screens(crm_db, people):
    service = new_service(people)
    assert offers(service, people.supervisor, "assign") and offers(service, people.supervisor, "delete")
    assert not offers(service, people.manager, "assign") and not offers(service, people.manager, "handle")
    service = service.assign_by(people.supervisor, people.manager)
    assert offers(service, people.manager, "handle") and not offers(service, people.other_manager, "handle")
    assert not offers(service, people.manager, "feedback")
    service = service.handle_by(people.manager, {"handling": "处理"})
    assert offers(service, people.manager, "feedback") and offers(service, people.supervisor, "feedback")
    assert not offers(service, people.executive, "feedback")

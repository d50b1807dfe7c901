"""Sales opportunity rules (M1.1): scope, create, edit and delete while
unassigned, assign by a supervisor to an active account manager."""
import pytest

from crm_tui import clock
from crm_tui.models import AuditLog, Opportunity, accounts, users
from crm_tui.models.errors import (ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied,
                                   ValidationError)
from crm_tui.models.sales import ASSIGNED, UNASSIGNED, opportunity_list_query
from tests.conftest import at, make_user, offers


def opportunity_values(**overrides) -> dict:
    values = {"source": "展会", "customer_name": "上海华东贸易有限公司", "success_rate": "60",
              "summary": "采购办公设备", "contact": "陈经理", "contact_phone": "021-55551234",
              "description": "客户计划年内更换全部办公设备"}
    values.update(overrides)
    return values


def new_opportunity(actor, **overrides) -> Opportunity:
    return Opportunity.create_by(actor, opportunity_values(**overrides))


def audit_rows(row_id):
    return [(row.action, row.field, row.old, row.new) for row in
            AuditLog.select().where((AuditLog.table_name == "opportunity")
                                    & (AuditLog.row_id == row_id)).order_by(AuditLog.id)]


def test_create_sets_creator_time_and_status(crm_db, people):
    at(2026, 3, 2, 10)
    opportunity = new_opportunity(people.manager)
    stored = Opportunity.get_by_id(opportunity.id)
    assert (stored.created_by_id, stored.created_at, stored.status) == (
        people.manager.id, clock.now(), UNASSIGNED)
    assert stored.success_rate == 60 and stored.assigned_to_id is None
    assert audit_rows(stored.id) == [("create", "", "", "")]


def test_supervisor_may_create_executive_may_not(crm_db, people):
    assert new_opportunity(people.supervisor).created_by_id == people.supervisor.id
    with pytest.raises(PermissionDenied):
        new_opportunity(people.executive)
    assert Opportunity.select().count() == 1


def test_required_fields_and_success_rate_range(crm_db, people):
    with pytest.raises(ValidationError) as error:
        new_opportunity(people.manager, customer_name=" ", summary="", description="",
                        success_rate="101", contact_phone="no phone")
    assert set(error.value.errors) == {"customer_name", "summary", "description", "success_rate",
                                       "contact_phone"}
    for bad in ("-1", "50.5", "abc", ""):
        with pytest.raises(ValidationError) as error:
            new_opportunity(people.manager, success_rate=bad)
        assert set(error.value.errors) == {"success_rate"}
    assert new_opportunity(people.manager, success_rate="0").success_rate == 0
    assert new_opportunity(people.manager, success_rate="100", source="", contact="",
                           contact_phone="").success_rate == 100
    assert Opportunity.select().count() == 2


def test_created_by_cannot_be_given(crm_db, people):
    with pytest.raises(ValidationError) as error:
        new_opportunity(people.manager, created_by=people.other_manager.id)
    assert "created_by" in error.value.errors


def test_manager_sees_created_or_assigned_supervisor_sees_all(crm_db, people):
    own = new_opportunity(people.manager, summary="自己的")
    given = new_opportunity(people.supervisor, summary="指派的").assign_by(people.supervisor,
                                                                         people.manager)
    new_opportunity(people.other_manager, summary="别人的")
    new_opportunity(people.supervisor, summary="未指派")
    assert {o.id for o in Opportunity.visible_to(people.manager)} == {own.id, given.id}
    assert Opportunity.visible_to(people.supervisor).count() == 4
    assert Opportunity.visible_to(people.executive).count() == 4
    with pytest.raises(NotFound):
        Opportunity.get_visible(people.other_manager, own.id)


def test_role_without_opportunity_rights_sees_nothing(crm_db, people):
    from crm_tui.models import Role, RolePermission

    new_opportunity(people.manager)
    RolePermission.delete().where(RolePermission.role == Role.get(Role.key == "manager")).execute()
    assert Opportunity.visible_to(people.manager).count() == 0
    accounts.set_active(None, people.supervisor, False)
    disabled = users.User.get_by_id(people.supervisor.id)
    assert Opportunity.visible_to(disabled).count() == 0


def test_list_filters_by_customer_summary_contact(crm_db, people):
    new_opportunity(people.manager, customer_name="甲公司", summary="服务器", contact="刘")
    new_opportunity(people.manager, customer_name="乙公司", summary="打印机", contact="陈")
    new_opportunity(people.other_manager, customer_name="甲方乙方", summary="服务器", contact="陈")

    def names(search, user=people.manager):
        return sorted(o.customer_name for o in opportunity_list_query(user, search))

    assert names("甲") == ["甲公司"]
    assert names("打印") == ["乙公司"]
    assert names("陈") == ["乙公司"]
    assert names("服务器", people.supervisor) == ["甲公司", "甲方乙方"]
    assert names("") == ["乙公司", "甲公司"]


def test_edit_while_unassigned_by_creator_or_supervisor(crm_db, people):
    opportunity = new_opportunity(people.manager)
    opportunity = opportunity.update_by(people.manager, {"summary": "新概要", "success_rate": "80"})
    assert (opportunity.summary, opportunity.success_rate) == ("新概要", 80)
    opportunity = opportunity.update_by(people.supervisor, {"source": "电话"})
    assert opportunity.source == "电话"
    with pytest.raises(PermissionDenied):
        opportunity.update_by(people.other_manager, {"summary": "别人改"})
    with pytest.raises(PermissionDenied):
        opportunity.update_by(people.executive, {"summary": "高管改"})
    with pytest.raises(ValidationError) as error:
        opportunity.update_by(people.manager, {"summary": ""})
    assert set(error.value.errors) == {"summary"}
    for automatic in ("created_by", "created_at", "status", "assigned_to"):
        with pytest.raises(ValidationError):
            opportunity.update_by(people.supervisor, {automatic: people.supervisor.id})
    stored = Opportunity.get_by_id(opportunity.id)
    assert (stored.summary, stored.source, stored.status) == ("新概要", "电话", UNASSIGNED)
    assert ("update", "summary", "采购办公设备", "新概要") in audit_rows(opportunity.id)


def test_edit_and_delete_refused_once_assigned(crm_db, people):
    opportunity = new_opportunity(people.manager).assign_by(people.supervisor, people.manager)
    with pytest.raises(InvalidTransition, match="unassigned"):
        opportunity.update_by(people.manager, {"summary": "改"})
    with pytest.raises(InvalidTransition, match="deleted"):
        opportunity.delete_by(people.supervisor)
    assert Opportunity.get_by_id(opportunity.id).summary == "采购办公设备"


def test_stale_copy_edit_of_a_since_assigned_opportunity_is_an_invalid_transition(crm_db, people):
    opportunity = new_opportunity(people.manager)
    stale = Opportunity.get_by_id(opportunity.id)
    opportunity.assign_by(people.supervisor, people.manager)
    with pytest.raises(InvalidTransition):
        stale.update_by(people.manager, {"summary": "晚了"})
    with pytest.raises(InvalidTransition):
        stale.delete_by(people.manager)
    assert Opportunity.get_by_id(opportunity.id).status == ASSIGNED


def test_second_save_of_a_stale_copy_is_refused(crm_db, people):
    opportunity = new_opportunity(people.manager)
    first = Opportunity.get_by_id(opportunity.id)
    second = Opportunity.get_by_id(opportunity.id)
    first.update_by(people.manager, {"summary": "第一次"})
    with pytest.raises(ConcurrentEdit):
        second.update_by(people.supervisor, {"summary": "第二次"})
    with pytest.raises(ConcurrentEdit):
        second.delete_by(people.manager)
    assert Opportunity.get_by_id(opportunity.id).summary == "第一次"


def test_delete_while_unassigned(crm_db, people):
    mine = new_opportunity(people.manager)
    with pytest.raises(PermissionDenied):
        mine.delete_by(people.other_manager)
    mine.delete_by(people.manager)
    assert Opportunity.get_or_none(Opportunity.id == mine.id) is None
    assert audit_rows(mine.id)[-1][0] == "delete"
    theirs = new_opportunity(people.other_manager)
    theirs.delete_by(people.supervisor)
    with pytest.raises(NotFound):
        theirs.delete_by(people.supervisor)
    assert Opportunity.select().count() == 0


def test_supervisor_assigns_to_an_active_manager(crm_db, people):
    at(2026, 3, 5, 14)
    opportunity = new_opportunity(people.manager)
    assigned = opportunity.assign_by(people.supervisor, people.other_manager.id)
    assert (assigned.status, assigned.assigned_to_id, assigned.assigned_at) == (
        ASSIGNED, people.other_manager.id, clock.now())
    assert ("assign", "assigned_to", "", str(people.other_manager.id)) in audit_rows(opportunity.id)
    # The one it was given to sees it now.
    assert Opportunity.visible_to(people.other_manager).where(
        Opportunity.id == opportunity.id).exists()


def test_assign_refusals(crm_db, people):
    opportunity = new_opportunity(people.manager)
    for actor in (people.manager, people.executive):
        with pytest.raises(PermissionDenied):
            opportunity.assign_by(actor, people.manager)
    for not_a_manager in (people.supervisor, people.admin, 99999, "x", None):
        with pytest.raises(ValidationError) as error:
            opportunity.assign_by(people.supervisor, not_a_manager)
        assert set(error.value.errors) == {"manager"}
    accounts.set_active(None, people.other_manager, False)
    with pytest.raises(ValidationError):
        opportunity.assign_by(people.supervisor, people.other_manager)
    assert Opportunity.get_by_id(opportunity.id).status == UNASSIGNED
    assigned = opportunity.assign_by(people.supervisor, people.manager)
    with pytest.raises(InvalidTransition, match="Only an unassigned opportunity can be assigned"):
        assigned.assign_by(people.supervisor, people.manager)
    # A stale copy that still says unassigned is refused by the database.
    with pytest.raises(InvalidTransition):
        opportunity.assign_by(people.supervisor, make_user("manager", "sun").id)
    assert Opportunity.get_by_id(opportunity.id).assigned_to_id == people.manager.id


def test_what_each_role_may_do_is_reported_for_the_screens(crm_db, people):
    opportunity = new_opportunity(people.manager)
    assert offers(opportunity, people.manager, "edit") and offers(opportunity, people.supervisor, "edit")
    assert not offers(opportunity, people.other_manager, "edit")
    assert offers(opportunity, people.supervisor, "assign") and not offers(opportunity, people.manager, "assign")
    assert not offers(opportunity, people.manager, "succeed")
    assigned = opportunity.assign_by(people.supervisor, people.manager)
    assert not offers(assigned, people.manager, "edit") and not offers(assigned, people.supervisor, "assign")
    assert offers(assigned, people.manager, "succeed") and not offers(assigned, people.other_manager, "succeed")
    assert not offers(assigned, people.supervisor, "succeed")

"""Customer development plan rules (M1.2): plan items by the assigned account
manager, results, 开发成功 creating the customer in the same transaction,
终止开发, ended plans read only."""
import datetime as dt

import pytest

from crm_tui.models import AuditLog, Contact, Customer, Opportunity, PlanItem
from crm_tui.models.errors import InvalidTransition, PermissionDenied, ValidationError
from crm_tui.models.sales import ASSIGNED, FAILED, SUCCEEDED, SUCCESS_CONTACT_FIELDS
from tests.conftest import at, customer_values, offers
from tests.test_opportunities import new_opportunity


@pytest.fixture
def developing(crm_db, people):
    """An opportunity assigned to people.manager."""
    return new_opportunity(people.supervisor).assign_by(people.supervisor, people.manager)


def success_values(manager, **overrides) -> dict:
    """A 开发成功 form: the customer's fields the opportunity lacks, and its contact's."""
    values = customer_values(manager)
    del values["name"], values["manager"]
    values.update(contact_name="陈经理", contact_sex="M", contact_position="采购部经理",
                  contact_office_phone="021-55551234", contact_mobile="")
    values.update(overrides)
    return values


def test_manager_plans_edits_records_results_and_deletes(developing, people):
    item = developing.add_plan_item(people.manager, {"date": "2026-04-01", "content": "电话拜访"})
    second = developing.add_plan_item(people.manager, {"date": "2026-03-20", "content": "寄送资料"})
    assert [i.content for i in PlanItem.of(developing)] == ["寄送资料", "电话拜访"]
    item = item.update_content_by(people.manager, {"content": "上门拜访"})
    item = item.record_result_by(people.manager, {"result": "客户有意向"})
    stored = PlanItem.get_by_id(item.id)
    assert (stored.date, stored.content, stored.result) == (dt.date(2026, 4, 1), "上门拜访",
                                                            "客户有意向")
    second.delete_by(people.manager)
    assert [i.id for i in PlanItem.of(developing)] == [item.id]
    actions = [(r.action, r.field) for r in AuditLog.select().where(
        (AuditLog.table_name == "plan_item") & (AuditLog.row_id == item.id))]
    assert ("update", "content") in actions and ("update", "result") in actions


def test_plan_item_fields_are_required_and_the_date_is_fixed(developing, people):
    with pytest.raises(ValidationError) as error:
        developing.add_plan_item(people.manager, {"date": "2026-13-01", "content": " "})
    assert set(error.value.errors) == {"date", "content"}
    item = developing.add_plan_item(people.manager, {"date": "2026-04-01", "content": "拜访"})
    with pytest.raises(ValidationError) as error:
        item.update_content_by(people.manager, {"date": "2026-05-01", "content": "拜访"})
    assert error.value.errors == {"date": "the date of a plan item cannot be changed"}
    with pytest.raises(ValidationError):
        item.record_result_by(people.manager, {"result": ""})
    assert PlanItem.get_by_id(item.id).date == dt.date(2026, 4, 1)


def test_only_the_assigned_manager_works_on_the_plan(developing, people):
    item = developing.add_plan_item(people.manager, {"date": "2026-04-01", "content": "拜访"})
    for other in (people.other_manager, people.supervisor, people.executive):
        with pytest.raises(PermissionDenied):
            developing.add_plan_item(other, {"date": "2026-04-02", "content": "x"})
        with pytest.raises(PermissionDenied):
            item.update_content_by(other, {"content": "x"})
        with pytest.raises(PermissionDenied):
            item.record_result_by(other, {"result": "x"})
        with pytest.raises(PermissionDenied):
            item.delete_by(other)
        with pytest.raises(PermissionDenied):
            developing.fail_by(other)
        with pytest.raises(PermissionDenied):
            developing.succeed_by(other, success_values(people.manager))
    assert PlanItem.get_by_id(item.id).content == "拜访"
    assert Opportunity.get_by_id(developing.id).status == ASSIGNED
    assert Customer.select().count() == 0


def test_unassigned_opportunity_has_no_plan(crm_db, people):
    opportunity = new_opportunity(people.manager)
    with pytest.raises(InvalidTransition, match="unassigned"):
        opportunity.add_plan_item(people.manager, {"date": "2026-04-01", "content": "拜访"})
    with pytest.raises(InvalidTransition):
        opportunity.fail_by(people.manager)
    assert PlanItem.select().count() == 0


def test_success_creates_the_customer_and_contact_in_one_go(developing, people):
    at(2026, 5, 6, 11)
    developing.add_plan_item(people.manager, {"date": "2026-04-01", "content": "拜访"})
    customer = developing.succeed_by(people.manager, success_values(people.manager))
    stored = Opportunity.get_by_id(developing.id)
    assert (stored.status, stored.customer_id, stored.ended_at) == (
        SUCCEEDED, customer.id, dt.datetime(2026, 5, 6, 11))
    customer = Customer.get_by_id(customer.id)
    assert (customer.name, customer.manager_id, customer.number) == (
        "上海华东贸易有限公司", people.manager.id, "KH20260506001")
    contact = Contact.get(Contact.customer == customer.id)
    assert (contact.name, contact.sex, contact.position, contact.office_phone) == (
        "陈经理", "M", "采购部经理", "021-55551234")
    assert Customer.visible_to(people.manager).where(Customer.id == customer.id).exists()
    assert AuditLog.select().where((AuditLog.table_name == "opportunity")
                                   & (AuditLog.action == "succeed")).exists()


def test_success_form_is_prefilled_from_the_opportunity(developing, people):
    prefill = developing.success_prefill()
    assert prefill == {"phone": "021-55551234", "contact_name": "陈经理",
                       "contact_office_phone": "021-55551234"}
    names = {field.name for field in developing.success_fields()}
    assert "name" not in names and "manager" not in names
    assert {"region", "level", "address", "phone", "contact_position"} <= names
    no_contact = new_opportunity(people.supervisor, contact="", contact_phone="")
    assert not {f.name for f in SUCCESS_CONTACT_FIELDS} & {f.name for f in
                                                           no_contact.success_fields()}


def test_success_without_a_contact_creates_no_contact(crm_db, people):
    opportunity = new_opportunity(people.supervisor, contact="", contact_phone="").assign_by(
        people.supervisor, people.manager)
    values = success_values(people.manager)
    for field in SUCCESS_CONTACT_FIELDS:
        values.pop(field.name, None)
    customer = opportunity.succeed_by(people.manager, values)
    assert Contact.select().where(Contact.customer == customer.id).count() == 0


def test_a_bad_success_form_names_every_field_and_changes_nothing(developing, people):
    values = success_values(people.manager, address="", postcode="12", contact_position="",
                            contact_sex="X")
    with pytest.raises(ValidationError) as error:
        developing.succeed_by(people.manager, values)
    assert {"address", "postcode", "contact_position"} <= set(error.value.errors)
    # A region that is not a region: found by the customer rule inside the
    # transaction, which then rolls back the opportunity's new status too.
    with pytest.raises(ValidationError) as error:
        developing.succeed_by(people.manager, success_values(people.manager, region="999999"))
    assert set(error.value.errors) == {"region"}
    with pytest.raises(ValidationError) as error:
        developing.succeed_by(people.manager, success_values(people.manager, contact_sex="X"))
    assert set(error.value.errors) == {"contact_sex"}
    stored = Opportunity.get_by_id(developing.id)
    assert (stored.status, stored.customer_id) == (ASSIGNED, None)
    assert Customer.select().count() == 0 and Contact.select().count() == 0


def test_fail_ends_the_plan(developing, people):
    failed = developing.fail_by(people.manager)
    assert failed.status == FAILED and failed.ended_at is not None and failed.customer_id is None
    assert Customer.select().count() == 0


@pytest.mark.parametrize("end", ["succeed", "fail"])
def test_ended_plans_are_read_only(developing, people, end):
    item = developing.add_plan_item(people.manager, {"date": "2026-04-01", "content": "拜访"})
    if end == "succeed":
        developing.succeed_by(people.manager, success_values(people.manager))
    else:
        developing.fail_by(people.manager)
    ended = Opportunity.get_by_id(developing.id)
    refusals = [
        lambda: ended.add_plan_item(people.manager, {"date": "2026-04-02", "content": "x"}),
        lambda: item.update_content_by(people.manager, {"content": "x"}),
        lambda: item.record_result_by(people.manager, {"result": "x"}),
        lambda: item.delete_by(people.manager),
        lambda: ended.fail_by(people.manager),
        lambda: ended.succeed_by(people.manager, success_values(people.manager)),
        # The copy read before the end is refused by the database itself.
        lambda: developing.fail_by(people.manager),
        lambda: developing.add_plan_item(people.manager, {"date": "2026-04-02", "content": "x"}),
    ]
    for refused in refusals:
        with pytest.raises(InvalidTransition, match="read only"):
            refused()
    assert (PlanItem.get_by_id(item.id).content, PlanItem.get_by_id(item.id).result) == ("拜访", "")
    assert PlanItem.select().count() == 1
    assert Customer.select().count() == (1 if end == "succeed" else 0)
    assert not offers(ended, people.manager, "succeed")


def test_two_sessions_ending_the_same_plan_at_once_create_one_customer(developing, people):
    """Two sessions of the manager press 开发成功 at the same moment: one
    wins, the other is told the plan has ended; one customer exists."""
    import threading

    from crm_tui.models import database
    from crm_tui.models.errors import CrmError

    copies = [Opportunity.get_by_id(developing.id) for _ in range(2)]
    start = threading.Barrier(2)
    outcomes = []

    def press_success(copy):
        try:
            start.wait()
            copy.succeed_by(people.manager, success_values(people.manager))
            outcomes.append("succeeded")
        except CrmError as error:
            outcomes.append(type(error).__name__)
        finally:
            database.close()

    threads = [threading.Thread(target=press_success, args=(copy,)) for copy in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["InvalidTransition", "succeeded"]
    assert Customer.select().count() == 1
    assert Opportunity.get_by_id(developing.id).customer_id == Customer.get().id

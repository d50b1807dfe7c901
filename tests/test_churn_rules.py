"""Churn rules (M2.5): the scan, deferral (暂缓流失), confirmation (确认流失), scope.

Time is moved with the injected clock; orders are written to the sales
system's table the way the sales system would.
"""
import datetime as dt
from decimal import Decimal

import pytest

from crm_tui.models import AuditLog, Order
from crm_tui.models.churn import (CLOSED, CONFIRMED, DEFERRED, ORDERED_AGAIN, WARNING, ChurnAlert,
                                  ChurnMeasure, months_before, new_alerts_since, open_alert_count,
                                  scan)
from crm_tui.models.customers import DELETED, LOST, NORMAL, Customer
from crm_tui.models.errors import (ConcurrentEdit, InvalidTransition, PermissionDenied,
                                   ValidationError)
from crm_tui.models.sales_system import PAID, SHIPPED
from tests.conftest import at, make_customer, offers

_numbers = iter(range(1, 10**6))


def order(customer: Customer, date: dt.date, status: int = PAID) -> Order:
    return Order.create(number=f"SO{next(_numbers):07d}", customer_id=customer.id, date=date,
                        status=status, amount=Decimal("100.00"))


def alerts_of(customer: Customer):
    return list(ChurnAlert.select().where(ChurnAlert.customer == customer.id).order_by(ChurnAlert.id))


def test_months_before_clamps_to_the_end_of_the_month():
    assert months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 7, 15), 6) == dt.date(2026, 1, 15)
    assert months_before(dt.date(2026, 3, 10), 6) == dt.date(2025, 9, 10)


def test_customer_crossing_six_months_gets_one_alert_and_a_second_scan_adds_none(crm_db, people):
    at(2026, 1, 10)
    customer = make_customer(people.manager)
    order(customer, dt.date(2026, 1, 15))
    at(2026, 7, 15)  # exactly six months: not yet more than six
    assert scan(6).added == 0
    at(2026, 7, 16)
    result = scan(6)
    assert (result.added, result.scanned) == (1, 1)
    [alert] = alerts_of(customer)
    assert (alert.status, alert.last_order_date) == (WARNING, dt.date(2026, 1, 15))
    assert alert.created_at == dt.datetime(2026, 7, 16, 9)
    at(2026, 7, 17)
    assert scan(6).added == 0
    assert len(alerts_of(customer)) == 1


def test_only_counted_orders_count_and_customers_without_orders_are_alerted(crm_db, people):
    at(2026, 1, 1)
    never = make_customer(people.manager, name="从未下单公司")
    unshipped = make_customer(people.manager, name="未发货公司")
    shipped = make_customer(people.manager, name="已发货公司")
    order(unshipped, dt.date(2026, 6, 1), status=3)
    order(unshipped, dt.date(2025, 1, 1), status=SHIPPED)
    order(shipped, dt.date(2026, 6, 1), status=SHIPPED)
    at(2026, 7, 1)
    assert scan(6).added == 2
    assert alerts_of(never)[0].last_order_date is None
    assert alerts_of(unshipped)[0].last_order_date == dt.date(2025, 1, 1)
    assert alerts_of(shipped) == []


def test_months_come_from_the_configuration(crm_db, people):
    at(2026, 1, 1)
    customer = make_customer(people.manager)
    order(customer, dt.date(2026, 1, 1))
    at(2026, 4, 2)
    assert scan(6).added == 0
    assert scan(3).added == 1


def test_only_customers_in_status_normal_are_scanned(crm_db, people):
    at(2026, 1, 1)
    make_customer(people.manager, name="正常公司")
    gone = make_customer(people.manager, name="删除公司")
    gone.delete_by(people.manager)
    at(2026, 8, 1)
    result = scan(6)
    assert (result.scanned, result.added) == (1, 1)
    assert alerts_of(gone) == []


def test_ordering_again_closes_the_open_alert_and_keeps_it(crm_db, people):
    at(2026, 1, 1)
    customer = make_customer(people.manager)
    order(customer, dt.date(2025, 12, 1))
    at(2026, 7, 1)
    scan(6)
    order(customer, dt.date(2026, 7, 3))
    at(2026, 7, 4)
    result = scan(6)
    assert (result.closed, result.added) == (1, 0)
    [alert] = alerts_of(customer)
    assert (alert.status, alert.closed_note) == (CLOSED, ORDERED_AGAIN)
    assert alert.closed_at == dt.datetime(2026, 7, 4, 9)
    # Six months after that order, a new alert; the closed one stays.
    at(2027, 1, 4)
    assert scan(6).added == 1
    assert [a.status for a in alerts_of(customer)] == [CLOSED, WARNING]
    assert alerts_of(customer)[1].last_order_date == dt.date(2026, 7, 3)


def test_deferred_alert_closes_too_when_the_customer_orders(crm_db, people):
    at(2026, 1, 1)
    customer = make_customer(people.manager)
    at(2026, 7, 2)
    scan(6)
    [alert] = alerts_of(customer)
    alert.defer_by(people.manager, {"measure": "电话回访，客户表示下月下单"})
    order(customer, dt.date(2026, 7, 20))
    at(2026, 7, 21)
    assert scan(6).closed == 1
    [alert] = alerts_of(customer)
    assert alert.status == CLOSED
    assert alert.measures.count() == 1


def test_open_alert_of_a_deleted_customer_is_closed(crm_db, people):
    at(2026, 1, 1)
    customer = make_customer(people.manager)
    at(2026, 7, 2)
    scan(6)
    Customer.get_by_id(customer.id).delete_by(people.manager)
    assert scan(6).closed == 1
    assert alerts_of(customer)[0].status == CLOSED


def test_the_database_refuses_a_second_open_alert(crm_db, people):
    from peewee import IntegrityError

    at(2026, 1, 1)
    customer = make_customer(people.manager)
    ChurnAlert.create(customer=customer)
    with pytest.raises(IntegrityError):
        with crm_db.atomic():
            ChurnAlert.create(customer=customer)


def _alert(people, at_date=(2026, 7, 2)) -> ChurnAlert:
    at(2026, 1, 1)
    customer = make_customer(people.manager)
    at(*at_date)
    scan(6)
    return alerts_of(customer)[0]


def test_defer_appends_measures_with_time_and_author(crm_db, people):
    alert = _alert(people)
    at(2026, 7, 3, 10)
    alert = alert.defer_by(people.manager, {"measure": "上门拜访"})
    at(2026, 7, 10, 11)
    alert = alert.defer_by(people.manager, {"measure": "赠送样品"})
    assert alert.status == DEFERRED
    measures = list(alert.measures_in_order())
    assert [(m.text, m.author.id, m.created_at) for m in measures] == [
        ("上门拜访", people.manager.id, dt.datetime(2026, 7, 3, 10)),
        ("赠送样品", people.manager.id, dt.datetime(2026, 7, 10, 11))]
    assert AuditLog.select().where((AuditLog.table_name == "churn_alert")
                                   & (AuditLog.action == "defer")).count() == 2


def test_defer_needs_the_measure_text(crm_db, people):
    alert = _alert(people)
    with pytest.raises(ValidationError) as error:
        alert.defer_by(people.manager, {"measure": "  "})
    assert set(error.value.errors) == {"measure"}
    assert ChurnAlert.get_by_id(alert.id).status == WARNING
    assert ChurnMeasure.select().count() == 0


def test_confirm_without_a_measure_is_refused(crm_db, people):
    alert = _alert(people)
    assert not offers(alert, people.manager, "confirm")
    with pytest.raises(InvalidTransition):
        alert.confirm_by(people.manager, {"reason": "客户已转向竞争对手"})
    assert ChurnAlert.get_by_id(alert.id).status == WARNING
    assert Customer.get_by_id(alert.customer_id).status == NORMAL


def test_confirm_needs_a_reason(crm_db, people):
    alert = _alert(people).defer_by(people.manager, {"measure": "电话回访"})
    with pytest.raises(ValidationError) as error:
        alert.confirm_by(people.manager, {"reason": ""})
    assert set(error.value.errors) == {"reason"}


def test_confirm_after_a_measure_makes_the_customer_lost(crm_db, people):
    alert = _alert(people).defer_by(people.manager, {"measure": "电话回访"})
    assert offers(alert, people.manager, "confirm")
    at(2026, 8, 1)
    alert = alert.confirm_by(people.manager, {"reason": "客户已转向竞争对手"})
    assert (alert.status, alert.reason, alert.lost_date) == (
        CONFIRMED, "客户已转向竞争对手", dt.date(2026, 8, 1))
    customer = Customer.get_by_id(alert.customer_id)
    assert (customer.status, customer.lost_at) == (LOST, dt.date(2026, 8, 1))
    actions = {(row.table_name, row.action) for row in AuditLog.select()}
    assert {("churn_alert", "confirm"), ("customer", "lost")} <= actions
    # A confirmed alert is closed to further action, and a lost customer is
    # not scanned again.
    with pytest.raises(InvalidTransition):
        alert.defer_by(people.manager, {"measure": "再试一次"})
    at(2027, 3, 1)
    assert scan(6).added == 0


def test_confirm_is_all_or_nothing(crm_db, people):
    alert = _alert(people).defer_by(people.manager, {"measure": "电话回访"})
    # The customer changed status in between: nothing of the confirmation stays.
    Customer.update(status=DELETED).where(Customer.id == alert.customer_id).execute()
    with pytest.raises(InvalidTransition):
        alert.confirm_by(people.manager, {"reason": "客户已转向竞争对手"})
    assert ChurnAlert.get_by_id(alert.id).status == DEFERRED
    assert AuditLog.select().where(AuditLog.action == "confirm").count() == 0


def test_a_stale_copy_cannot_act(crm_db, people):
    alert = _alert(people)
    alert.defer_by(people.manager, {"measure": "电话回访"})
    with pytest.raises(ConcurrentEdit):
        alert.defer_by(people.manager, {"measure": "同时的另一条措施"})
    assert ChurnMeasure.select().count() == 1


def test_only_the_customers_manager_may_act(crm_db, people):
    alert = _alert(people)
    for someone in (people.other_manager, people.supervisor, people.executive, people.admin):
        with pytest.raises(PermissionDenied):
            alert.defer_by(someone, {"measure": "措施"})
        assert not offers(alert, someone, "defer")
    assert offers(alert, people.manager, "defer")
    assert ChurnMeasure.select().count() == 0


def test_scope_of_the_alert_list(crm_db, people):
    at(2026, 1, 1)
    mine = make_customer(people.manager, name="甲公司")
    make_customer(people.other_manager, name="乙公司")
    at(2026, 7, 2)
    scan(6)
    assert [a.customer_id for a in ChurnAlert.visible_to(people.manager)] == [mine.id]
    for reader in (people.supervisor, people.executive, people.admin):
        assert ChurnAlert.visible_to(reader).count() == 2
    assert open_alert_count(people.manager) == 1
    assert new_alerts_since(people.manager, dt.datetime(2026, 7, 1)).count() == 1
    assert new_alerts_since(people.supervisor, dt.datetime(2026, 7, 1)).count() == 2
    assert new_alerts_since(people.supervisor, dt.datetime(2026, 7, 2, 9)).count() == 0


def test_role_without_churn_rights_sees_nothing(crm_db, people):
    from crm_tui.models import Permission, Role, RolePermission

    _alert(people)
    executive = Role.get(Role.key == "executive")
    view_all = Permission.get(Permission.code == "churn.view_all")
    RolePermission.delete().where((RolePermission.role == executive)
                                  & (RolePermission.permission == view_all)).execute()
    assert ChurnAlert.visible_to(people.executive).count() == 0

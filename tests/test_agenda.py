"""Today's agenda (SQLite and PostgreSQL): what each source puts on it for
whom, the ranking by urgency, the home figure, and what is new since the
last look."""
from __future__ import annotations

import datetime as dt

from crm_tui.models import ChurnAlert, Contract, Instalment, Service, SurveyFollowUp
from crm_tui.models.agenda import agenda, agenda_count, newly_due
from crm_tui.models.home import home_figures
from tests.conftest import at, make_customer
from tests.test_contracts import contract_values, with_plan
from tests.test_opportunities import new_opportunity
from tests.test_service import service_values


def plan_of(people, customer_name: str):
    opportunity = new_opportunity(people.manager, customer_name=customer_name)
    return opportunity.assign_by(people.supervisor, people.manager.id)


def lines(user, today=None):
    return [(item.source, item.kind, item.record_id, item.due, item.text)
            for item in agenda(user, today).items]


def test_ranked_by_urgency_across_sources(crm_db, people):
    at(2026, 3, 1)
    customer = make_customer(people.manager, name="华东电力")
    plan = plan_of(people, "甲公司")
    overdue = plan.add_plan_item(people.manager, {"date": "2026-03-03", "content": "回访"})
    due = plan.add_plan_item(people.manager, {"date": "2026-03-10", "content": "报价"})
    plan.add_plan_item(people.manager, {"date": "2026-03-20", "content": "签约"})  # not yet
    done = plan.add_plan_item(people.manager, {"date": "2026-03-02", "content": "电话"})
    done.record_result_by(people.manager, {"result": "已联系"})  # has a result: off the list
    at(2026, 3, 5)
    service = Service.create_by(people.manager, service_values(customer, summary="卡纸"))
    service.assign_by(people.supervisor, people.manager.id)
    alert = ChurnAlert.create(customer=customer, created_at=dt.datetime(2026, 3, 4, 2))
    # A contract in force with an instalment due 2026-04-15, unpaid.
    contract = Contract.create_by(people.manager, contract_values(customer))
    contract = with_plan(contract, people.manager, "300000").submit_by(people.manager)
    contract.approve_by(people.supervisor, {}).sign_by(people.manager, {"sign_date": "2026-03-05"})
    instalment = Instalment.get(Instalment.contract == contract.id)

    at(2026, 3, 10)
    assert lines(people.manager) == [
        ("plan", "opportunity", plan.id, dt.date(2026, 3, 3), "甲公司: 回访"),
        ("churn", "churn_alert", alert.id, dt.date(2026, 3, 4), "华东电力: churn alert"),
        ("service", "service", service.id, dt.date(2026, 3, 5), "华东电力: 卡纸"),
        ("plan", "opportunity", plan.id, dt.date(2026, 3, 10), "甲公司: 报价"),
    ]
    assert agenda_count(people.manager) == 4 == home_figures(people.manager).agenda
    # Another manager's agenda holds none of it.
    assert lines(people.other_manager) == [] and agenda_count(people.other_manager) == 0

    # Weeks later the instalment is overdue: oldest first, and on the same
    # day a plan item before an overdue instalment.
    at(2026, 4, 20)
    plan.add_plan_item(people.manager, {"date": "2026-04-15", "content": "催款"})
    ranked = lines(people.manager)
    assert [(source, due) for source, _k, _i, due, _t in ranked] == [
        ("plan", dt.date(2026, 3, 3)), ("churn", dt.date(2026, 3, 4)),
        ("service", dt.date(2026, 3, 5)), ("plan", dt.date(2026, 3, 10)),
        ("plan", dt.date(2026, 3, 20)), ("plan", dt.date(2026, 4, 15)),
        ("instalment", dt.date(2026, 4, 15))]
    assert ranked[-1][:3] == ("instalment", "contract", contract.id)
    assert instalment.due_date == dt.date(2026, 4, 15)


def test_approvals_wait_for_the_supervisor_not_the_author(crm_db, people):
    at(2026, 3, 1)
    customer = make_customer(people.manager)
    contract = Contract.create_by(people.manager, contract_values(customer))
    at(2026, 3, 2)
    contract = with_plan(contract, people.manager, "300000").submit_by(people.manager)
    at(2026, 3, 6)
    assert lines(people.supervisor) == [
        ("approval", "contract", contract.id, dt.date(2026, 3, 2),
         f"{contract.number} 配电柜供货合同 300,000.00")]
    assert lines(people.manager) == []
    contract.approve_by(people.supervisor, {})
    assert lines(people.supervisor) == []


def test_supervisors_see_new_services_waiting_to_be_assigned(crm_db, people):
    at(2026, 3, 1)
    customer = make_customer(people.manager)
    service = Service.create_by(people.manager, service_values(customer))
    assert [item.record_id for item in agenda(people.supervisor).items] == [service.id]
    # The manager who created it waits for nobody.
    assert agenda(people.manager).items == []
    service.assign_by(people.supervisor, people.other_manager.id)
    assert agenda(people.supervisor).items == []
    assert [item.record_id for item in agenda(people.other_manager).items] == [service.id]


def test_what_came_due_since_the_last_look(crm_db, people):
    at(2026, 3, 1)
    plan = plan_of(people, "甲公司")
    plan.add_plan_item(people.manager, {"date": "2026-03-01", "content": "回访"})
    plan.add_plan_item(people.manager, {"date": "2026-03-02", "content": "报价"})
    first = agenda(people.manager)
    assert [item.text for item in first.items] == ["甲公司: 回访"]
    seen = {item.key for item in first.items}
    assert newly_due(seen, agenda(people.manager)) == []
    at(2026, 3, 2)
    assert [item.text for item in newly_due(seen, agenda(people.manager))] == ["甲公司: 报价"]


def test_one_source_is_capped_but_counted_whole(crm_db, people):
    at(2026, 3, 1)
    plan = plan_of(people, "甲公司")
    for day in range(1, 6):
        plan.add_plan_item(people.manager, {"date": f"2026-02-0{day}", "content": f"第{day}次"})
    capped = agenda(people.manager, limit=3)
    assert capped.count == 5
    assert [item.text for item in capped.items] == ["甲公司: 第1次", "甲公司: 第2次", "甲公司: 第3次"]


def test_a_survey_follow_up_is_on_the_managers_agenda_until_done(crm_db, people):
    from tests.test_surveys import open_survey, typed

    at(2026, 3, 1)
    customer = make_customer(people.manager, name="华东电力")
    survey = open_survey(people)
    at(2026, 3, 2)
    survey.answer_by(people.manager, typed(survey, customer, "2", "1"))
    at(2026, 3, 9)
    [item] = agenda(people.manager).items
    assert (item.source, item.kind, item.record_id, item.due) == (
        "follow_up", "customer", customer.id, dt.date(2026, 3, 2))
    assert "华东电力" in item.text and "1.50" in item.text
    assert agenda(people.other_manager).items == []
    SurveyFollowUp.get().set_done_by(people.manager)
    assert agenda_count(people.manager) == 0

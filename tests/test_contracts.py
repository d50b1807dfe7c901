"""Contracts (M11): entry, the approval flow, the payment plan, payments,
completion and termination, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm_tui.models import AuditLog, Contract, ContractStep, Instalment, Payment
from crm_tui.models import contracts
from crm_tui.models.contracts import (APPROVED, COMPLETED, DRAFT, IN_FORCE, PAYMENT_METHOD,
                                      REJECTED, SUBMITTED, TERMINATED, mark_overdue_instalments,
                                      overdue_instalments,
                                      waiting_for_approval)
from crm_tui.models.customers import Contact
from crm_tui.models.errors import (ConcurrentEdit, InvalidTransition, PermissionDenied,
                                   ValidationError)
from tests.conftest import at, entry, make_customer, make_user
from tests.test_contacts_rules import contact_values


def contract_values(customer, **overrides) -> dict:
    values = {"title": "配电柜供货合同", "customer": customer.id, "amount": "300000",
              "start_date": "2026-03-01", "end_date": "2027-02-28",
              "payment_terms": "30% 预付，70% 到货后 60 天"}
    values.update(overrides)
    return values


def with_plan(contract, actor, *amounts: str) -> Contract:
    for month, amount in enumerate(amounts, start=4):
        contract.add_instalment_by(actor, {"due_date": f"2026-{month:02d}-15", "amount": amount})
    return Contract.get_by_id(contract.id)


def method() -> int:
    return entry(PAYMENT_METHOD, "银行转账").id


@pytest.fixture
def customer(crm_db, people):
    at(2026, 3, 1)
    return make_customer(people.manager, name="北京远大科技有限公司")


@pytest.fixture
def draft(customer, people):
    return Contract.create_by(people.manager, contract_values(customer))


@pytest.fixture
def submitted(draft, people):
    return with_plan(draft, people.manager, "90000", "210000").submit_by(people.manager)


def test_a_draft_gets_a_number_and_an_audit_row(draft, people):
    assert draft.number == "HT20260301001" and draft.status == DRAFT
    assert draft.amount == Decimal("300000.00")
    assert AuditLog.select().where((AuditLog.table_name == "contract")
                                   & (AuditLog.row_id == draft.id)).count() == 1


@pytest.mark.parametrize("field, value, error", [
    ("amount", "0", "amount"), ("amount", "-5", "amount"), ("title", "", "title"),
    ("end_date", "2026-02-01", "end_date"), ("start_date", "2026-13-01", "start_date"),
])
def test_bad_entries_are_refused_and_nothing_is_written(customer, people, field, value, error):
    with pytest.raises(ValidationError) as refused:
        Contract.create_by(people.manager, contract_values(customer, **{field: value}))
    assert error in refused.value.errors
    assert Contract.select().count() == 0


def test_the_customer_signer_is_a_contact_of_that_customer(customer, people):
    other = make_customer(people.manager, name="天津港务集团")
    strangers_contact = Contact.create_by(people.manager, other, contact_values())
    own_contact = Contact.create_by(people.manager, customer, contact_values(name="刘芳"))
    with pytest.raises(ValidationError) as refused:
        Contract.create_by(people.manager,
                           contract_values(customer, customer_signer=strangers_contact.id))
    assert "customer_signer" in refused.value.errors
    contract = Contract.create_by(people.manager,
                                  contract_values(customer, customer_signer=own_contact.id))
    assert contract.customer_signer_id == own_contact.id


def test_a_manager_drafts_only_for_own_customers(crm_db, people):
    at(2026, 3, 1)
    theirs = make_customer(people.other_manager)
    with pytest.raises(ValidationError):
        Contract.create_by(people.manager, contract_values(theirs))
    with pytest.raises(PermissionDenied):
        Contract.create_by(people.supervisor, contract_values(theirs))
    assert Contract.select().count() == 0


def test_submitting_needs_a_plan_that_adds_up(draft, people):
    with pytest.raises(ValidationError) as refused:
        draft.submit_by(people.manager)
    assert "plan" in refused.value.errors
    draft = with_plan(draft, people.manager, "90000", "200000")
    with pytest.raises(ValidationError):
        draft.submit_by(people.manager)
    assert Contract.get_by_id(draft.id).status == DRAFT
    Instalment.get(Instalment.amount == Decimal("200000")).update_by(
        people.manager, {"due_date": "2026-05-15", "amount": "210000"})
    submitted = Contract.get_by_id(draft.id).submit_by(people.manager)
    assert submitted.status == SUBMITTED


@pytest.mark.parametrize("amounts", [("25899.99",), ("0.10", "0.20", "25899.69"),
                                     ("33333.33", "33333.33", "33333.34")])
def test_a_plan_in_cents_adds_up_exactly(customer, people, amounts):
    # SQLite sums decimal columns as floating point: 0.1 + 0.2 must still
    # equal 0.30, and a plan of cents must still submit.
    total = sum(Decimal(amount) for amount in amounts)
    draft = Contract.create_by(people.manager, contract_values(customer, amount=str(total)))
    draft = with_plan(draft, people.manager, *amounts)
    assert draft.planned_total() == total
    assert draft.submit_by(people.manager).status == SUBMITTED


def test_a_submitted_contract_and_its_plan_cannot_be_edited(submitted, people):
    with pytest.raises(InvalidTransition):
        submitted.update_by(people.manager, {"title": "changed"})
    with pytest.raises(InvalidTransition):
        submitted.add_instalment_by(people.manager, {"due_date": "2026-09-01", "amount": "1"})
    with pytest.raises(InvalidTransition):
        Instalment.get().delete_by(people.manager)
    with pytest.raises(InvalidTransition):
        submitted.delete_by(people.manager)
    assert Contract.get_by_id(submitted.id).title == "配电柜供货合同"
    assert Instalment.select().count() == 2


def test_a_supervisor_approves_a_small_contract(submitted, people):
    assert list(waiting_for_approval(people.supervisor)) == [submitted]
    assert list(waiting_for_approval(people.executive)) == []
    with pytest.raises(PermissionDenied):
        submitted.approve_by(people.manager, {})
    approved = submitted.approve_by(people.supervisor, {"comment": "同意"})
    assert approved.status == APPROVED
    steps = [(step.step, step.actor_id, step.comment) for step in approved.steps()]
    assert steps == [("submit", people.manager.id, ""), ("approve", people.supervisor.id, "同意")]


def test_a_large_contract_needs_the_executive_after_the_supervisor(customer, people):
    contracts.set_executive_approval_amount(Decimal("1000000"))
    large = Contract.create_by(people.manager, contract_values(customer, amount="1500000"))
    large = with_plan(large, people.manager, "1500000").submit_by(people.manager)
    # Out of order: the executive may not approve first.
    with pytest.raises(PermissionDenied):
        large.approve_by(people.executive, {})
    large = large.approve_by(people.supervisor, {})
    assert large.status == SUBMITTED and large.supervisor_approved_by_id == people.supervisor.id
    assert list(waiting_for_approval(people.supervisor)) == []
    assert list(waiting_for_approval(people.executive)) == [large]
    # The supervisor cannot approve twice.
    with pytest.raises(PermissionDenied):
        large.approve_by(people.supervisor, {})
    approved = large.approve_by(people.executive, {"comment": "批准"})
    assert approved.status == APPROVED
    assert [step.step for step in approved.steps()] == ["submit", "approve", "approve"]


def test_nobody_approves_their_own_contract(customer, people):
    contract = Contract.create_by(people.admin, contract_values(customer))
    contract = with_plan(contract, people.admin, "300000").submit_by(people.admin)
    with pytest.raises(PermissionDenied, match="drafted"):
        contract.approve_by(people.admin, {})
    with pytest.raises(PermissionDenied):
        contract.reject_by(people.admin, {"comment": "no"})
    assert Contract.get_by_id(contract.id).status == SUBMITTED


def test_two_supervisors_approving_at_once_approve_once(submitted, people):
    second = make_user("supervisor", "super2", "周主管")
    first_copy = Contract.get_by_id(submitted.id)
    second_copy = Contract.get_by_id(submitted.id)
    first_copy.approve_by(people.supervisor, {})
    with pytest.raises((ConcurrentEdit, InvalidTransition)):
        second_copy.approve_by(second, {})
    assert ContractStep.select().where(ContractStep.step == "approve").count() == 1


def test_rejected_with_a_comment_then_revised_and_submitted_again(submitted, people):
    with pytest.raises(ValidationError):
        submitted.reject_by(people.supervisor, {"comment": ""})
    rejected = submitted.reject_by(people.supervisor, {"comment": "金额有误"})
    assert rejected.status == REJECTED
    revised = rejected.update_by(people.manager, {"title": "配电柜供货合同（修订）"})
    again = revised.submit_by(people.manager)
    assert again.status == SUBMITTED
    assert [step.step for step in again.steps()] == ["submit", "reject", "submit"]


def in_force(submitted, people) -> Contract:
    approved = submitted.approve_by(people.supervisor, {})
    return approved.sign_by(people.manager, {"sign_date": "2026-03-01"})


def test_payments_until_the_contract_completes(submitted, people):
    contract = in_force(submitted, people)
    assert contract.status == IN_FORCE and contract.sign_date.isoformat() == "2026-03-01"
    first, second = Instalment.select().order_by(Instalment.due_date)
    first.pay_by(people.manager, {"date": "2026-04-10", "amount": "50000", "method": method()})
    # Partial payments are allowed; more than is still due is not.
    with pytest.raises(ValidationError) as refused:
        first.pay_by(people.manager, {"date": "2026-04-11", "amount": "40000.01",
                                      "method": method()})
    assert "amount" in refused.value.errors
    first.pay_by(people.manager, {"date": "2026-04-12", "amount": "40000", "method": method()})
    assert first.outstanding() == 0
    assert Contract.get_by_id(contract.id).status == IN_FORCE
    second.pay_by(people.manager, {"date": "2026-05-20", "amount": "210000", "method": method()})
    done = Contract.get_by_id(contract.id)
    assert done.status == COMPLETED and done.received_total() == Decimal("300000")
    assert Payment.select().count() == 3
    with pytest.raises(InvalidTransition):
        second.pay_by(people.manager, {"date": "2026-05-21", "amount": "1", "method": method()})


def test_payments_only_by_the_owner_and_with_a_known_method(submitted, people):
    in_force(submitted, people)
    first = Instalment.select().order_by(Instalment.due_date).first()
    with pytest.raises(PermissionDenied):
        first.pay_by(people.other_manager, {"date": "2026-04-10", "amount": "1",
                                            "method": method()})
    with pytest.raises(ValidationError) as refused:
        first.pay_by(people.manager, {"date": "2026-04-10", "amount": "1",
                                      "method": entry("地区", "北京").id})
    assert "method" in refused.value.errors
    assert Payment.select().count() == 0


def test_overdue_instalments_are_those_past_due_and_not_paid(submitted, people):
    in_force(submitted, people)
    first, second = Instalment.select().order_by(Instalment.due_date)
    at(2026, 5, 1)
    assert [row.id for row in overdue_instalments(people.manager)] == [first.id]
    assert list(overdue_instalments(people.other_manager)) == []
    first.pay_by(people.manager, {"date": "2026-05-01", "amount": "90000", "method": method()})
    at(2026, 6, 1)
    assert [row.id for row in overdue_instalments(people.manager)] == [second.id]


def test_the_worker_marks_each_instalment_overdue_once(submitted, people):
    in_force(submitted, people)
    first, second = Instalment.select().order_by(Instalment.due_date)
    at(2026, 5, 1)
    assert mark_overdue_instalments() == 1
    assert mark_overdue_instalments() == 0  # found before: not again
    marked = Instalment.get_by_id(first.id)
    assert marked.overdue_since == first.due_date + dt.timedelta(days=1)
    assert Instalment.get_by_id(second.id).overdue_since is None
    row = AuditLog.get(AuditLog.table_name == "instalment", AuditLog.row_id == first.id,
                       AuditLog.field == "overdue_since")
    assert (row.action, row.actor_id) == ("overdue", None)
    # Paid in part since: still overdue, still marked once; the second falls due.
    first.pay_by(people.manager, {"date": "2026-05-02", "amount": "100", "method": method()})
    at(2026, 6, 1)
    assert mark_overdue_instalments() == 1
    assert Instalment.get_by_id(second.id).overdue_since == second.due_date + dt.timedelta(days=1)


def test_termination_needs_a_reason(submitted, people):
    contract = in_force(submitted, people)
    with pytest.raises(ValidationError):
        contract.terminate_by(people.manager, {"reason": ""})
    ended = contract.terminate_by(people.manager, {"reason": "客户资金困难"})
    assert (ended.status, ended.termination_reason) == (TERMINATED, "客户资金困难")


def test_scope_of_contracts(submitted, people):
    assert Contract.visible_to(people.manager).count() == 1
    assert Contract.visible_to(people.other_manager).count() == 0
    assert Contract.visible_to(people.supervisor).count() == 1
    assert Contract.visible_to(people.executive).count() == 1


def test_no_churn_alert_for_a_customer_with_a_contract_in_force(submitted, customer, people):
    from crm_tui.models import ChurnAlert
    from crm_tui.models.churn import scan

    quiet = make_customer(people.manager, name="天津港务集团")
    in_force(submitted, people)
    at(2026, 10, 1)  # seven months without orders for both
    scan(6)
    assert [alert.customer_id for alert in ChurnAlert.select()] == [quiet.id]


def test_home_figures_count_approvals_and_overdue_instalments(submitted, people):
    from crm_tui.models.home import home_figures

    assert home_figures(people.supervisor).contracts_to_approve == 1
    assert home_figures(people.manager).contracts_to_approve == 0
    in_force(submitted, people)
    at(2026, 6, 1)
    assert home_figures(people.manager).overdue_instalments == 2
    assert home_figures(people.other_manager).overdue_instalments == 0


def test_receivables_by_age_checked_against_the_plan(submitted, people):
    """Two instalments: 90,000 due 04-15 (40,000 paid), 210,000 due 05-15
    (nothing paid). On 06-20 the first is 66 days late, the second 36."""
    in_force(submitted, people)
    first, second = Instalment.select().order_by(Instalment.due_date)
    first.pay_by(people.manager, {"date": "2026-04-20", "amount": "40000", "method": method()})
    at(2026, 6, 20)
    [row] = contracts.receivables(people.manager)
    assert (row.due, row.received, row.outstanding) == (
        Decimal("300000"), Decimal("40000"), Decimal("260000"))
    assert row.overdue == (Decimal("0"), Decimal("260000"), Decimal("0"))
    at(2026, 7, 20)  # 96 and 66 days
    [row] = contracts.receivables(people.manager)
    assert row.overdue == (Decimal("0"), Decimal("210000"), Decimal("50000"))
    assert contracts.receivables(people.other_manager) == []
    at(2026, 8, 13)  # 120 and 90 days: the edge of the middle bucket
    [row] = contracts.receivables(people.manager)
    assert row.overdue == (Decimal("0"), Decimal("210000"), Decimal("50000"))
    at(2026, 8, 14)  # 121 and 91 days
    [row] = contracts.receivables(people.manager)
    assert row.overdue == (Decimal("0"), Decimal("0"), Decimal("260000"))


def test_contracts_signed_by_month_and_manager(customer, people):
    theirs = make_customer(people.other_manager, name="天津港务集团")
    for owner, client, amount, signed in ((people.manager, customer, "300000", "2026-03-05"),
                                          (people.manager, customer, "100000", "2026-03-20"),
                                          (people.other_manager, theirs, "50000", "2026-04-02")):
        at(2026, int(signed[5:7]), int(signed[8:10]))
        contract = Contract.create_by(owner, contract_values(client, amount=amount))
        contract = with_plan(contract, owner, amount).submit_by(owner)
        contract.approve_by(people.supervisor, {}).sign_by(owner, {"sign_date": signed})
    rows = contracts.signed_by_month(people.supervisor, 2026)
    assert [(row.month, row.manager, row.count, row.amount) for row in rows] == [
        (3, "王经理", 2, Decimal("400000")), (4, "赵经理", 1, Decimal("50000"))]
    assert [row.manager for row in contracts.signed_by_month(people.manager, 2026)] == ["王经理"]
    assert contracts.signed_by_month(people.supervisor, 2025) == []

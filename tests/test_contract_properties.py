"""Random sequences of contract steps by random roles (hypothesis): a step
succeeds exactly when the SPEC allows it to that user in that state, its
change is an edge of the contract's state graph, and a refusal changes
nothing and writes no audit row."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from crm_tui.models import AuditLog, Contract, ContractStep, Instalment, Payment
from crm_tui.models import contracts
from crm_tui.models.contracts import (APPROVED, CONTRACT_TRANSITIONS, DRAFT, IN_FORCE,
                                      PAYMENT_METHOD, REJECTED, SUBMITTED)
from crm_tui.models.errors import CrmError
from tests.conftest import at, entry, make_customer
from tests.test_contracts import contract_values

ROLES = ("manager", "other_manager", "supervisor", "executive", "admin")
THRESHOLD = Decimal("500000")
ACTIONS = sorted(CONTRACT_TRANSITIONS.actions)


def attempt(call: Callable[[], Any]) -> bool:
    try:
        call()
    except CrmError:
        return False
    return True


def snapshot(contract_id: int) -> tuple:
    contract = Contract.get_or_none(Contract.id == contract_id)
    return (contract and tuple(sorted(contract.__data__.items())),
            Instalment.select().count(), Payment.select().count(),
            ContractStep.select().count(), AuditLog.select().count())


def spec_allows(action: str, role: str, contract: Contract, creator: str, values: dict) -> bool:
    """The SPEC's rules, written apart from the models' code."""
    state = contract.status
    # The customer's account manager, and the administrator, who has every right.
    owner = role in ("manager", "admin")
    if action in ("edit", "plan"):
        return owner and state in (DRAFT, REJECTED)
    if action == "delete":
        return owner and state == DRAFT
    if action == "submit":
        return owner and state in (DRAFT, REJECTED) and contract.planned_total() == contract.amount
    if action in ("approve", "reject"):
        if state != SUBMITTED or role == creator:
            return False
        if action == "reject" and not values.get("comment"):
            return False
        if contract.supervisor_approved_by_id is None:
            return role in ("supervisor", "admin")
        first = contract.supervisor_approved_by_id
        return role in ("executive", "admin") and first != ROLE_IDS[role]
    if action == "sign":
        return owner and state == APPROVED
    if action == "terminate":
        return owner and state in (APPROVED, IN_FORCE)
    if action == "pay":
        instalment = values.get("instalment")
        return (owner and state == IN_FORCE and instalment is not None
                and 0 < Decimal(values["amount"]) <= instalment.outstanding())
    raise AssertionError(action)


ROLE_IDS: dict[str, int] = {}


def run_contracts(people):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    ROLE_IDS.update({role: getattr(people, role).id for role in ROLES})
    method = entry(PAYMENT_METHOD, "银行转账").id

    class Contracts(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.contracts: dict[int, str] = {}  # id -> the role that drafted it

        def teardown(self):
            Contract.delete().execute()

        @precondition(lambda self: len(self.contracts) < 2)
        @rule(role=st.sampled_from(("manager", "admin")),
              amount=st.sampled_from(("300000", "800000")))
        def draft(self, role, amount):
            contract = Contract.create_by(getattr(people, role),
                                          contract_values(customer, amount=amount))
            self.contracts[contract.id] = role

        @precondition(lambda self: self.contracts)
        @rule(data=st.data(), role=st.one_of(st.just("next"), st.sampled_from(ROLES)),
              action=st.one_of(st.just("next"), st.sampled_from(ACTIONS)),
              exact=st.booleans(), comment=st.sampled_from(("", "OK")))
        def act(self, data, role, action, exact, comment):
            contract_id = data.draw(st.sampled_from(sorted(self.contracts)))
            contract = Contract.get_or_none(Contract.id == contract_id)
            if contract is None:
                del self.contracts[contract_id]
                return
            # Half the time the step the SPEC's way takes next, by whom it
            # expects: so that runs reach approval, payments and the end.
            next_action, next_role = self.next_step(contract)
            action = next_action if action == "next" else action
            role = next_role if role == "next" else role
            user = getattr(people, role)
            values, call = self.step(contract, user, action, exact, comment)
            allowed = spec_allows(action, role, contract, self.contracts[contract_id], values)
            before = snapshot(contract_id)
            ok = attempt(call) if call is not None else False
            assert ok == allowed, (action, role, contract.status)
            after = Contract.get_or_none(Contract.id == contract_id)
            if ok:
                edge = (contract.status, after.status if after else None)
                event(f"{action}: {edge[0]} -> {edge[1]}")
                assert edge in CONTRACT_TRANSITIONS.edges(action), edge
                assert AuditLog.select().count() > before[-1]
            else:
                assert snapshot(contract_id) == before

        @invariant()
        def each_instalment_keeps_what_its_payments_add_up_to(self):
            for instalment in Instalment.select():
                received = sum((Decimal(payment.amount) for payment in instalment.payments),
                               Decimal(0))
                assert Decimal(instalment.paid) == received, instalment.id

        @staticmethod
        def next_step(contract) -> tuple[str, str]:
            if contract.status in (DRAFT, REJECTED):
                return ("submit" if contract.planned_total() == contract.amount
                        else "plan"), "manager"
            if contract.status == SUBMITTED:
                return "approve", ("supervisor" if contract.supervisor_approved_by_id is None
                                   else "executive")
            if contract.status == APPROVED:
                return "sign", "manager"
            return "pay", "manager"

        def step(self, contract, user, action, exact, comment):
            """The values and the call of one step; `exact` picks the amount
            that fits (the rest of the plan, what is still due)."""
            if action == "plan":
                rest = Decimal(contract.amount) - contract.planned_total()
                amount = rest if exact and rest > 0 else Decimal("100000")
                values = {"due_date": "2026-06-30", "amount": str(amount)}
                return values, lambda: contract.add_instalment_by(user, values)
            if action == "pay":
                plan = (Instalment.select().where(Instalment.contract == contract.id)
                        .order_by(Instalment.due_date, Instalment.id))
                # The first instalment not paid in full, else the first.
                instalment = next((row for row in plan if row.outstanding() > 0), plan.first())
                due = instalment.outstanding() if instalment else Decimal("1")
                amount = due if exact else due + 1
                values = {"instalment": instalment, "amount": str(amount)}
                form = {"date": "2026-06-01", "amount": str(amount), "method": method}
                if instalment is None:
                    return values, None  # nothing to pay against
                return values, lambda: instalment.pay_by(user, form)
            values = {"comment": comment}
            calls = {
                "edit": lambda: contract.update_by(user, {"title": "修订"}),
                "delete": lambda: contract.delete_by(user),
                "submit": lambda: contract.submit_by(user),
                "approve": lambda: contract.approve_by(user, {"comment": comment}),
                "reject": lambda: contract.reject_by(user, {"comment": comment}),
                "sign": lambda: contract.sign_by(user, {"sign_date": "2026-03-01"}),
                "terminate": lambda: contract.terminate_by(user, {"reason": "客户撤销"}),
            }
            return values, calls[action]

    Contracts.TestCase.settings = settings(
        max_examples=40, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    Contracts.TestCase().runTest()


def test_random_contract_steps_keep_the_specs_rules(crm_db, people):
    at(2026, 3, 1)
    contracts.set_executive_approval_amount(THRESHOLD)
    try:
        run_contracts(people)
    finally:
        contracts.set_executive_approval_amount(Decimal("1000000"))

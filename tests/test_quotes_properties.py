"""Random sequences of quote transitions by users of every role, while the
days pass (hypothesis stateful testing), on SQLite and PostgreSQL.

The rules are restated here from the SPEC: only a draft is edited, has its
lines changed or is deleted; a draft with lines and still valid is sent; a
sent quote still valid is accepted (its draft contract is the customer's
account manager's) or rejected; a sent quote past its date expires. The account manager of the
customer and the supervisor act; the other manager and the executive do
not. After every step the quote is in the state the rules say, and there is
exactly one contract draft per accepted quote, for its total.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from crm_tui import clock
from crm_tui.models import Contract, Quote, QuoteLine
from crm_tui.models.errors import CrmError
from crm_tui.models.quotes import ACCEPTED, DRAFT, EXPIRED, REJECTED, SENT, expire_quotes
from tests.conftest import at, make_customer
from tests.test_quotes import line_values, product, quote_values

ACTIONS = ("edit", "add_line", "delete_line", "send", "accept", "reject", "delete", "expire",
           "next_week")
ROLES = ("manager", "other_manager", "supervisor", "executive")
# Half the time the step the workflow takes next, by the customer's manager,
# so runs get deep into the workflow and still try everything everywhere.
ACTION = st.one_of(st.just("next"), st.sampled_from(ACTIONS))
ROLE = st.one_of(st.just("manager"), st.sampled_from(ROLES))
# A quote is valid for this long from the day it is drafted.
VALID_DAYS = 30


def run_quotes(people):
    customer = make_customer(people.manager)
    item = product()

    class Quotes(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            at(2026, 3, 1)
            self.quote_id = self.new_quote()
            self.expected = DRAFT
            self.accepted = 0

        def teardown(self):
            QuoteLine.delete().execute()
            Quote.delete().execute()
            Contract.delete().execute()

        def new_quote(self) -> int:
            self.valid_until = clock.today() + dt.timedelta(days=VALID_DAYS)
            return Quote.create_by(people.manager,
                                   quote_values(customer,
                                                valid_until=self.valid_until.isoformat())).id

        def allowed(self, action: str, role: str, quote: Quote) -> bool:
            acts = role in ("manager", "supervisor")
            valid = clock.today() <= self.valid_until
            lines = quote.lines().count()
            return acts and {
                "edit": quote.status == DRAFT,
                "add_line": quote.status == DRAFT,
                "delete_line": quote.status == DRAFT and lines > 0,
                "delete": quote.status == DRAFT,
                "send": quote.status == DRAFT and lines > 0 and valid,
                "accept": quote.status == SENT and valid,
                "reject": quote.status == SENT and valid,
            }[action]

        def run(self, action: str, actor, quote: Quote):
            line = quote.lines().first()
            return {
                "edit": lambda: quote.update_by(actor, {"note": "改"}),
                "add_line": lambda: quote.add_line_by(actor, line_values(item, quantity="3",
                                                                         discount="12.5")),
                "delete_line": lambda: line.delete_by(actor),
                "delete": lambda: quote.delete_by(actor),
                "send": lambda: quote.send_by(actor),
                "accept": lambda: quote.accept_by(actor),
                "reject": lambda: quote.reject_by(actor),
            }[action]()

        def next_action(self) -> str:
            quote = Quote.get_by_id(self.quote_id)
            if quote.status == DRAFT:
                return "send" if quote.lines().exists() else "add_line"
            return "accept" if quote.status == SENT else "next_week"

        @rule(action=ACTION, role=ROLE, later=st.booleans())
        def step(self, action, role, later):
            if action == "next":
                if later:  # sometimes the next step comes too late
                    clock.set_clock(lambda moment=clock.now() + dt.timedelta(days=40): moment)
                action = self.next_action()
            if action == "next_week":
                clock.set_clock(lambda moment=clock.now() + dt.timedelta(days=7): moment)
                return
            if action == "expire":
                expired = expire_quotes(clock.today())
                should = self.expected == SENT and clock.today() > self.valid_until
                assert expired == (1 if should else 0)
                if should:
                    self.expected = EXPIRED
                return
            quote = Quote.get_by_id(self.quote_id)
            allowed = self.allowed(action, role, quote)
            if action == "delete_line" and not quote.lines().exists():
                assert not allowed
                return
            try:
                self.run(action, getattr(people, role), quote)
                done = True
            except CrmError:
                done = False
            assert done == allowed, (action, role, quote.status, clock.today())
            if not done:
                return
            if action == "delete":
                self.quote_id = self.new_quote()
                self.expected = DRAFT
            elif action in ("send", "accept", "reject"):
                self.expected = {"send": SENT, "accept": ACCEPTED, "reject": REJECTED}[action]
                self.accepted += action == "accept"

        @invariant()
        def quote_is_where_the_rules_say(self):
            quote = Quote.get_by_id(self.quote_id)
            assert quote.status == self.expected
            amounts = [line.amount for line in quote.lines()]
            assert quote.total() == sum(amounts, Decimal("0.00"))

        @invariant()
        def one_contract_draft_per_accepted_quote(self):
            assert Contract.select().count() == self.accepted
            for quote in Quote.select().where(Quote.status == ACCEPTED):
                contract = Contract.get_by_id(quote.contract_id)
                assert contract.amount == quote.total()
                # Whoever accepted, the draft is the customer's account manager's.
                assert contract.created_by_id == quote.customer.manager_id

    return Quotes


def test_quote_workflow_follows_the_rules(crm_db, people):
    run_state_machine_as_test(run_quotes(people), settings=settings(
        max_examples=25, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))

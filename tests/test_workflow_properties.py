"""Random sequences of workflow transitions by random users (hypothesis
stateful testing), on SQLite and PostgreSQL.

Each step picks a user of any role (one account manager may be disabled and
enabled again on the way), a record, and a transition, through a fresh copy
or a stale one read steps ago. The rules are restated here from the SPEC as
`allowed_*` functions; after every step:

- a transition succeeds exactly when the SPEC allows it to that user in that
  state (fresh copies); a stale copy may be refused, never wrongly accepted;
- a success moves along an edge of the SPEC's state diagram and leaves an
  audit row; a refusal changes nothing;
- no record is in a state outside the SPEC's;
- a service's history only grows, and agrees with its state.
"""
from __future__ import annotations

from typing import Any, Callable

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, invariant, precondition, rule,
                                 run_state_machine_as_test)

from crm_tui.models import (AuditLog, Contact, Customer, Opportunity, PlanItem, Service,
                            ServiceEvent, accounts, users)
from crm_tui.models import permissions as perm
from crm_tui.models.errors import CrmError
from crm_tui.models.sales import (ASSIGNED, OPPORTUNITY_STATUSES, OPPORTUNITY_TRANSITIONS,
                                  SUCCEEDED, UNASSIGNED)
from crm_tui.models.service import ARCHIVED, HANDLED, NEW, SERVICE_STATUSES, SERVICE_TRANSITIONS
from crm_tui.models.service import ASSIGNED as SERVICE_ASSIGNED
from tests.conftest import make_customer
from tests.test_opportunities import opportunity_values
from tests.test_plans import success_values
from tests.test_service import service_values

ROLES = ("admin", "executive", "supervisor", "manager", "other_manager")
# Half the time the user the SPEC expects for the step (its creator, the
# supervisor, the assigned manager ...), else anyone: so runs get deep into
# the workflows and still try every role everywhere.
ACTOR = st.one_of(st.just("expected"), st.sampled_from(ROLES))
MOSTLY_VALID = st.sampled_from((True, True, True, False))
# Half the time the step the workflow takes next from the record's state.
OPPORTUNITY_ACTION = st.one_of(st.just("next"),
                               st.sampled_from(sorted(OPPORTUNITY_TRANSITIONS.actions)))
OPPORTUNITY_NEXT = {UNASSIGNED: "assign", ASSIGNED: "plan"}
SERVICE_ACTION = st.one_of(st.just("next"), st.sampled_from(sorted(SERVICE_TRANSITIONS.actions)))
SERVICE_NEXT = {NEW: "assign", SERVICE_ASSIGNED: "handle", HANDLED: "feedback"}
ASSIGNEE = st.one_of(st.sampled_from(("manager", "other_manager")), st.sampled_from(ROLES))


def attempt(call: Callable[[], Any]) -> tuple[bool, Any]:
    """Run a rule: (True, result) or (False, the CrmError). Any other
    exception is a bug and fails the test."""
    try:
        return True, call()
    except CrmError as error:
        return False, error


def is_active_manager(user: users.User) -> bool:
    return user.active and user.role.key == "manager"


# ----- the SPEC's rules, restated ---------------------------------------
def allowed_opportunity_edit(user, opportunity) -> bool:
    return opportunity.status == UNASSIGNED and (
        user.has_perm(perm.OPPORTUNITY_ASSIGN)
        or (user.has_perm(perm.OPPORTUNITY_CREATE) and opportunity.created_by_id == user.id))


def allowed_stage(user, opportunity) -> bool:
    """The stage and forecast: while developing, by its manager or a supervisor."""
    return opportunity.status == ASSIGNED and (
        user.has_perm(perm.OPPORTUNITY_ASSIGN)
        or (user.has_perm(perm.PLAN_EXECUTE) and opportunity.assigned_to_id == user.id))


def allowed_plan(user, opportunity) -> bool:
    return (opportunity.status == ASSIGNED and user.has_perm(perm.PLAN_EXECUTE)
            and opportunity.assigned_to_id == user.id)


def sees_service(user, service) -> bool:
    if not user.active:
        return False
    customer = Customer.get_by_id(service.customer_id)
    return (user.has_perm(perm.SERVICE_VIEW_ALL) or customer.manager_id == user.id
            or service.assigned_to_id == user.id)


def snapshot(model, record_id):
    row = model.get_or_none(model.id == record_id)
    return None if row is None else (row.status, row.version, row.assigned_to_id)


def audit_count() -> int:
    return AuditLog.select().count()


def run_workflows(people):
    managers = {"manager": people.manager, "other_manager": people.other_manager}
    customers = [make_customer(manager) for manager in managers.values()]

    class Workflows(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.opportunities: list[int] = []
            self.items: list[int] = []
            self.services: list[int] = []
            # The copy each record was last read as: acting through it later
            # is acting on what a screen opened steps ago shows.
            self.copies: dict[tuple[str, int], Any] = {}
            self.events: dict[int, list[int]] = {}
            self.reload_users()

        def teardown(self):
            """Leave the database as the next run expects to find it."""
            ServiceEvent.delete().execute()
            Service.delete().execute()
            PlanItem.delete().execute()
            Opportunity.delete().execute()
            Contact.delete().execute()
            Customer.delete().where(Customer.id.not_in([c.id for c in customers])).execute()
            users.User.update(active=True).where(users.User.id == people.other_manager.id).execute()

        def reload_users(self):
            self.users = {role: users.User.get_by_id(getattr(people, role).id) for role in ROLES}

        def actor(self, role: str, expected_id: int | None) -> users.User:
            if role == "expected":
                return users.User.get_by_id(expected_id or people.supervisor.id)
            return self.users[role]

        # ----- helpers ---------------------------------------------------
        @staticmethod
        def pick(ids: list[int]):
            """Mostly the latest record, so one record goes far; else any."""
            return st.one_of(st.just(ids[-1]), st.sampled_from(ids))

        def copy_of(self, model, record_id: int, fresh: bool):
            current = model.get_or_none(model.id == record_id)
            key = (model.__name__, record_id)
            if current is None:
                # Deleted: a record made later may take its id (SQLite).
                self.copies.pop(key, None)
                return None, None
            remembered = self.copies.get(key, current)
            self.copies[key] = current
            return current, (current if fresh else remembered)

        def check(self, model, edges, record_id, before, call, allowed: bool, fresh: bool):
            """Act, then check the outcome against the SPEC."""
            audits = audit_count()
            state = snapshot(model, record_id)
            ok, _ = attempt(call)
            after = model.get_or_none(model.id == record_id)
            # Shown by --hypothesis-show-statistics: how deep the runs went.
            if ok:
                event(f"{model.__name__} {before.status} -> {after.status if after else 'deleted'}")
                assert allowed or not fresh, "a transition the SPEC refuses went through"
                assert allowed, "a stale copy made a change the SPEC refuses"
                assert (before.status, after.status if after else None) in edges
                assert audit_count() > audits
            else:
                assert not (allowed and fresh), "a transition the SPEC allows was refused"
                assert snapshot(model, record_id) == state and audit_count() == audits
            return ok

        # ----- opportunities ---------------------------------------------
        # A few records at a time, so that steps go deep into each one.
        @precondition(lambda self: len(self.opportunities) < 3)
        @rule(role=ACTOR, valid=MOSTLY_VALID)
        def create_opportunity(self, role, valid):
            user = self.actor(role, people.manager.id)
            values = opportunity_values(success_rate="70" if valid else "170")
            ok, result = attempt(lambda: Opportunity.create_by(user, values))
            assert ok == (valid and user.has_perm(perm.OPPORTUNITY_CREATE))
            if ok:
                assert result.status == UNASSIGNED and result.created_by_id == user.id
                self.opportunities.append(result.id)

        @precondition(lambda self: self.opportunities)
        @rule(data=st.data(), role=ACTOR, fresh=st.booleans(),
              action=OPPORTUNITY_ACTION, end=st.sampled_from(("succeed", "fail")),
              to=ASSIGNEE)
        def act_on_opportunity(self, data, role, fresh, action, end, to):
            record_id = data.draw(self.pick(self.opportunities))
            before, copy = self.copy_of(Opportunity, record_id, fresh)
            if before is None:
                return
            if action == "next":
                # A plan with items ends; one without gets an item first.
                has_items = PlanItem.select().where(PlanItem.opportunity == record_id).exists()
                action = end if before.status == ASSIGNED and has_items else \
                    OPPORTUNITY_NEXT.get(before.status, "edit")
            expected = {"edit": before.created_by_id, "delete": before.created_by_id,
                        "assign": people.supervisor.id}.get(action, before.assigned_to_id)
            user, assignee = self.actor(role, expected), self.users[to]
            calls = {
                "edit": (lambda: copy.update_by(user, {"summary": "改过"}),
                         allowed_opportunity_edit(user, before)),
                "delete": (lambda: copy.delete_by(user), allowed_opportunity_edit(user, before)),
                "assign": (lambda: copy.assign_by(user, assignee),
                           before.status == UNASSIGNED and user.has_perm(perm.OPPORTUNITY_ASSIGN)
                           and is_active_manager(assignee)),
                "succeed": (lambda: copy.succeed_by(user, success_values(user)),
                            allowed_plan(user, before)),
                "fail": (lambda: copy.fail_by(user), allowed_plan(user, before)),
                "stage": (lambda: copy.set_stage_by(user, {"expected_amount": "1000"}),
                          allowed_stage(user, before)),
                "plan": (lambda: self.items.append(copy.add_plan_item(
                    user, {"date": "2026-05-01", "content": "拜访"}).id),
                    allowed_plan(user, before)),
            }
            call, allowed = calls[action]
            if self.check(Opportunity, OPPORTUNITY_TRANSITIONS.edges(action), record_id, before, call,
                          allowed, fresh) and action == "succeed":
                after = Opportunity.get_by_id(record_id)
                customer = Customer.get_by_id(after.customer_id)
                assert (customer.name, customer.manager_id) == (after.customer_name, user.id)

        @precondition(lambda self: self.items)
        @rule(data=st.data(), role=ACTOR, action=st.sampled_from(["content", "result", "delete"]))
        def act_on_plan_item(self, data, role, action):
            item = PlanItem.get_or_none(PlanItem.id == data.draw(self.pick(self.items)))
            if item is None:
                return
            opportunity = Opportunity.get_by_id(item.opportunity_id)
            user = self.actor(role, opportunity.assigned_to_id)
            calls = {"content": lambda: item.update_content_by(user, {"content": "改"}),
                     "result": lambda: item.record_result_by(user, {"result": "有效"}),
                     "delete": lambda: item.delete_by(user)}
            audits = audit_count()
            ok, _ = attempt(calls[action])
            assert ok == allowed_plan(user, opportunity)
            assert (audit_count() > audits) == ok
            after = PlanItem.get_or_none(PlanItem.id == item.id)
            if not ok:
                assert (after.content, after.result) == (item.content, item.result)
            elif action != "delete":
                assert after.date == item.date

        # ----- services --------------------------------------------------
        @precondition(lambda self: len(self.services) < 3)
        @rule(role=ACTOR, customer=st.sampled_from(range(len(customers))), valid=MOSTLY_VALID)
        def create_service(self, role, customer, valid):
            chosen = customers[customer]
            user = self.actor(role, chosen.manager_id)
            values = service_values(chosen, summary="咨询价格" if valid else "")
            ok, result = attempt(lambda: Service.create_by(user, values))
            sees_customer = user.has_perm(perm.CUSTOMER_VIEW_ALL) or (
                user.has_perm(perm.CUSTOMER_VIEW) and chosen.manager_id == user.id)
            assert ok == (valid and user.has_perm(perm.SERVICE_CREATE) and sees_customer)
            if ok:
                assert result.status == NEW
                self.services.append(result.id)
                self.events[result.id] = [e.id for e in result.history()]

        @precondition(lambda self: self.services)
        @rule(data=st.data(), role=ACTOR, fresh=st.booleans(),
              action=SERVICE_ACTION,
              to=ASSIGNEE, satisfaction=st.integers(1, 5))
        def act_on_service(self, data, role, fresh, action, to, satisfaction):
            record_id = data.draw(self.pick(self.services))
            before, copy = self.copy_of(Service, record_id, fresh)
            if before is None:
                return
            if action == "next":
                action = SERVICE_NEXT.get(before.status, "handle")
            expected = {"handle": before.assigned_to_id,
                        "feedback": Customer.get_by_id(before.customer_id).manager_id,
                        }.get(action, people.supervisor.id)
            user, assignee = self.actor(role, expected), self.users[to]
            new_and_assigner = before.status == NEW and user.has_perm(perm.SERVICE_ASSIGN)
            calls = {
                "assign": (lambda: copy.assign_by(user, assignee),
                           new_and_assigner and is_active_manager(assignee)),
                "delete": (lambda: copy.delete_by(user), new_and_assigner),
                "handle": (lambda: copy.handle_by(user, {"handling": "已处理"}),
                           before.status == SERVICE_ASSIGNED and user.has_perm(perm.SERVICE_HANDLE)
                           and before.assigned_to_id == user.id),
                "feedback": (lambda: copy.feedback_by(user, {"result": "结果",
                                                             "satisfaction": satisfaction}),
                             before.status == HANDLED and user.has_perm(perm.SERVICE_FEEDBACK)
                             and sees_service(user, before)),
            }
            call, allowed = calls[action]
            ok = self.check(Service, SERVICE_TRANSITIONS.edges(action), record_id, before, call, allowed, fresh)
            if ok and action == "feedback":
                expected = ARCHIVED if satisfaction >= 3 else SERVICE_ASSIGNED
                assert Service.get_by_id(record_id).status == expected
            if ok and action == "delete":
                self.events.pop(record_id)

        @rule()
        def disable_or_enable_a_manager(self):
            other = users.User.get_by_id(people.other_manager.id)
            accounts.set_active(None, other, not other.active)
            self.reload_users()

        # ----- invariants ------------------------------------------------
        @invariant()
        def states_are_the_specs(self):
            assert not Opportunity.select().where(
                Opportunity.status.not_in(OPPORTUNITY_STATUSES)).exists()
            assert not Service.select().where(Service.status.not_in(SERVICE_STATUSES)).exists()
            for opportunity in Opportunity.select().where(Opportunity.id.in_(self.opportunities)):
                assert (opportunity.status == SUCCEEDED) == (opportunity.customer_id is not None)
                assert (opportunity.status == UNASSIGNED) == (opportunity.assigned_to_id is None)

        @invariant()
        def history_is_never_lost(self):
            for service_id, seen in self.events.items():
                service = Service.get_or_none(Service.id == service_id)
                assert service is not None, "a service with history vanished"
                now = list(service.history())
                assert [e.id for e in now][:len(seen)] == seen, "an event was lost or changed"
                self.events[service_id] = [e.id for e in now]
                kinds = [e.kind for e in now]
                assert kinds[0] == "create" and kinds.count("create") == 1
                last = now[-1]
                expected_last = {NEW: {"create"}, SERVICE_ASSIGNED: {"assign", "feedback"},
                                 HANDLED: {"handle"}, ARCHIVED: {"feedback"}}[service.status]
                assert last.kind in expected_last
                if service.status == ARCHIVED:
                    assert last.satisfaction >= 3
                elif last.kind == "feedback":
                    assert last.satisfaction < 3

    run_state_machine_as_test(Workflows, settings=settings(
        max_examples=50, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))


def test_random_workflows_keep_the_specs_rules(crm_db, people):
    run_workflows(people)

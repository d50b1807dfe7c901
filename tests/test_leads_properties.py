"""Random sequences of lead transitions by random users (hypothesis stateful
testing), on SQLite and PostgreSQL.

Each step picks a user of any role, a lead, and an action of the lead's
state graph, through a fresh copy or one read steps ago. The SPEC's rule is
restated here (`allowed`); after every step:

- with a fresh copy, the action succeeds exactly when the rule allows it;
  a stale copy may be refused, never wrongly accepted;
- a success moves along an edge of LEAD_TRANSITIONS, raises the version
  and leaves audit rows; a refusal changes nothing;
- every converted lead has exactly one opportunity, and the opportunities
  are those of converted leads.
"""
from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, \
    run_state_machine_as_test

from crm_tui.models import AuditLog, Lead, Opportunity, users
from crm_tui.models import permissions as perm
from crm_tui.models.campaigns import CONVERTED, LEAD_STATUSES, LEAD_TRANSITIONS
from crm_tui.models.errors import CrmError
from tests.test_campaigns import convert_values, lead_values

ROLES = ("admin", "executive", "supervisor", "manager", "other_manager")
ACTIONS = sorted(LEAD_TRANSITIONS.actions)


def allowed(user, lead, action: str, values: dict) -> bool:
    """The SPEC: supervisors assign open leads to an account manager;
    whoever enters leads works own leads, supervisors any; a state moves
    only along the graph; disqualifying needs a reason."""
    if not LEAD_TRANSITIONS.allows(action, lead.status):
        return False
    if action == "assign":
        return user.has_perm(perm.LEAD_ASSIGN) and values.get("owner_role") in (
            "manager", "other_manager")
    if not user.has_perm(perm.LEAD_CREATE):
        return False
    if lead.owner_id != user.id and not user.has_perm(perm.LEAD_VIEW_ALL):
        return False
    if action == "convert" and not user.has_perm(perm.OPPORTUNITY_CREATE):
        return False
    if action == "disqualify":
        return bool(values.get("reason", "").strip())
    return True


def run(lead_machine_people):
    people = lead_machine_people

    class Leads(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.users = {role: users.User.get_by_id(getattr(people, role).id) for role in ROLES}
            self.leads: list[int] = []
            self.copies: dict[int, Any] = {}

        def teardown(self):
            Lead.delete().execute()
            Opportunity.delete().execute()

        @rule(role=st.sampled_from(("supervisor", "manager", "other_manager")))
        def enter(self, role):
            lead = Lead.create_by(self.users[role], lead_values())
            self.leads.append(lead.id)
            self.copies[lead.id] = lead

        @precondition(lambda self: self.leads)
        @rule(data=st.data(), role=st.sampled_from(ROLES), action=st.sampled_from(ACTIONS),
              fresh=st.sampled_from((True, True, False)),
              owner_role=st.sampled_from(ROLES), reason=st.sampled_from(("", "空号")))
        def act(self, data, role, action, fresh, owner_role, reason):
            lead_id = data.draw(st.sampled_from(self.leads))
            current = Lead.get_by_id(lead_id)
            copy = current if fresh else self.copies[lead_id]
            user = self.users[role]
            values = {"owner_role": owner_role, "reason": reason}
            expected = allowed(user, current, action, values)
            before = (current.status, current.version, current.owner_id)
            audit_rows = AuditLog.select().count()
            try:
                self.call(copy, user, action, owner_role, reason)
                done = True
            except CrmError:
                done = False
            after = Lead.get_by_id(lead_id)
            if fresh:
                assert done == expected, (role, action, before, values)
            else:
                assert not done or expected, (role, action, before, values)
            if done:
                assert after.status in LEAD_TRANSITIONS.targets(action, before[0])
                assert after.version == before[1] + 1
                assert AuditLog.select().count() > audit_rows
                self.copies[lead_id] = after
            else:
                assert (after.status, after.version, after.owner_id) == before
                assert AuditLog.select().count() == audit_rows

        def call(self, lead, user, action, owner_role, reason):
            if action == "assign":
                return lead.assign_by(user, {"owner": self.users[owner_role].id})
            if action == "disqualify":
                return lead.disqualify_by(user, {"reason": reason})
            if action == "convert":
                return lead.convert_by(user, convert_values())
            if action == "edit":
                return lead.update_by(user, {"note": "又来电话"})
            return getattr(lead, f"{action}_by")(user)

        @invariant()
        def converted_leads_have_their_opportunity(self):
            statuses = {status for (status,) in Lead.select(Lead.status).tuples()}
            assert statuses <= set(LEAD_STATUSES)
            converted = Lead.select().where(Lead.status == CONVERTED)
            assert converted.where(Lead.opportunity.is_null()).count() == 0
            assert Opportunity.select().count() == converted.count()

    run_state_machine_as_test(Leads, settings=settings(
        max_examples=30, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))


def test_random_lead_work_keeps_the_specs_rules(crm_db, people):
    run(people)

"""Campaigns and leads (M12): every state change and refusal, the rights of
each role, conversion onto a customer on file by the normalised company
name, and the campaign's results against a computation of their own, on
SQLite and PostgreSQL."""
from __future__ import annotations

from decimal import Decimal

import pytest

from crm_tui.models import AuditLog, Campaign, Contract, Customer, Lead, Opportunity, Quote
from crm_tui.models.campaigns import (CAMPAIGN_TRANSITIONS, CAMPAIGN_TYPE, CANCELLED, CONTACTED,
                                      CONVERTED, DISQUALIFIED, DONE, LEAD_TRANSITIONS, NEW,
                                      PLANNED, QUALIFIED, RUNNING, campaign_results)
from crm_tui.models.contracts import SIGNED
from crm_tui.models.customers import customers_named
from crm_tui.models.dictionary import REGION
from crm_tui.models.errors import (ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied,
                                   ValidationError)
from crm_tui.models.sales import ASSIGNED, SUCCEEDED
from crm_tui.models.sales_system import Product
from tests.conftest import at, entry, make_customer, offers


def campaign_values(**overrides) -> dict:
    values = {"name": "2026 华南电力展", "type": entry(CAMPAIGN_TYPE, "展会").id,
              "start_date": "2026-03-10", "end_date": "2026-03-12", "budget": "80000",
              "actual_cost": "", "owner": "", "target": "华南地区的配电设备采购方"}
    values.update(overrides)
    return values


def lead_values(**overrides) -> dict:
    values = {"company_name": "福建电力集团股份有限公司", "contact_name": "陈明",
              "phone": "13800138000", "email": "", "region": entry(REGION, "福建").id,
              "note": "展台上询问配电柜价格"}
    values.update(overrides)
    return values


def convert_values(**overrides) -> dict:
    values = {"summary": "配电柜改造", "success_rate": "30", "description": "需求明确，预算已批"}
    values.update(overrides)
    return values


def audit_actions(table: str, row_id: int) -> list[str]:
    return [row.action for row in AuditLog.select().where(
        (AuditLog.table_name == table) & (AuditLog.row_id == row_id)).order_by(AuditLog.id)]


@pytest.fixture
def campaign(crm_db, people):
    at(2026, 3, 1)
    return Campaign.create_by(people.supervisor, campaign_values())


@pytest.fixture
def running(campaign, people):
    at(2026, 3, 10)
    return campaign.start_by(people.supervisor)


@pytest.fixture
def lead(running, people):
    return Lead.create_by(people.manager, lead_values(campaign=running.id))


def qualified(lead, actor) -> Lead:
    return lead.contact_by(actor).qualify_by(actor)


# ----- campaigns ---------------------------------------------------------------

def test_a_campaign_is_planned_then_runs_then_ends(campaign, people):
    assert campaign.status == PLANNED and campaign.owner_id == people.supervisor.id
    assert campaign.budget == Decimal("80000.00") and campaign.actual_cost is None
    running = campaign.start_by(people.supervisor)
    assert running.status == RUNNING and running.version == campaign.version + 1
    done = running.finish_by(people.supervisor)
    assert done.status == DONE
    # Costs come in after the end: an ended campaign may still be edited.
    done = done.update_by(people.supervisor, {"actual_cost": "76543.21"})
    assert done.actual_cost == Decimal("76543.21")
    assert audit_actions("campaign", campaign.id) == ["create", "start", "finish", "update"]


def test_a_campaign_is_cancelled_and_then_read_only(campaign, people):
    cancelled = campaign.cancel_by(people.supervisor)
    assert cancelled.status == CANCELLED
    for attempt in (lambda: cancelled.start_by(people.supervisor),
                    lambda: cancelled.update_by(people.supervisor, {"name": "x"}),
                    lambda: cancelled.cancel_by(people.supervisor)):
        with pytest.raises(InvalidTransition):
            attempt()


@pytest.mark.parametrize("field, value", [
    ("end_date", "2026-03-09"), ("name", ""), ("type", ""), ("start_date", "2026-02-30"),
    ("budget", "-1"), ("type", "999999"),
])
def test_bad_campaign_entries_are_refused_and_nothing_is_written(crm_db, people, field, value):
    with pytest.raises(ValidationError) as refused:
        Campaign.create_by(people.supervisor, campaign_values(**{field: value}))
    assert field in refused.value.errors
    assert Campaign.select().count() == 0


def test_a_region_is_no_campaign_type(crm_db, people):
    with pytest.raises(ValidationError) as refused:
        Campaign.create_by(people.supervisor, campaign_values(type=entry(REGION, "北京").id))
    assert "type" in refused.value.errors


def test_an_edit_may_not_put_the_end_before_the_start(campaign, people):
    with pytest.raises(ValidationError) as refused:
        campaign.update_by(people.supervisor, {"end_date": "2026-03-01"})
    assert "end_date" in refused.value.errors
    assert Campaign.get_by_id(campaign.id).end_date.isoformat() == "2026-03-12"


def test_the_state_graph_refuses_what_it_does_not_allow(campaign, people):
    with pytest.raises(InvalidTransition):
        campaign.finish_by(people.supervisor)          # not running yet
    running = campaign.start_by(people.supervisor)
    with pytest.raises(InvalidTransition):
        running.start_by(people.supervisor)            # running already
    done = running.finish_by(people.supervisor)
    with pytest.raises(InvalidTransition):
        done.cancel_by(people.supervisor)              # over
    assert CAMPAIGN_TRANSITIONS.states == {PLANNED, RUNNING, DONE, CANCELLED}


def test_only_who_may_manage_campaigns_runs_them(campaign, people):
    for actor in (people.manager, people.executive):
        with pytest.raises(PermissionDenied):
            Campaign.create_by(actor, campaign_values())
        with pytest.raises(PermissionDenied):
            campaign.start_by(actor)
        assert not offers(campaign, actor, "start")
    assert offers(campaign, people.supervisor, "start")
    # Every role sees the campaigns and their results.
    for actor in (people.manager, people.executive, people.supervisor, people.admin):
        assert Campaign.get_visible(actor, campaign.id).id == campaign.id


def test_a_stale_copy_of_a_campaign_is_refused(campaign, people):
    campaign.update_by(people.supervisor, {"name": "2026 华南电力展（改）"})
    with pytest.raises(ConcurrentEdit):
        campaign.update_by(people.supervisor, {"name": "stale"})
    with pytest.raises(ConcurrentEdit):
        campaign.start_by(people.supervisor)
    assert Campaign.get_by_id(campaign.id).status == PLANNED


# ----- leads -------------------------------------------------------------------

def test_an_account_managers_lead_is_their_own(lead, people, running):
    assert lead.status == NEW and lead.owner_id == people.manager.id
    assert lead.campaign_id == running.id and lead.created_by_id == people.manager.id
    assert audit_actions("lead", lead.id) == ["create"]


def test_a_supervisors_lead_waits_for_an_account_manager(running, people):
    waiting = Lead.create_by(people.supervisor, lead_values(campaign=running.id))
    assert waiting.owner_id is None
    given = Lead.create_by(people.supervisor, lead_values(owner=people.other_manager.id))
    assert given.owner_id == people.other_manager.id
    with pytest.raises(ValidationError) as refused:
        Lead.create_by(people.supervisor, lead_values(owner=people.supervisor.id))
    assert "owner" in refused.value.errors


def test_an_account_manager_cannot_give_a_lead_away(running, people):
    with pytest.raises(ValidationError) as refused:
        Lead.create_by(people.manager, lead_values(owner=people.other_manager.id))
    assert "owner" in refused.value.errors


@pytest.mark.parametrize("changes, fields", [
    ({"phone": "", "email": ""}, {"phone", "email"}),
    ({"company_name": ""}, {"company_name"}),
    ({"contact_name": ""}, {"contact_name"}),
    ({"phone": "12"}, {"phone"}),
    ({"email": "chen@"}, {"email"}),
    ({"region": "level"}, {"region"}),
])
def test_bad_lead_entries_are_refused_and_nothing_is_written(running, people, changes, fields):
    if changes.get("region") == "level":
        changes = {"region": entry("客户等级", "大客户").id}
    with pytest.raises(ValidationError) as refused:
        Lead.create_by(people.manager, lead_values(**changes))
    assert fields <= set(refused.value.errors)
    assert Lead.select().count() == 0


def test_an_email_alone_is_enough(running, people):
    lead = Lead.create_by(people.manager, lead_values(phone="", email="chen@fjdl.com.cn"))
    assert lead.email == "chen@fjdl.com.cn" and lead.phone == ""
    with pytest.raises(ValidationError):
        lead.update_by(people.manager, {"email": ""})


def test_leads_come_from_a_campaign_that_runs_or_ran(campaign, people):
    with pytest.raises(ValidationError) as refused:
        Lead.create_by(people.manager, lead_values(campaign=campaign.id))   # planned
    assert "campaign" in refused.value.errors
    assert not offers_new_lead(campaign, people.manager)
    running = campaign.start_by(people.supervisor)
    assert offers_new_lead(running, people.manager)
    done = running.finish_by(people.supervisor)
    assert Lead.create_by(people.manager, lead_values(), campaign=done).campaign_id == done.id
    assert Lead.create_by(people.manager, lead_values()).campaign_id is None


def offers_new_lead(campaign, actor) -> bool:
    from crm_tui.models.kinds import kind
    return kind("lead").action("new").allowed(campaign, actor)


def test_a_lead_goes_new_contacted_qualified_converted(lead, people):
    contacted = lead.contact_by(people.manager)
    assert contacted.status == CONTACTED and contacted.version == lead.version + 1
    done = contacted.qualify_by(people.manager)
    assert done.status == QUALIFIED
    opportunity = done.convert_by(people.manager, convert_values())
    converted = Lead.get_by_id(lead.id)
    assert converted.status == CONVERTED and converted.opportunity_id == opportunity.id
    assert converted.converted_at is not None
    # One row per changed field: the status and the opportunity.
    assert audit_actions("lead", lead.id) == ["create", "contact", "qualify", "convert",
                                              "convert"]


@pytest.mark.parametrize("state_steps, action", [
    (0, "qualify"), (0, "convert"), (1, "contact"), (1, "convert"), (2, "contact"),
    (2, "qualify"),
])
def test_steps_out_of_order_are_refused(lead, people, state_steps, action):
    steps = [lambda record: record.contact_by(people.manager),
             lambda record: record.qualify_by(people.manager)]
    for step in steps[:state_steps]:
        lead = step(lead)
    moves = {"contact": lambda: lead.contact_by(people.manager),
             "qualify": lambda: lead.qualify_by(people.manager),
             "convert": lambda: lead.convert_by(people.manager, convert_values())}
    with pytest.raises(InvalidTransition):
        moves[action]()
    assert Lead.get_by_id(lead.id).status == lead.status
    assert Opportunity.select().count() == 0


def test_disqualifying_needs_a_reason(lead, people):
    with pytest.raises(ValidationError) as refused:
        lead.disqualify_by(people.manager, {"reason": "  "})
    assert "reason" in refused.value.errors
    assert Lead.get_by_id(lead.id).status == NEW
    invalid = lead.disqualify_by(people.manager, {"reason": "空号，公司已注销"})
    assert invalid.status == DISQUALIFIED and invalid.disqualify_reason == "空号，公司已注销"
    for attempt in (lambda: invalid.contact_by(people.manager),
                    lambda: invalid.disqualify_by(people.manager, {"reason": "again"}),
                    lambda: invalid.update_by(people.manager, {"note": "x"})):
        with pytest.raises(InvalidTransition):
            attempt()


def test_a_converted_lead_is_closed(lead, people):
    done = qualified(lead, people.manager)
    done.convert_by(people.manager, convert_values())
    converted = Lead.get_by_id(lead.id)
    for attempt in (lambda: converted.convert_by(people.manager, convert_values()),
                    lambda: converted.disqualify_by(people.manager, {"reason": "x"}),
                    lambda: converted.assign_by(people.supervisor,
                                                {"owner": people.other_manager.id})):
        with pytest.raises(InvalidTransition):
            attempt()
    assert Opportunity.select().count() == 1


def test_converting_twice_from_two_sessions_makes_one_opportunity(lead, people):
    first = qualified(lead, people.manager)
    second = Lead.get_by_id(lead.id)   # another session read it too
    first.convert_by(people.manager, convert_values())
    with pytest.raises(InvalidTransition):
        second.convert_by(people.manager, convert_values())
    assert Opportunity.select().count() == 1


def test_a_supervisor_assigns_and_a_manager_may_not(lead, people):
    with pytest.raises(PermissionDenied):
        lead.assign_by(people.manager, {"owner": people.other_manager.id})
    assert not offers(lead, people.manager, "assign")
    assert offers(lead, people.supervisor, "assign")
    with pytest.raises(ValidationError) as refused:
        lead.assign_by(people.supervisor, {"owner": people.executive.id})
    assert "owner" in refused.value.errors
    moved = lead.assign_by(people.supervisor, {"owner": people.other_manager.id})
    assert moved.owner_id == people.other_manager.id and moved.status == NEW
    assert audit_actions("lead", lead.id)[-1] == "assign"
    # The lead is the other manager's now: the first one no longer sees it.
    with pytest.raises(NotFound):
        Lead.get_visible(people.manager, lead.id)
    assert Lead.get_visible(people.other_manager, lead.id).id == lead.id


def test_who_sees_and_works_which_leads(lead, people, running):
    theirs = Lead.create_by(people.other_manager, lead_values(company_name="厦门港务"))
    assert {row.id for row in Lead.visible_to(people.manager)} == {lead.id}
    for actor in (people.supervisor, people.executive, people.admin):
        assert {row.id for row in Lead.visible_to(actor)} == {lead.id, theirs.id}
    # Another manager's lead, read from the database, is refused at the write.
    with pytest.raises(PermissionDenied):
        theirs.contact_by(people.manager)
    with pytest.raises(PermissionDenied):
        theirs.update_by(people.manager, {"note": "mine now"})
    # Executives read, they do not work leads; supervisors work every lead.
    with pytest.raises(PermissionDenied):
        lead.contact_by(people.executive)
    assert not offers(lead, people.executive, "contact")
    assert lead.contact_by(people.supervisor).status == CONTACTED


def test_a_write_checks_the_owner_in_the_database(lead, people):
    """A manager's copy read while the lead was theirs: the supervisor gives
    it away meanwhile, and the manager's change touches nothing."""
    stale = Lead.get_by_id(lead.id)
    lead.assign_by(people.supervisor, {"owner": people.other_manager.id})
    with pytest.raises(PermissionDenied):
        stale.contact_by(people.manager)
    assert Lead.get_by_id(lead.id).status == NEW


# ----- conversion and the customer on file ---------------------------------------

def test_a_lead_converts_onto_the_customer_on_file_of_the_same_name(lead, people):
    on_file = make_customer(people.other_manager, name="福建电力集团有限公司")
    customers_before = Customer.select().count()
    done = qualified(lead, people.manager)
    assert done.customer_on_file().id == on_file.id
    opportunity = done.convert_by(people.manager, convert_values())
    assert opportunity.customer_id == on_file.id
    assert opportunity.customer_name == "福建电力集团有限公司"
    assert opportunity.created_by_id == people.manager.id and opportunity.status == "unassigned"
    assert opportunity.source == "Lead: 2026 华南电力展" and opportunity.contact == "陈明"
    assert Lead.get_by_id(lead.id).customer_id == on_file.id
    assert audit_actions("opportunity", opportunity.id) == ["create"]
    # Developed to success, it makes no second customer.
    opportunity.assign_by(people.supervisor, people.manager)
    developing = Opportunity.get_by_id(opportunity.id)
    assert developing.success_fields() == ()
    customer = developing.succeed_by(people.manager, {})
    assert customer.id == on_file.id
    assert Opportunity.get_by_id(opportunity.id).status == SUCCEEDED
    assert Customer.select().count() == customers_before


def test_a_new_company_converts_into_an_opportunity_without_a_customer(lead, people):
    make_customer(people.manager, name="福建电力设计院有限公司")   # another company
    opportunity = qualified(lead, people.manager).convert_by(people.manager, convert_values())
    assert opportunity.customer_id is None
    assert opportunity.customer_name == "福建电力集团股份有限公司"
    assert Lead.get_by_id(lead.id).customer_id is None


def test_a_deleted_customer_is_not_matched(lead, people):
    gone = make_customer(people.manager, name="福建电力集团有限公司")
    gone.delete_by(people.manager)
    opportunity = qualified(lead, people.manager).convert_by(people.manager, convert_values())
    assert opportunity.customer_id is None


@pytest.mark.parametrize("on_file, typed", [
    ("福建电力集团有限公司", "福建电力集团股份有限公司"),
    ("华为技术有限公司", "华为技术 （有限）公司"),
    ("ＡＢＢ（中国）有限公司", "ABB(中国)有限责任公司"),
    ("Siemens Ltd., China", "SIEMENS LTD CHINA"),
])
def test_the_name_key_is_kept_with_the_customer(crm_db, people, on_file, typed):
    customer = make_customer(people.manager, name=on_file)
    assert [found.id for found in customers_named(typed)] == [customer.id]
    renamed = customer.update_by(people.manager, {"name": "完全不同的公司"})
    assert list(customers_named(typed)) == []
    assert [found.id for found in customers_named("完全不同的公司")] == [renamed.id]


def test_converting_needs_the_summary_and_a_rate(lead, people):
    done = qualified(lead, people.manager)
    with pytest.raises(ValidationError) as refused:
        done.convert_by(people.manager, convert_values(summary="", success_rate="120"))
    assert {"summary", "success_rate"} <= set(refused.value.errors)
    assert Lead.get_by_id(lead.id).status == QUALIFIED and Opportunity.select().count() == 0


# ----- results -----------------------------------------------------------------

def signed_contract_for(opportunity_id: int, customer, manager, supervisor, price: str) -> Contract:
    """Through the rules: a quote of the opportunity, accepted, its contract
    planned, approved and signed."""
    product = Product.create(name="配电柜 GGD", model="GGD-1", unit="台", price=Decimal(price))
    quote = Quote.create_by(manager, {"customer": customer.id, "valid_until": "2026-06-30",
                                      "opportunity": opportunity_id, "note": ""})
    quote.add_line_by(manager, {"product": product.id, "quantity": "1", "unit_price": "",
                                "discount": "0"})
    quote = Quote.get_by_id(quote.id).send_by(manager).accept_by(manager)
    contract = Contract.get_by_id(quote.contract_id)
    contract.add_instalment_by(manager, {"due_date": "2026-06-01", "amount": price})
    contract = Contract.get_by_id(contract.id).submit_by(manager).approve_by(supervisor, {})
    return contract.sign_by(manager, {"sign_date": "2026-03-11"})


def expected_results(campaign: Campaign) -> tuple:
    """The results counted the long way, record by record."""
    leads = [lead for lead in Lead.select() if lead.campaign_id == campaign.id]
    opportunity_ids = {lead.opportunity_id for lead in leads if lead.opportunity_id}
    opportunities = [o for o in Opportunity.select() if o.id in opportunity_ids]
    won = [o for o in opportunities if o.status == SUCCEEDED]
    contract_ids = {quote.contract_id for quote in Quote.select()
                    if quote.opportunity_id in opportunity_ids and quote.contract_id}
    amount = sum((Decimal(c.amount) for c in Contract.select()
                  if c.id in contract_ids and c.status in SIGNED), Decimal("0"))
    cost = Decimal(campaign.actual_cost)
    return (len(leads), len(opportunities), len(won), amount,
            (cost / len(leads)).quantize(Decimal("0.01")),
            ((amount - cost) / cost).quantize(Decimal("0.0001")))


def test_the_results_are_what_the_records_say(running, people):
    manager, supervisor = people.manager, people.supervisor
    at(2026, 3, 11)
    on_file = make_customer(manager, name="福建电力集团有限公司")
    other = Campaign.create_by(supervisor, campaign_values(name="线上研讨会")).start_by(supervisor)
    names = ["福建电力集团股份有限公司", "厦门港务", "泉州水务", "漳州电子", "莆田制造"]
    leads = [Lead.create_by(manager, lead_values(company_name=name, campaign=running.id))
             for name in names]
    Lead.create_by(manager, lead_values(company_name="别的活动的线索", campaign=other.id))
    leads[4].disqualify_by(manager, {"reason": "重复"})
    opportunities = [qualified(lead, manager).convert_by(manager, convert_values())
                     for lead in leads[:3]]
    for opportunity in opportunities:
        opportunity.assign_by(supervisor, manager)
    # The one of the customer on file is won and brings a signed contract,
    # and one drafted but never signed (it does not count).
    Opportunity.get_by_id(opportunities[0].id).succeed_by(manager, {})
    signed_contract_for(opportunities[0].id, on_file, manager, supervisor, "250000.00")
    draft_quote_product = Product.create(name="断路器", model="DW15", unit="只",
                                         price=Decimal("1000"))
    quote = Quote.create_by(manager, {"customer": on_file.id, "valid_until": "2026-06-30",
                                      "opportunity": opportunities[0].id, "note": ""})
    quote.add_line_by(manager, {"product": draft_quote_product.id, "quantity": "9",
                                "unit_price": "", "discount": "0"})
    Quote.get_by_id(quote.id).send_by(manager).accept_by(manager)
    # A contract of the same customer without a quote is no campaign's.
    unrelated = Contract.create_by(manager, {"title": "框架合同", "customer": on_file.id,
                                             "amount": "99999", "start_date": "2026-03-11",
                                             "end_date": "2027-03-10"})
    assert unrelated.status == "draft"
    # Another development: the second opportunity succeeded, a new customer.
    from tests.conftest import customer_values
    form = {name: value for name, value in customer_values(manager).items()
            if name not in ("name", "manager")}
    form.update(contact_name="陈明", contact_sex="M", contact_position="经理",
                contact_office_phone="0592-5551234")
    Opportunity.get_by_id(opportunities[1].id).succeed_by(manager, form)
    campaign = running.update_by(supervisor, {"actual_cost": "60000"})

    results = campaign_results(campaign)
    leads_count, opportunity_count, won, amount, per_lead, on_cost = expected_results(campaign)
    assert (results.leads, results.opportunities, results.won) == (
        leads_count, opportunity_count, won) == (5, 3, 2)
    assert results.won_amount == amount == Decimal("250000.00")
    assert results.cost_per_lead == per_lead == Decimal("12000.00")
    assert results.return_on_cost == on_cost == Decimal("3.1667")
    assert campaign_results(Campaign.get_by_id(other.id)).leads == 1


def test_results_without_cost_or_leads_leave_the_ratios_blank(campaign):
    results = campaign_results(campaign)
    assert (results.leads, results.opportunities, results.won) == (0, 0, 0)
    assert results.won_amount == Decimal("0.00")
    assert results.cost_per_lead is None and results.return_on_cost is None


def test_the_lead_state_graph(lead):
    assert LEAD_TRANSITIONS.states == {NEW, CONTACTED, QUALIFIED, CONVERTED, DISQUALIFIED}
    assert LEAD_TRANSITIONS.sources("disqualify") == {NEW, CONTACTED, QUALIFIED}


def test_the_lists_show_what_the_user_may_see(lead, people, running):
    from crm_tui.models.kinds import kind

    theirs = Lead.create_by(people.other_manager, lead_values(company_name="厦门港务",
                                                              campaign=running.id))
    elsewhere = Lead.create_by(people.manager, lead_values(company_name="泉州水务"))
    leads = kind("lead")

    def ids(user, **within):
        return {row.id for row in leads.query(user, "", {"parent": None, "status": None,
                                                        **within})}

    # A campaign's screen lists its leads, in the user's scope.
    assert ids(people.supervisor, parent=running.id) == {lead.id, theirs.id}
    assert ids(people.manager, parent=running.id) == {lead.id}
    assert ids(people.manager) == {lead.id, elsewhere.id}
    lead.contact_by(people.manager)
    assert ids(people.supervisor, status=CONTACTED) == {lead.id}
    assert {row.id for row in leads.query(people.supervisor, "厦门", {})} == {theirs.id}
    counts = {row.id: row.lead_count for row in kind("campaign").query(people.manager, "", {})}
    assert counts == {running.id: 2}


def test_a_saved_customer_view_is_a_campaigns_target(campaign, people):
    from crm_tui.models.kinds import kind
    from crm_tui.models.views import SavedView, view_customers

    make_customer(people.manager, name="福建电力集团有限公司")
    mine = SavedView.save_by(people.supervisor, "customer", "福建客户", "福建")
    theirs = SavedView.save_by(people.manager, "customer", "王的客户", "")
    with pytest.raises(ValidationError) as refused:
        campaign.update_by(people.supervisor, {"target_view": str(theirs.id)})
    assert "target_view" in refused.value.errors
    assert Campaign.get_by_id(campaign.id).target_view is None

    targeted = campaign.update_by(people.supervisor, {"target_view": str(mine.id)})
    assert targeted.target_view == mine.id
    rows = dict(kind("campaign").rows(targeted))
    assert "福建客户" in rows["campaign.target"]
    assert [c.name for c in view_customers(people.supervisor, targeted.target_view)] == [
        "福建电力集团有限公司"]

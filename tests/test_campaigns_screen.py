"""Campaigns and leads driven like a person at 80x24: the supervisor plans
a campaign, starts it and files the lead it brought for an account
manager; the manager contacts, qualifies and converts the lead, and the
opportunity is the one of the customer already on file."""
from __future__ import annotations

from crm_tui.models import Campaign, Customer, Lead, Opportunity
from crm_tui.models.campaigns import CONTACTED, CONVERTED, QUALIFIED, RUNNING
from crm_tui.models.sales import SUCCEEDED
from crm_tui.screens.records import RecordListScreen, RecordScreen
from crm_tui.widgets.forms import FormModal
from tests.conftest import at, make_customer
from tests.pilot import (app_for, choose, fill, form_errors, offered, open_module,
                         press_and_settle, save, sign_in, text_of)


async def test_a_campaign_brings_a_lead_converted_for_a_customer_on_file(sqlite_url, people):
    at(2026, 3, 10)
    on_file = make_customer(people.other_manager, name="福建电力集团有限公司")
    customers_before = Customer.select().count()

    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        app = pilot.app
        await sign_in(pilot, "super")
        await open_module(pilot, "campaigns", RecordListScreen)
        await press_and_settle(pilot, "n")
        assert isinstance(app.screen, FormModal)
        await fill(pilot, "name", "Power Expo 2026")
        await choose(pilot, "type", "展会")
        await fill(pilot, "end_date", "2026-03-01")
        await save(pilot)
        # The end before the start: refused at the field, nothing written.
        assert "end_date" in form_errors(app.screen)
        assert Campaign.select().count() == 0
        await fill(pilot, "end_date", "2026-03-12")
        await save(pilot)
        campaign = Campaign.get()
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, RecordScreen)
        # A planned campaign brings no lead yet: no key for one.
        assert "lead.new" not in offered(app, "lead.")
        await press_and_settle(pilot, "g", "y")
        assert Campaign.get_by_id(campaign.id).status == RUNNING
        assert "lead.new" in offered(app, "lead.")
        await press_and_settle(pilot, "n")
        await fill(pilot, "company_name", "福建电力集团股份有限公司")
        await fill(pilot, "contact_name", "Chen Ming")
        await save(pilot)
        assert "phone" in form_errors(app.screen)          # a phone or an e-mail
        await fill(pilot, "phone", "13800138000")
        await choose(pilot, "owner", "王经理")
        await save(pilot)
        lead = Lead.get()
        assert (lead.campaign_id, lead.owner_id) == (campaign.id, people.manager.id)
        assert "1 leads" in text_of(app, ".record-fields")

    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        app = pilot.app
        await sign_in(pilot, "wang")
        await open_module(pilot, "leads", RecordListScreen)
        # Not the supervisor's to give: no assign key for the manager.
        assert offered(app, "lead.") >= {"lead.contact", "lead.disqualify"}
        assert "lead.assign" not in offered(app, "lead.")
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, RecordScreen)
        assert "福建电力集团有限公司" in text_of(app, ".record-fields")   # on file already
        await press_and_settle(pilot, "c")
        assert Lead.get_by_id(lead.id).status == CONTACTED
        await press_and_settle(pilot, "q")
        assert Lead.get_by_id(lead.id).status == QUALIFIED
        await press_and_settle(pilot, "v")
        assert isinstance(app.screen, FormModal)
        await fill(pilot, "summary", "Switchgear upgrade")
        await save(pilot)
        assert not isinstance(app.screen, FormModal)
        converted = Lead.get_by_id(lead.id)
        assert converted.status == CONVERTED
        opportunity = Opportunity.get_by_id(converted.opportunity_id)
        assert opportunity.customer_id == on_file.id
        assert opportunity.customer_name == "福建电力集团有限公司"
        assert opportunity.summary == "Switchgear upgrade"
        assert opportunity.created_by_id == people.manager.id
        assert Customer.select().count() == customers_before
        assert offered(app, "lead.") == set()          # converted: nothing left to do

    # The supervisor assigns the opportunity; its development succeeds
    # with a confirmation alone: the customer is on file.
    opportunity.assign_by(people.supervisor, people.manager)
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        app = pilot.app
        await sign_in(pilot, "wang")
        await open_module(pilot, "opportunities", RecordListScreen)
        await press_and_settle(pilot, "enter")
        await press_and_settle(pilot, "c")
        assert isinstance(app.screen, FormModal) and app.screen.fields == []
        assert "customer on file" in text_of(app, ".form-title")
        await save(pilot)
        assert Opportunity.get_by_id(opportunity.id).status == SUCCEEDED
        assert Customer.select().count() == customers_before

"""The marketing screens driven like a person at 80x24: an account manager
records an opportunity, the supervisor assigns it, the manager plans,
executes and ends it with 开发成功, and the customer exists."""
from __future__ import annotations

from textual.widgets import Static

from crm_tui.models import AuditLog, Contact, Customer, Opportunity, PlanItem
from crm_tui.models.sales import ASSIGNED, FAILED, SUCCEEDED, UNASSIGNED
from crm_tui.screens.records import RecordListScreen, RecordScreen
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.forms import FormModal
from tests.pilot import (app_for, choose, fill, fill_form, focus_field, form_errors, form_message,
                         offered, open_module, press_and_settle, save, sign_in, type_text)
from tests.test_opportunities import new_opportunity


# ----- the workflow -------------------------------------------------------------
async def test_opportunity_from_creation_to_a_new_customer(sqlite_url, people):
    # The account manager records the opportunity.
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        screen = await open_module(pilot, "opportunities", RecordListScreen)
        assert screen.table.row_count == 0
        assert offered(pilot.app, "opportunity.") == {"opportunity.new"}
        await press_and_settle(pilot, "n")
        await save(pilot)  # nothing typed: the required fields say so
        assert set(form_errors(pilot.app.screen)) == {"customer_name", "success_rate", "summary",
                                               "description"}
        for name, text in (("source", "fair"), ("customer_name", "Lianxin Ltd"),
                           ("success_rate", "70"), ("summary", "packing line"),
                           ("contact", "Chen"), ("contact_phone", "0571-88886666"),
                           ("description", "a second plant")):
            await fill(pilot, name, text)
        await save(pilot)
        assert pilot.app.screen is screen
        assert screen.table.row_count == 1
        assert offered(pilot.app, "opportunity.") == {"opportunity.new", "opportunity.edit",
                                                      "opportunity.delete"}
    opportunity = Opportunity.get()
    assert (opportunity.customer_name, opportunity.success_rate, opportunity.created_by_id,
            opportunity.status) == ("Lianxin Ltd", 70, people.manager.id, UNASSIGNED)

    # The supervisor assigns it to the account manager.
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        await open_module(pilot, "opportunities", RecordListScreen)
        assert "opportunity.assign" in offered(pilot.app, "opportunity.")
        await press_and_settle(pilot, "a")
        await choose(pilot, "manager", "王经理")
        await save(pilot)
        assert isinstance(pilot.app.screen, RecordListScreen)
        assert offered(pilot.app, "opportunity.") == {"opportunity.new"}
        # The supervisor reads the plan but may not change it.
        await press_and_settle(pilot, "enter")
        assert isinstance(pilot.app.screen, RecordScreen)
        assert offered(pilot.app, ("plan_item.", "opportunity.su", "opportunity.f")) == set()
    opportunity = Opportunity.get()
    assert (opportunity.status, opportunity.assigned_to_id) == (ASSIGNED, people.manager.id)
    assert opportunity.assigned_at is not None

    # The account manager plans, records the result and succeeds.
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "opportunities", RecordListScreen)
        assert offered(pilot.app, "opportunity.") == {"opportunity.new"}
        await press_and_settle(pilot, "enter")
        plan = pilot.app.screen
        assert isinstance(plan, RecordScreen)
        assert offered(pilot.app, ("plan_item.", "opportunity.su", "opportunity.f")) == {"plan_item.add", "opportunity.succeed", "opportunity.fail"}
        await press_and_settle(pilot, "a")
        await fill(pilot, "date", "2026-12-01")
        await fill(pilot, "content", "visit Chen")
        await save(pilot)
        assert pilot.app.screen is plan and plan.table.row_count == 1
        assert offered(pilot.app, ("plan_item.", "opportunity.su", "opportunity.f")) == {"plan_item.add", "plan_item.edit", "plan_item.result",
                                               "plan_item.delete", "opportunity.succeed", "opportunity.fail"}
        await press_and_settle(pilot, "r")
        await fill(pilot, "result", "wants a quote")
        await save(pilot)

        await press_and_settle(pilot, "c")
        form = pilot.app.screen
        assert isinstance(form, FormModal)
        # Pre-filled from the opportunity.
        assert form.values()["contact_name"] == "Chen"
        assert form.values()["phone"] == "0571-88886666"
        # The customer form's typing is tested in test_customers_screens.
        await fill_form(pilot, {
            "region": "浙江", "level": "重点开发客户", "satisfaction": "4", "credit": "3",
            "address": "Binjiang 8", "postcode": "310051", "legal_representative": "Lin",
            "bank": "ICBC", "bank_account": "1202001", "local_tax_number": "3301081",
            "national_tax_number": "3301082", "contact_sex": "male",
            "contact_position": "buyer"})
        await save(pilot)
        assert pilot.app.screen is plan
        # Ended: read only.
        assert offered(pilot.app, ("plan_item.", "opportunity.su", "opportunity.f")) == set()

    opportunity = Opportunity.get()
    customer = Customer.get()
    assert (opportunity.status, opportunity.customer_id) == (SUCCEEDED, customer.id)
    assert (customer.name, customer.manager_id, customer.region.item, customer.level.item,
            customer.postcode) == ("Lianxin Ltd", people.manager.id, "浙江",
                                   "重点开发客户", "310051")
    contact = Contact.get(Contact.customer == customer.id)
    assert (contact.name, contact.sex, contact.position, contact.office_phone) == (
        "Chen", "M", "buyer", "0571-88886666")
    [item] = PlanItem.of(opportunity)
    assert (str(item.date), item.content, item.result) == (
        "2026-12-01", "visit Chen", "wants a quote")


async def test_wrong_transition_from_the_ui_is_refused_with_its_reason(sqlite_url, people):
    opportunity = new_opportunity(people.manager)
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        await open_module(pilot, "opportunities", RecordListScreen)
        await press_and_settle(pilot, "a")
        await choose(pilot, "manager", "赵经理")
        # Meanwhile another supervisor's session assigns it.
        opportunity.assign_by(people.admin, people.manager)
        await save(pilot)
        assert isinstance(pilot.app.screen, FormModal)
        assert "Only an unassigned opportunity can be assigned" in form_message(pilot.app.screen)
    assert Opportunity.get_by_id(opportunity.id).assigned_to_id == people.manager.id


async def test_creator_edits_and_deletes_after_confirming(sqlite_url, people):
    new_opportunity(people.manager, summary="old summary")
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        screen = await open_module(pilot, "opportunities", RecordListScreen)
        await press_and_settle(pilot, "e")
        summary = await focus_field(pilot, "summary")
        assert summary.value == "old summary"
        summary.value = ""
        await type_text(pilot, "new summary")
        await save(pilot)
        assert Opportunity.get().summary == "new summary"
        await press_and_settle(pilot, "d")
        assert isinstance(pilot.app.screen, ConfirmModal)
        await press_and_settle(pilot, "n")
        assert Opportunity.select().count() == 1
        await press_and_settle(pilot, "d")
        await press_and_settle(pilot, "y")
        assert pilot.app.screen is screen and screen.table.row_count == 0
    assert Opportunity.select().count() == 0
    assert AuditLog.select().where((AuditLog.table_name == "opportunity")
                                   & (AuditLog.action == "delete")).count() == 1


async def test_each_role_is_offered_only_its_actions(sqlite_url, people):
    new_opportunity(people.other_manager, summary="zhao's own")
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "exec")
        screen = await open_module(pilot, "opportunities", RecordListScreen)
        assert screen.table.row_count == 1
        assert offered(pilot.app, "opportunity.") == set()
        await press_and_settle(pilot, "a", "e", "d", "n")
        assert pilot.app.screen is screen
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        screen = await open_module(pilot, "opportunities", RecordListScreen)
        assert screen.table.row_count == 0  # zhao's is not his to see
    assert Opportunity.get().summary == "zhao's own"


async def test_manager_stops_development(sqlite_url, people):
    new_opportunity(people.supervisor).assign_by(people.supervisor, people.manager)
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "opportunities", RecordListScreen)
        await press_and_settle(pilot, "enter")
        await press_and_settle(pilot, "f")
        assert isinstance(pilot.app.screen, ConfirmModal)
        await press_and_settle(pilot, "y")
        assert isinstance(pilot.app.screen, RecordScreen)
        assert offered(pilot.app, ("plan_item.", "opportunity.su", "opportunity.f")) == set()
        title = str(pilot.app.screen.query_one(".record-heading", Static).render())
        assert "failed" in title
    assert Opportunity.get().status == FAILED and Customer.select().count() == 0


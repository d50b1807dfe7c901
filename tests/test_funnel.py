"""M15 rules on SQLite and PostgreSQL: an opportunity's stage, expected
amount and close date; the stages' success rates in the dictionary; the
targets a supervisor sets; the migration that fills existing opportunities."""
from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest

from crm_tui.models import AuditLog, Opportunity
from crm_tui.models.dictionary import (OPPORTUNITY_STAGE, DictionaryEntry, create_entry,
                                       stage_rate, update_entry)
from crm_tui.models.errors import InvalidTransition, PermissionDenied, ValidationError
from crm_tui.models.funnel import Target
from crm_tui.models.sales import ASSIGNED, stages
from tests.conftest import at, offers
from tests.test_opportunities import new_opportunity
from tests.test_plans import success_values

STAGE_RATES = [("初步接洽", 10), ("需求确认", 30), ("方案报价", 60), ("谈判审核", 80)]


def stage(item: str) -> DictionaryEntry:
    return stages().where(DictionaryEntry.item == item).get()


def audit_of(table: str, row_id: int, action: str) -> dict[str, tuple[str, str]]:
    return {row.field: (row.old, row.new) for row in AuditLog.select().where(
        (AuditLog.table_name == table) & (AuditLog.row_id == row_id)
        & (AuditLog.action == action))}


def developing(people, **overrides) -> Opportunity:
    return new_opportunity(people.manager, **overrides).assign_by(people.supervisor,
                                                                  people.manager)


# ----- stages in the dictionary ----------------------------------------------

def test_the_stages_are_seeded_in_funnel_order_with_their_rates(crm_db):
    assert [(entry.item, stage_rate(entry)) for entry in stages()] == STAGE_RATES


def test_a_stage_value_must_be_a_rate(crm_db, people):
    entry = stage("方案报价")
    for bad in ("六十", "101", "-1", "55.5"):
        with pytest.raises(ValidationError) as error:
            update_entry(people.admin, entry, {"value": bad})
        assert set(error.value.errors) == {"value"}
    assert update_entry(people.admin, entry, {"value": "65"}).value == "65"
    with pytest.raises(ValidationError):
        create_entry(people.admin, {"type": OPPORTUNITY_STAGE, "item": "签约", "value": "x",
                                    "editable": "1"})
    # Other types keep any value.
    create_entry(people.admin, {"type": "地区", "item": "海南", "value": "海南省",
                                "editable": "1"})


def test_a_stage_in_use_cannot_be_deleted(crm_db, people):
    from crm_tui.models.dictionary import delete_entry

    new_opportunity(people.manager, stage=stage("需求确认").id)
    with pytest.raises(InvalidTransition) as error:
        delete_entry(people.admin, stage("需求确认"))
    assert "opportunit" in str(error.value)


# ----- creating and editing ----------------------------------------------------

def test_a_new_opportunity_starts_at_the_first_stage_amount_unknown(crm_db, people):
    # What a converted lead passes: none of the new fields.
    opportunity = new_opportunity(people.manager)
    assert (opportunity.stage_id, opportunity.expected_amount, opportunity.expected_close) == (
        stage("初步接洽").id, None, None)
    assert opportunity.weighted_amount() is None


def test_create_and_edit_with_stage_amount_and_close(crm_db, people):
    opportunity = new_opportunity(people.manager, stage=stage("方案报价").id,
                                  expected_amount="120000.5", expected_close="2026-06-30")
    stored = Opportunity.get_by_id(opportunity.id)
    assert (stored.stage_id, stored.expected_amount, stored.expected_close) == (
        stage("方案报价").id, Decimal("120000.50"), dt.date(2026, 6, 30))
    assert stored.weighted_amount() == Decimal("72000.30")  # its own rate: 60%
    edited = stored.update_by(people.manager, {"expected_amount": "99", "stage": ""})
    assert (edited.expected_amount, edited.stage_id) == (Decimal("99.00"), stage("方案报价").id)


@pytest.mark.parametrize("field, value", [("stage", "999999"), ("stage", "abc"),
                                          ("expected_amount", "-1"),
                                          ("expected_amount", "lots"),
                                          ("expected_close", "2026-02-30")])
def test_bad_funnel_fields_are_refused(crm_db, people, field, value):
    with pytest.raises(ValidationError) as error:
        new_opportunity(people.manager, **{field: value})
    assert set(error.value.errors) == {field}
    assert Opportunity.select().count() == 0


def test_a_region_is_no_stage(crm_db, people):
    region = DictionaryEntry.get(DictionaryEntry.type == "地区")
    with pytest.raises(ValidationError):
        new_opportunity(people.manager, stage=region.id)


# ----- the stage while developing -------------------------------------------

def test_the_account_manager_moves_the_stage_and_the_rate_follows(crm_db, people):
    opportunity = developing(people, success_rate="10")
    assert offers(opportunity, people.manager, "stage")
    moved = opportunity.set_stage_by(people.manager, {
        "stage": stage("方案报价").id, "success_rate": "10", "expected_amount": "50000",
        "expected_close": "2026-09-15"})
    # The rate left as it was follows the stage; typed rates stay.
    assert (moved.stage_id, moved.success_rate, moved.expected_amount, moved.expected_close) == (
        stage("方案报价").id, 60, Decimal("50000.00"), dt.date(2026, 9, 15))
    assert moved.weighted_amount() == Decimal("30000.00")
    typed = moved.set_stage_by(people.manager, {"stage": stage("谈判审核").id,
                                                "success_rate": "75"})
    assert typed.success_rate == 75
    blank = typed.set_stage_by(people.manager, {"success_rate": ""})
    assert blank.success_rate == 80  # blank: the stage's rate
    assert audit_of("opportunity", opportunity.id, "stage")["expected_amount"][1] == "50000.00"
    assert typed.status == ASSIGNED


def test_a_supervisor_may_move_the_stage_others_may_not(crm_db, people):
    opportunity = developing(people)
    moved = opportunity.set_stage_by(people.supervisor, {"stage": stage("需求确认").id})
    assert moved.stage_id == stage("需求确认").id
    for outsider in (people.other_manager, people.executive):
        assert not offers(moved, outsider, "stage")
        with pytest.raises(PermissionDenied):
            moved.set_stage_by(outsider, {"expected_amount": "1"})
    assert Opportunity.get_by_id(moved.id).expected_amount is None


def test_the_stage_action_is_refused_outside_development(crm_db, people):
    unassigned = new_opportunity(people.manager)
    with pytest.raises(InvalidTransition):
        unassigned.set_stage_by(people.supervisor, {"expected_amount": "1"})
    assert not offers(unassigned, people.supervisor, "stage")
    won = developing(people)
    won.add_plan_item(people.manager, {"date": "2026-05-01", "content": "拜访"})
    won.succeed_by(people.manager, success_values(people.manager))
    won = Opportunity.get_by_id(won.id)
    failed = developing(people).fail_by(people.manager)
    for ended in (won, failed):
        with pytest.raises(InvalidTransition):
            ended.set_stage_by(people.manager, {"stage": stage("谈判审核").id})
        assert Opportunity.get_by_id(ended.id).stage_id == stage("初步接洽").id


def test_a_stage_change_from_a_stale_copy_is_refused(crm_db, people):
    from crm_tui.models.errors import ConcurrentEdit

    opportunity = developing(people)
    opportunity.set_stage_by(people.manager, {"expected_amount": "10"})
    with pytest.raises(ConcurrentEdit):
        opportunity.set_stage_by(people.supervisor, {"expected_amount": "20"})
    assert Opportunity.get_by_id(opportunity.id).expected_amount == Decimal("10.00")


# ----- targets -------------------------------------------------------------------

def target_values(who, **overrides) -> dict:
    values = {"manager": who.id, "month": "2026-03", "amount": "500000",
              "payments": "300000", "new_customers": "4", "interactions": "40"}
    values.update(overrides)
    return values


def test_a_supervisor_sets_a_target_with_an_audit_row(crm_db, people):
    at(2026, 2, 20)
    target = Target.set_by_user(people.supervisor, target_values(people.manager))
    stored = Target.get_by_id(target.id)
    assert (stored.manager_id, stored.month, stored.amount, stored.payments,
            stored.new_customers, stored.interactions, stored.set_by_id) == (
        people.manager.id, dt.date(2026, 3, 1), Decimal("500000.00"), Decimal("300000.00"), 4,
        40, people.supervisor.id)
    assert audit_of("target", target.id, "create")["amount"] == ("", "500000.00")
    # Executives and the administrator set targets too.
    Target.set_by_user(people.executive, target_values(people.manager, month="2026-04"))
    Target.set_by_user(people.admin, target_values(people.other_manager))
    assert Target.select().count() == 3


def test_an_account_manager_may_not_set_targets(crm_db, people):
    with pytest.raises(PermissionDenied):
        Target.set_by_user(people.manager, target_values(people.manager))
    target = Target.set_by_user(people.supervisor, target_values(people.manager))
    with pytest.raises(PermissionDenied):
        target.update_by(people.manager, {"amount": "1"})
    with pytest.raises(PermissionDenied):
        target.delete_by(people.manager)
    assert not offers(target, people.manager, "edit")
    assert Target.get_by_id(target.id).amount == Decimal("500000.00")


@pytest.mark.parametrize("field, value", [("month", "2026-13"), ("month", "三月"),
                                          ("amount", ""), ("amount", "-5"),
                                          ("new_customers", "2.5"), ("manager", "")])
def test_bad_targets_are_refused(crm_db, people, field, value):
    with pytest.raises(ValidationError) as error:
        Target.set_by_user(people.supervisor, target_values(people.manager, **{field: value}))
    assert set(error.value.errors) == {field}
    assert Target.select().count() == 0


def test_targets_are_for_active_account_managers_one_per_month(crm_db, people):
    with pytest.raises(ValidationError) as error:
        Target.set_by_user(people.supervisor, target_values(people.supervisor))
    assert "manager" in error.value.errors
    Target.set_by_user(people.supervisor, target_values(people.manager))
    with pytest.raises(ValidationError) as error:
        Target.set_by_user(people.supervisor, target_values(people.manager, amount="1"))
    assert "month" in error.value.errors
    assert Target.select().count() == 1


def test_targets_are_changed_and_deleted_by_supervisors_with_audit(crm_db, people):
    target = Target.set_by_user(people.supervisor, target_values(people.manager))
    changed = target.update_by(people.executive, {"amount": "600000", "interactions": ""})
    assert (changed.amount, changed.interactions, changed.set_by_id) == (
        Decimal("600000.00"), None, people.executive.id)
    assert audit_of("target", target.id, "update")["amount"] == ("500000.00", "600000.00")
    with pytest.raises(ValidationError):
        changed.update_by(people.supervisor, {"month": "2026-05"})  # the month stays
    changed.delete_by(people.supervisor)
    assert Target.select().count() == 0
    assert audit_of("target", target.id, "delete")


def test_an_account_manager_reads_only_own_targets(crm_db, people):
    own = Target.set_by_user(people.supervisor, target_values(people.manager))
    Target.set_by_user(people.supervisor, target_values(people.other_manager))
    assert [target.id for target in Target.visible_to(people.manager)] == [own.id]
    assert Target.visible_to(people.executive).count() == 2


# ----- the migration's filling of existing opportunities ---------------------

def test_the_migration_fills_existing_opportunities(crm_db, people):
    from crm_tui.models.quotes import Quote, QuoteLine

    migration = importlib.import_module("crm_tui.migrations.0009_funnel")
    at(2026, 1, 10)
    waiting = new_opportunity(people.manager)
    quoted = developing(people)
    at(2026, 2, 1)
    failed = developing(people).fail_by(people.manager)
    from tests.conftest import make_customer

    customer = make_customer(people.manager)
    for total in ("1000.00", "2500.50"):
        quote = Quote.create(number=f"BJ{total}", customer=customer.id, opportunity=quoted.id,
                             valid_until=dt.date(2026, 3, 1), created_by=people.manager.id,
                             created_at=dt.datetime(2026, 1, 11))
        QuoteLine.create(quote=quote.id, product_id=1, product_name="服务器", quantity=1,
                         unit_price=Decimal(total), amount=Decimal(total))
    # As before the migration: no stage, amount or close date.
    Opportunity.update(stage=None, expected_amount=None, expected_close=None).execute()
    migration._fill_opportunities(crm_db, {entry.item: entry.id for entry in stages()})
    found = {row.id: row for row in Opportunity.select()}
    assert (found[waiting.id].stage_id, found[waiting.id].expected_amount,
            found[waiting.id].expected_close) == (stage("初步接洽").id, None, dt.date(2026, 4, 10))
    assert (found[quoted.id].stage_id, found[quoted.id].expected_amount) == (
        stage("需求确认").id, Decimal("2500.50"))
    assert found[failed.id].expected_close == dt.date(2026, 2, 1)


# ----- demo data at scale ---------------------------------------------------------

def test_demo_data_adds_opportunities_in_every_state_and_stage(crm_db, people):
    from crm_tui.demo_funnel import fill_opportunities_at_scale
    from crm_tui.models.sales import OPPORTUNITY_STATUSES

    added = fill_opportunities_at_scale(300, seed=3, progress=lambda line: None)
    assert Opportunity.select().count() == 300
    assert {row.status for row in Opportunity.select()} == set(OPPORTUNITY_STATUSES)
    assert {row.stage_id for row in Opportunity.select()} == {entry.id for entry in stages()}
    assert not Opportunity.select().where(Opportunity.expected_amount.is_null()
                                          | Opportunity.expected_close.is_null()).exists()
    # Each account manager's targets, once per month however often it runs.
    assert added == Target.select().count() > 0
    assert fill_opportunities_at_scale(100, seed=4, progress=lambda line: None) == 0
    assert Opportunity.select().count() == 400

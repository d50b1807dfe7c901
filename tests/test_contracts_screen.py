"""Contracts driven like a person at 80x24: the account manager drafts a
contract from the customer's tab, adds its payment plan and submits it; the
supervisor approves; a large one waits for the executive; the manager
records payments until the contract is completed."""
from __future__ import annotations

from decimal import Decimal

from crm_tui.models import Contract, Payment
from crm_tui.models.contracts import APPROVED, COMPLETED, IN_FORCE, SUBMITTED
from crm_tui.screens.customer_detail import CustomerDetailScreen
from crm_tui.screens.records import RecordListScreen, RecordScreen
from crm_tui.widgets.forms import FormModal
from tests.conftest import at, make_customer
from tests.pilot import (app_for, choose, fill, form_errors, offered, open_module, open_tab,
                         press_and_settle, push_and_settle, save, sign_in)


async def add_instalment(pilot, due: str, amount: str) -> None:
    await press_and_settle(pilot, "i")
    await fill(pilot, "due_date", due)
    await fill(pilot, "amount", amount)
    await save(pilot)


async def draft_with_plan(pilot, customer, title: str, amount: str, *instalments) -> None:
    """From the customer's Contracts tab: n, the form, then the plan."""
    await push_and_settle(pilot, CustomerDetailScreen(customer.id))
    await open_tab(pilot, "contracts")
    await press_and_settle(pilot, "n")
    await fill(pilot, "title", title)
    await fill(pilot, "amount", amount)
    await fill(pilot, "start_date", "2026-03-01")
    await fill(pilot, "end_date", "2027-02-28")
    await save(pilot)
    await press_and_settle(pilot, "enter")
    assert isinstance(pilot.app.screen, RecordScreen)
    for due, instalment_amount in instalments:
        await add_instalment(pilot, due, instalment_amount)


async def test_a_contract_from_draft_to_completed(sqlite_url, people):
    at(2026, 3, 1)
    customer = make_customer(people.manager, name="Yuanda Tech")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await draft_with_plan(pilot, customer, "Switchgear supply", "300000",
                              ("2026-04-15", "90000"))
        # The plan does not add up yet: submitting is refused with the reason.
        await press_and_settle(pilot, "u", "y")
        assert Contract.get().status == "draft"
        await add_instalment(pilot, "2026-05-15", "210000")
        assert "contract.submit" in offered(app, "contract.")
        await press_and_settle(pilot, "u", "y")
        assert Contract.get().status == SUBMITTED
        assert offered(app, ("contract.", "instalment.")) == set()

    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        await open_module(pilot, "contracts", RecordListScreen)
        await press_and_settle(pilot, "enter")
        assert offered(pilot.app, "contract.") == {"contract.approve", "contract.reject"}
        await press_and_settle(pilot, "a")
        await fill(pilot, "comment", "OK")
        await save(pilot)
    assert Contract.get().status == APPROVED

    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "contracts", RecordListScreen)
        await press_and_settle(pilot, "enter")
        await press_and_settle(pilot, "g")
        await save(pilot)  # signed today
        assert Contract.get().status == IN_FORCE
        # The first instalment: too much is refused at the field, then paid.
        await press_and_settle(pilot, "p")
        form = pilot.app.screen
        await fill(pilot, "amount", "90000.01")
        await choose(pilot, "method", "银行转账")
        await save(pilot)
        assert isinstance(pilot.app.screen, FormModal) and "amount" in form_errors(form)
        await fill(pilot, "amount", "90000")
        await save(pilot)
        await press_and_settle(pilot, "down", "p")
        await choose(pilot, "method", "承兑汇票")
        await save(pilot)  # the amount still due is filled in
    contract = Contract.get()
    assert contract.status == COMPLETED
    assert sorted(payment.amount for payment in Payment.select()) == [Decimal("90000"),
                                                                      Decimal("210000")]


async def test_a_large_contract_waits_for_the_executive(sqlite_url, people):
    at(2026, 3, 1)
    customer = make_customer(people.manager, name="Yuanda Tech")
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await draft_with_plan(pilot, customer, "Plant automation", "2000000",
                              ("2026-06-30", "2000000"))
        await press_and_settle(pilot, "u", "y")
    for login in ("super", "exec"):
        async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, login)
            await open_module(pilot, "contracts", RecordListScreen)
            await press_and_settle(pilot, "enter", "a")
            await save(pilot)
            expected = SUBMITTED if login == "super" else APPROVED
            assert Contract.get().status == expected


async def test_the_palette_finds_a_contract_by_number_and_home_counts_it(sqlite_url, people):
    from crm_tui.commands import find_records
    from crm_tui.models.contracts import Contract as ContractModel
    from tests.test_contracts import contract_values, with_plan
    from tests.test_screen_snapshots import screen_text

    at(2026, 3, 1)
    customer = make_customer(people.manager, name="Yuanda Tech")
    contract = ContractModel.create_by(people.manager, contract_values(customer))
    with_plan(contract, people.manager, "300000").submit_by(people.manager)
    assert [hit[:2] for hit in find_records(people.supervisor, "HT2026")] == [
        ("contract", contract.id)]
    assert find_records(people.other_manager, "HT2026") == []
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        await press_and_settle(pilot, "r")
        text = screen_text(pilot.app)
        line = next(row for row in text.splitlines() if "Awaiting approval" in row)
        assert line.split("│")[1].split()[-1] == "1"  # the figures' box, its last word
        await press_and_settle(pilot, "ctrl+p")
        await pilot.press(*"HT20260301001")
        await press_and_settle(pilot)
        await press_and_settle(pilot, "enter")
        assert isinstance(pilot.app.screen, RecordScreen)
        assert pilot.app.screen.record_id == contract.id


async def test_the_receivables_report_shows_the_overdue_contract(sqlite_url, people):
    from crm_tui.screens.reports import ReportsScreen
    from tests.test_contracts import contract_values, with_plan

    at(2026, 3, 1)
    customer = make_customer(people.manager, name="Yuanda Tech")
    contract = contract_in_force(people, customer, contract_values, with_plan)
    at(2026, 6, 1)  # the April instalment is 47 days late, the May one 17
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        screen = await open_module(pilot, "reports", ReportsScreen)
        await press_and_settle(pilot, "f7")
        pane = screen.pane
        assert pane.key == "receivables"
        [row] = pane.source.rows
        assert row["number"] == contract.number
        assert (row["overdue_0"], row["overdue_1"]) == (Decimal("210000"), Decimal("90000"))
        summary = str(pane.query_one(".report-summary").render())
        assert "300,000.00 overdue" in summary


def contract_in_force(people, customer, contract_values, with_plan):
    contract = Contract.create_by(people.manager, contract_values(customer))
    contract = with_plan(contract, people.manager, "90000", "210000").submit_by(people.manager)
    return contract.approve_by(people.supervisor, {}).sign_by(people.manager,
                                                              {"sign_date": "2026-03-01"})

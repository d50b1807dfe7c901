"""Quotes driven like a person at 80x24: the account manager drafts a quote
with two lines in the Quotes module, sends it, records its acceptance, and
a contract draft for the quote's total follows."""
from __future__ import annotations

from decimal import Decimal

from crm_tui.models import Contract, Interaction, Product, Quote, QuoteLine
from crm_tui.models.quotes import ACCEPTED, SENT
from crm_tui.screens.customer_detail import CustomerDetailScreen
from crm_tui.screens.records import RecordListScreen, RecordScreen
from crm_tui.widgets.forms import FormModal
from tests.conftest import at, make_customer
from tests.pilot import (app_for, choose, fill, form_errors, offered, open_module, open_tab,
                         pick, press_and_settle, push_and_settle, save, sign_in)
from tests.test_quotes import product
from tests.test_screen_snapshots import screen_text


async def add_line(pilot, search: str, quantity: str, discount: str = "0") -> None:
    await press_and_settle(pilot, "i")
    await pick(pilot, "product", search)
    await fill(pilot, "quantity", quantity)
    await fill(pilot, "discount", discount)
    await save(pilot)


async def test_a_quote_from_draft_to_a_contract_draft(sqlite_url, people):
    at(2026, 3, 1)
    make_customer(people.manager, name="Yuanda Tech")
    # Thousands of products: the line's product is searched, not scrolled to.
    Product.insert_many([{"name": f"Cable YJV {size}x{size}", "model": f"YJV-{size}",
                          "unit": "m", "price": Decimal("12.50")} for size in range(3000)]).execute()
    product("Switchgear GGD", "12500.00", "set")
    product("Breaker DW15", "333.33", "pc")
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "quotes", RecordListScreen)
        await press_and_settle(pilot, "n")
        await choose(pilot, "customer", "Yuanda Tech")
        await fill(pilot, "valid_until", "2026-03-31")
        await save(pilot)
        await press_and_settle(pilot, "enter")
        assert isinstance(pilot.app.screen, RecordScreen)
        await add_line(pilot, "switchgear", "2")
        # A quantity of 0 is refused at the field; the form stays open.
        await press_and_settle(pilot, "i")
        form = pilot.app.screen
        await pick(pilot, "product", "dw15")
        await fill(pilot, "quantity", "0")
        await fill(pilot, "discount", "10")
        await save(pilot)
        assert isinstance(pilot.app.screen, FormModal) and "quantity" in form_errors(form)
        await fill(pilot, "quantity", "3")
        await save(pilot)
        assert sorted(line.product_name for line in QuoteLine.select()) == [
            "Breaker DW15", "Switchgear GGD"]
        assert "25,899.99" in screen_text(pilot.app)
        await press_and_settle(pilot, "u", "y")
        assert Quote.get().status == SENT and Interaction.select().count() == 1
        # Sent: no more editing, its lines neither.
        assert offered(pilot.app, ("quote.", "quote_line.")) == {"quote.accept", "quote.reject"}
        await press_and_settle(pilot, "a", "y")
    quote = Quote.get()
    assert quote.status == ACCEPTED
    contract = Contract.get()
    assert quote.contract_id == contract.id and contract.status == "draft"
    assert contract.amount == Decimal("25899.99")


async def test_the_customer_screen_lists_its_quotes(sqlite_url, people):
    from tests.test_quotes import quote_values

    at(2026, 3, 1)
    customer = make_customer(people.manager, name="Yuanda Tech")
    quote = Quote.create_by(people.manager, quote_values(customer))
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await push_and_settle(pilot, CustomerDetailScreen(customer.id))
        await open_tab(pilot, "quotes")
        assert quote.number in screen_text(pilot.app)
        await press_and_settle(pilot, "enter")
        assert isinstance(pilot.app.screen, RecordScreen)
        assert pilot.app.screen.record_id == quote.id

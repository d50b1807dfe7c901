"""Keys typed faster than the app acts on them: each lands where the screen
says it does, in order, and a form saves exactly what it shows.

The keys are sent the way a terminal hands them to an app that was held up
for a moment (`type_ahead`: all read at once, before the first is acted
on), right after a screen or form is opened, and with every query slowed
down as on a loaded machine."""
from __future__ import annotations

import time

import pytest
from crm_tui.models import Contact, Customer, Interaction
from crm_tui.models.customers import interaction_fields
from crm_tui.screens.customer_detail import CustomerDetailScreen
from crm_tui.screens.customers import CustomerListScreen
from crm_tui.screens.home import MENU_KEYS, HomeScreen
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import LazyTable
from tests.conftest import PASSWORD, make_customer
from tests.pilot import (app_for, form_errors, open_module, settle, sign_in, type_ahead)
from tests.test_contacts_rules import contact_values

QUERY_DELAY = 0.02


@pytest.fixture
def slow_queries(sqlite_db, monkeypatch):
    """Every query of the app (UI thread and workers) waits QUERY_DELAY first."""
    execute_sql = sqlite_db.execute_sql

    def slowed(*args, **kwargs):
        time.sleep(QUERY_DELAY)
        return execute_sql(*args, **kwargs)

    monkeypatch.setattr(sqlite_db, "execute_sql", slowed)


def menu_key(app, module_key: str) -> str:
    return MENU_KEYS[[module.key for module in app.allowed_modules()].index(module_key)]


def interaction_form(app, customer: Customer) -> FormModal:
    user = app.user
    return FormModal("interaction", interaction_fields(customer.id), {"date": "2026-11-02"},
                     lambda typed: Interaction.create_by(user, customer.id, typed))


async def test_text_typed_with_tab_lands_in_the_field_tab_moves_to(sqlite_url, people):
    customer = make_customer(people.manager)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        app.push_screen(interaction_form(app, customer))
        await settle(pilot)
        type_ahead(pilot, "tab", *"Soak office", "tab", *"soak-am01-4")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormModal)
        shown = form.values()
        assert (shown["date"], shown["place"], shown["summary"]) == (
            "2026-11-02", "Soak office", "soak-am01-4")
        assert app.focused is form.widget_for("summary")


async def test_keys_typed_while_the_form_opens_reach_its_fields(sqlite_url, people, slow_queries):
    customer = make_customer(people.manager)
    Contact.create_by(people.manager, customer.id, contact_values(name="李明"))
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        app.push_screen(interaction_form(app, customer))  # no pause: still mounting
        type_ahead(pilot, "tab", *"Room 1", "tab", *"Met the buyer", "tab", "enter", "down", "enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormModal)
        shown = form.values()
        assert (shown["place"], shown["summary"]) == ("Room 1", "Met the buyer")
        assert shown["contact"] is not None
        type_ahead(pilot, "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, FormModal)

    saved = Interaction.get()
    assert (saved.place, saved.summary, saved.contact_id, saved.date.isoformat()) == (
        shown["place"], shown["summary"], shown["contact"], shown["date"])


async def test_ctrl_s_saves_the_text_typed_just_before_it(sqlite_url, people, slow_queries):
    customer = make_customer(people.manager)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        app.push_screen(interaction_form(app, customer))
        await settle(pilot)
        type_ahead(pilot, "tab", *"Soak office", "tab", *"soak-am01-4", "ctrl+s")
        await settle(pilot)
        if isinstance(app.screen, FormModal):  # the save was refused: say with what
            raise AssertionError(f"{app.screen.values()} {form_errors(app.screen)}")

    saved = Interaction.get()
    assert (saved.place, saved.summary) == ("Soak office", "soak-am01-4")


async def test_a_form_never_says_required_of_a_field_it_shows_filled(sqlite_url, people):
    customer = make_customer(people.manager)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        user = app.user
        form = FormModal("interaction", interaction_fields(customer.id),
                         {"date": "2026-11-02", "place": "Room 1"},
                         lambda typed: Interaction.create_by(user, customer.id, typed))
        app.push_screen(form)
        await settle(pilot)
        form.widget_for("summary").focus()
        await settle(pilot)
        type_ahead(pilot, *"summary one", "ctrl+s")  # Ctrl+S right behind the text
        await settle(pilot)
        assert not isinstance(app.screen, FormModal), (form.values(), form_errors(form))

    assert [(row.place, row.summary) for row in Interaction.select()] == [("Room 1", "summary one")]


async def test_a_search_typed_while_the_list_opens_is_applied(sqlite_url, people, slow_queries):
    for number in range(12):
        make_customer(people.manager, name=f"客户{number:02d}")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        type_ahead(pilot, menu_key(app, "customers"), "/", *"客户07", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerListScreen)
        table = app.screen.query_one(LazyTable)
        assert (table.filter_text, table.row_count) == ("客户07", 1)
        assert table.current_row["name"] == "客户07"


async def test_enter_while_the_list_loads_opens_the_first_row(sqlite_url, people, slow_queries):
    first = make_customer(people.manager, name="甲公司")
    make_customer(people.manager, name="乙公司")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers", CustomerListScreen)
        table = app.screen.query_one(LazyTable)
        type_ahead(pilot, "s", "enter")  # sort by number (the list reloads), open the first
        await settle(pilot)
        assert isinstance(app.screen, CustomerDetailScreen)
        assert app.screen.customer_id == first.id
        assert table.view.sort_index == 0


async def test_keys_typed_while_signing_in_wait_for_the_home_screen(sqlite_url, people,
                                                                 slow_queries):
    make_customer(people.manager, name="甲公司")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        type_ahead(pilot, *"wang", "enter", *PASSWORD, "enter", "1", "/", *"甲", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerListScreen)
        assert app.screen.query_one(LazyTable).filter_text == "甲"
        assert isinstance(app.screen_stack[1], HomeScreen)


async def test_a_password_typed_again_after_a_refusal_is_not_wiped(sqlite_url, people, slow_queries):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        type_ahead(pilot, *"wang", "enter", *"wrong", "enter", *PASSWORD, "enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.user.login == "wang"


async def test_an_edit_typed_ahead_saves_what_the_form_showed(sqlite_url, people, slow_queries):
    customer = make_customer(people.manager, name="远大科技", fax="010-12345678")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers", CustomerListScreen)
        # How many Tabs lead from the form's first field to the fax.
        type_ahead(pilot, "e")
        await settle(pilot)
        form = app.screen
        chain = form.focus_chain
        tabs = chain.index(form.widget_for("fax")) - chain.index(app.focused)
        type_ahead(pilot, "escape")
        await settle(pilot)
        assert isinstance(app.screen, CustomerListScreen)

        type_ahead(pilot, "e", *["tab"] * tabs, "ctrl+a", "ctrl+k", *"021-5550199", "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, FormModal), form_errors(app.screen)

    assert Customer.get_by_id(customer.id).fax == "021-5550199"

"""Text from the database is drawn as plain text: every control character
(C0, DEL, C1 including CSI \\x9b) and every bidi override is fed through the
list widget, a form, a message's detail view, an order's lines and a
notification of the real app, and what the app would write to the terminal
is read back and searched for them. Markup in stored text shows literally."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.widgets import Input, TextArea

from crm_tui import cli
from crm_tui.models import Customer, MailMessage, User
from crm_tui.models.orders import order_detail
from crm_tui.plain_text import BIDI_CONTROLS, is_refused, plain, unsafe_chars
from crm_tui.screens.mail import MailReadModal
from crm_tui.screens.orders import OrderDetailScreen
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import LazyTable, fit
from tests.conftest import make_customer
from tests.pilot import app_for, notices, open_module, press_and_settle, push_and_settle, sign_in
from tests.test_mail_cli import write_config
from tests.test_orders_queries import add_order, add_product

C0 = [chr(code) for code in range(0x20)]
C1 = [chr(code) for code in range(0x80, 0xA0)]
HOSTILE_CHARS = C0 + ["\x7f"] + C1 + sorted(BIDI_CONTROLS)
# A real attack: rename the terminal window, clear the screen, CSI in C1 form.
ATTACK = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil"
MARKUP = "[bold red]loud[/][@click=app.quit]quit[/]"


def drawn_text(app) -> str:
    """Every character the app would write for its current screen now."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def raw_controls(text: str) -> list[str]:
    """The characters of drawn text a terminal would act on (a drawn line
    never holds a line break itself: lines are separate strips)."""
    return [char for char in text if char != "\n" and (is_refused(char, allow="") or
                                                        char in BIDI_CONTROLS)]


def chunks(chars: list[str], size: int) -> list[list[str]]:
    return [chars[start:start + size] for start in range(0, len(chars), size)]


# ----- the pure function -------------------------------------------------------

@given(st.text(alphabet=st.characters(codec=None, categories=None), max_size=200),
       st.booleans())
def test_plain_never_returns_a_control_character(text, multiline):
    shown = plain(text, multiline=multiline)
    allowed = "\n" if multiline else ""
    assert not unsafe_chars(shown, allow=allowed)
    assert not BIDI_CONTROLS & set(shown)
    shown.encode("utf-8")  # no lone surrogate either


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Cf")), max_size=100))
def test_plain_keeps_ordinary_text_as_it_is(text):
    assert plain(text) == text.replace("\t", "    ")


def test_each_control_character_has_a_visible_stand_in():
    assert plain("a\x1bb") == "a␛b"
    assert plain("\x00") == "␀"
    assert plain("\x7f") == "␡"
    assert plain("\x9b31m") == "\ufffd31m"
    assert plain("abc\u202edef\u2066") == "abcdef"
    assert plain("one\ntwo") == "one two"
    assert plain("one\r\ntwo\rthree", multiline=True) == "one\ntwo␍three"
    assert plain("\ud800") == "\ufffd"


def test_a_table_cell_is_plain_and_keeps_its_width():
    for char in HOSTILE_CHARS:
        cell = fit(f"ab{char}cd", 8)
        assert not raw_controls(cell), repr(char)
        assert len(cell) == 8 or char in BIDI_CONTROLS


# ----- the real app ------------------------------------------------------------

@pytest.fixture
def hostile_customers(sqlite_db, people):
    """Customers of the account manager whose names hold every such
    character, as data from another system or an older version would:
    written past the model's rules, straight into the table."""
    customers = []
    for number, group in enumerate(chunks(HOSTILE_CHARS, 8)):
        customer = make_customer(people.manager, name=f"客户{number:02d}")
        Customer.update(name=f"{number:02d}{''.join(group)}#").where(
            Customer.id == customer.id).execute()
        customers.append(customer)
    markup = make_customer(people.manager, name="markup")
    Customer.update(name=MARKUP).where(Customer.id == markup.id).execute()
    return customers


async def test_list_and_form_draw_no_control_character(sqlite_url, hostile_customers):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers")
        table = app.screen.query_one(LazyTable)
        assert table.row_count == len(hostile_customers) + 1
        shown = drawn_text(app)
        assert raw_controls(shown) == []
        # Every row is there, control characters as their pictures.
        for number in range(len(hostile_customers)):
            assert f"{number:02d}" in shown
        assert "␛" in shown and "␀" in shown and "␡" in shown and "\ufffd" in shown
        assert "[bold red]loud" in shown  # markup is text, not style

        # The edit form of each hostile customer: the input holds and draws
        # no control character.
        for index in range(len(hostile_customers) + 1):
            table.view.set_cursor(index)
            await press_and_settle(pilot, "e")
            form = app.screen
            assert isinstance(form, FormModal)
            name = form.widget_for("name")
            assert isinstance(name, Input)
            assert raw_controls(name.value) == []
            assert raw_controls(drawn_text(app)) == []
            await press_and_settle(pilot, "escape")
            if isinstance(app.screen, FormModal):
                await press_and_settle(pilot, "escape")
            assert not isinstance(app.screen, FormModal)


async def test_a_received_message_and_notifications_draw_no_control_character(
        sqlite_db, sqlite_url, people):
    everything = "".join(HOSTILE_CHARS)
    message = MailMessage.create(
        message_id="<hostile@x.example>", direction="in", sender=f"a{ATTACK}@x.example",
        recipients=MARKUP, subject=f"{ATTACK}{MARKUP}", body=f"{everything}\n{ATTACK}",
        date=dt.datetime(2026, 11, 20, 9, 0), status="unmatched", problem=everything)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        modal = await push_and_settle(pilot, MailReadModal(message))
        shown = drawn_text(app)
        assert raw_controls(shown) == []
        assert "␛]0;pwned␇␛[2J" in shown
        assert "[bold red]loud" in shown
        body = modal.query_one("#mail-read-body", TextArea).text
        assert raw_controls(body) == []
        assert "␛" in body and "␀" in body

        app.notify(f"{ATTACK} {MARKUP}")
        await pilot.pause()
        assert all(raw_controls(text) == [] for text in notices(app))
        assert any("[bold red]loud" in text for text in notices(app))
        assert raw_controls(drawn_text(app)) == []


async def test_order_lines_from_the_sales_system_draw_no_control_character(
        sqlite_db, sqlite_url, people):
    customer = make_customer(people.manager)
    products = [add_product(name=f"P{number}{''.join(group)}", model=MARKUP)
                for number, group in enumerate(chunks(HOSTILE_CHARS, 6))]
    order = add_order(customer.id, "SO-1", dt.date(2026, 11, 1), address=ATTACK,
                      lines=[(product, 1, "10.00") for product in products])
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await push_and_settle(pilot, OrderDetailScreen(order_detail(people.manager, order.id)))
        shown = drawn_text(app)
        assert raw_controls(shown) == []
        assert "␛]0;pwned" in shown
        assert "[bold red]" in shown


def test_the_user_list_of_the_command_line_prints_no_control_character(sqlite_db, people,
                                                                       tmp_path, capsys):
    User.update(display_name=f"王{ATTACK}").where(User.id == people.manager.id).execute()

    assert cli.main(["--config", write_config(tmp_path, 1), "user", "list"]) == 0

    out = capsys.readouterr().out
    assert "王␛]0;pwned␇" in out
    assert raw_controls(out.replace("\t", " ")) == []


async def test_record_screens_draw_no_control_character(sqlite_url, hostile_customers, people):
    """The customer's information tab, and a service's own screen with its
    history, drawn from the record kinds."""
    from crm_tui.models.dictionary import SERVICE_TYPE
    from crm_tui.models.service import Service
    from crm_tui.screens.customer_detail import CustomerDetailScreen
    from crm_tui.screens.records import RecordScreen
    from tests.conftest import entry

    customer = hostile_customers[1]
    service = Service.create_by(people.manager, {
        "type": entry(SERVICE_TYPE, "投诉").id, "summary": "printer", "customer": customer.id,
        "request": "send someone"})
    Service.update(summary=ATTACK, request=MARKUP + "".join(HOSTILE_CHARS[:40])).where(
        Service.id == service.id).execute()
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await push_and_settle(pilot, CustomerDetailScreen(customer.id))
        shown = drawn_text(app)
        assert raw_controls(shown) == [] and "01␈" in shown
        await push_and_settle(pilot, RecordScreen("service", service.id))
        shown = drawn_text(app)
        assert raw_controls(shown) == []
        assert "␛]0;pwned" in shown and "[bold red]loud" in shown

"""The customer screens driven like a person at 80x24: sign in by typing,
find a customer, edit it, add a contact and an interaction, open an order,
export the list; then look at what the database (or the file) holds."""
from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

from openpyxl import load_workbook
from textual.widgets import Input, Static

from crm_tui.config import DocumentsConfig
from crm_tui.models import AuditLog, Contact, Customer, Interaction
from crm_tui.models.customers import DELETED
from crm_tui.screens.customer_detail import CustomerDetailScreen
from crm_tui.screens.customers import CustomerListScreen
from crm_tui.screens.list_export import ExportProgressScreen
from crm_tui.screens.orders import OrderDetailScreen
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import LazyTable
from tests.conftest import make_customer
from tests.pilot import (app_for, choose, field_error, fill, form_message, offered, open_module,
                         press_and_settle, save, search_list, sign_in, text_of, type_text)
from tests.test_contacts_rules import contact_values
from tests.test_orders_queries import add_order, add_product


# ----- driving the app -------------------------------------------------------
async def open_customer(pilot, name: str) -> CustomerDetailScreen:
    await open_module(pilot, "customers")
    table = await search_list(pilot, name)
    assert table.row_count == 1
    await press_and_settle(pilot, "enter")
    screen = pilot.app.screen
    assert isinstance(screen, CustomerDetailScreen)
    return screen


# ----- the tests -------------------------------------------------------------
async def test_account_manager_list_shows_only_own_customers(sqlite_url, people):
    mine = [make_customer(people.manager, name=f"王的客户{n}") for n in range(3)]
    make_customer(people.other_manager, name="赵的客户")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers")
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 3
        shown = {table.view.row_at(index)["id"] for index in range(table.row_count)}
        assert shown == {customer.id for customer in mine}
        assert (await search_list(pilot, "赵")).row_count == 0


async def test_find_a_customer_and_edit_it(sqlite_url, people):
    customer = make_customer(people.manager, name="远大科技", phone="010-11111111")
    make_customer(people.manager, name="华东贸易")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        detail = await open_customer(pilot, "远大")
        assert detail.customer_id == customer.id
        assert "远大科技" in str(detail.query_one("#customer-title", Static).render())

        await press_and_settle(pilot, "e")
        assert isinstance(app.screen, FormModal)
        await fill(pilot, "phone", "021-22223333")
        await fill(pilot, "satisfaction", "2")
        await save(pilot)
        assert isinstance(app.screen, CustomerDetailScreen)
        assert "Phone: 021-22223333" in text_of(app, ".record-fields")

    saved = Customer.get_by_id(customer.id)
    assert (saved.phone, saved.satisfaction, saved.version) == ("021-22223333", 2, 2)
    changes = {(row.field, row.new) for row in AuditLog.select().where(
        (AuditLog.table_name == "customer") & (AuditLog.action == "update"))}
    assert changes == {("phone", "021-22223333"), ("satisfaction", "2")}


async def test_bad_input_is_shown_at_the_field_and_nothing_is_written(sqlite_url, people):
    customer = make_customer(people.manager, name="远大科技")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_customer(pilot, "远大")
        await press_and_settle(pilot, "e")
        await fill(pilot, "name", "")
        await fill(pilot, "credit", "9")
        await fill(pilot, "postcode", "12ab")
        await fill(pilot, "phone", "call me")
        await save(pilot)
        assert isinstance(app.screen, FormModal)  # still open, with what was typed
        assert field_error(app.screen, "name") == "required"
        assert field_error(app.screen, "credit") == "must be from 1 to 5"
        assert field_error(app.screen, "postcode") == "a postcode has six digits"
        assert field_error(app.screen, "phone") == "not a phone number"
        assert field_error(app.screen, "address") == ""
        assert app.screen.widget_for("phone").value == "call me"
    assert Customer.get_by_id(customer.id).version == 1


async def test_the_second_of_two_editors_is_told_the_record_changed(sqlite_url, people):
    customer = make_customer(people.manager, name="远大科技", address="旧地址")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_customer(pilot, "远大")
        await press_and_settle(pilot, "e")
        # Meanwhile the administrator saves the same customer.
        Customer.get_by_id(customer.id).update_by(people.admin, {"address": "管理员的地址"})
        await fill(pilot, "address", "经理的地址")
        await save(pilot)
        assert isinstance(app.screen, FormModal)
        message = form_message(app.screen)
        assert "changed this record after you opened it" in message
        await pilot.press("escape")  # discard what was typed?
        await press_and_settle(pilot, "y")
        # The tab now shows the administrator's change.
        assert "管理员的地址" in text_of(app, ".record-fields")
    assert Customer.get_by_id(customer.id).address == "管理员的地址"


async def test_add_a_contact_and_an_interaction(sqlite_url, people):
    customer = make_customer(people.manager, name="远大科技")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_customer(pilot, "远大")

        await press_and_settle(pilot, "2", "n")
        await fill(pilot, "name", "李明")
        await choose(pilot, "sex", "male")
        await fill(pilot, "position", "采购经理")
        await fill(pilot, "email", "li@")
        await save(pilot)
        assert field_error(app.screen, "office_phone") == "required"
        assert field_error(app.screen, "email") == "not an e-mail address"
        assert Contact.select().count() == 0
        await fill(pilot, "office_phone", "010-62345678")
        await fill(pilot, "email", "li@example.com")
        await save(pilot)
        assert app.screen.query_one("#contact-table", LazyTable).row_count == 1

        await press_and_settle(pilot, "3", "n")
        await fill(pilot, "date", "2026-03-01")
        await fill(pilot, "place", "客户办公室")
        await fill(pilot, "summary", "洽谈年度采购")
        await choose(pilot, "contact", "李明")
        await save(pilot)
        assert app.screen.query_one("#interaction-table", LazyTable).row_count == 1

    contact = Contact.get()
    assert (contact.customer_id, contact.name, contact.sex, contact.office_phone, contact.email) == (
        customer.id, "李明", "M", "010-62345678", "li@example.com")
    interaction = Interaction.get()
    assert (interaction.customer_id, interaction.date, interaction.summary, interaction.contact_id,
            interaction.created_by_id) == (customer.id, dt.date(2026, 3, 1), "洽谈年度采购",
                                           contact.id, people.manager.id)


async def test_edit_and_delete_a_contact(sqlite_url, people):
    customer = make_customer(people.manager, name="远大科技")
    Contact.create_by(people.manager, customer, contact_values(name="李明"))
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_customer(pilot, "远大")
        await press_and_settle(pilot, "2", "e")
        await fill(pilot, "position", "")
        await save(pilot)
        assert field_error(app.screen, "position") == "required"  # still required on edit
        await fill(pilot, "position", "总经理")
        await save(pilot)
        assert Contact.get().position == "总经理"
        await press_and_settle(pilot, "d", "y")
        assert app.screen.query_one("#contact-table", LazyTable).row_count == 0
    assert Contact.select().count() == 0


async def test_open_an_order_and_see_its_total(sqlite_url, people):
    customer = make_customer(people.manager, name="远大科技")
    steel = add_product()
    cement = add_product(name="水泥", model="P.O 42.5", unit="袋", price="25.50")
    add_order(customer.id, "SO-OLD", dt.date(2025, 6, 1))
    add_order(customer.id, "SO-NEW", dt.date(2026, 2, 1),
              lines=((steel, 3, "4200.00"), (cement, 7, "25.10")))
    add_order(customer.id, "SO-OPEN", dt.date(2026, 3, 1), status=2)  # not shipped: not shown
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_customer(pilot, "远大")
        await press_and_settle(pilot, "4")
        orders = app.screen.query_one("#order-table", LazyTable)
        assert orders.row_count == 2
        assert orders.current_row["number"] == "SO-NEW"
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, OrderDetailScreen)
        assert str(app.screen.query_one("#order-total", Static).render()).endswith("12,775.70")
        assert app.screen.query_one("#order-lines").row_count == 2
        await press_and_settle(pilot, "escape")
        assert isinstance(app.screen, CustomerDetailScreen)


async def test_delete_a_customer_after_confirming(sqlite_url, people):
    customer = make_customer(people.manager, name="远大科技")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_customer(pilot, "远大")
        await press_and_settle(pilot, "d", "n")  # asked, and answered no
        assert Customer.get_by_id(customer.id).status != DELETED
        await press_and_settle(pilot, "d", "y")
        assert isinstance(app.screen, CustomerListScreen)
        assert app.screen.query_one(LazyTable).row_count == 0
    assert Customer.get_by_id(customer.id).status == DELETED


def change_keys(app) -> set[str]:
    """The change actions (new, edit, delete) the screen offers, of any kind."""
    return {binding_id.split(".")[1] for binding_id in offered(app, "")} & {
        "new", "edit", "delete"}


async def test_read_only_roles_see_no_change_keys(sqlite_url, people):
    customer = make_customer(people.manager, name="远大科技")
    Contact.create_by(people.manager, customer, contact_values())
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        await open_customer(pilot, "远大")
        assert change_keys(app) == set()
        await press_and_settle(pilot, "e", "d", "2", "e", "d")
        assert isinstance(app.screen, CustomerDetailScreen)
        assert change_keys(app) == set()
    assert Customer.get_by_id(customer.id).version == 1
    assert Contact.get().version == 1
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_customer(pilot, "远大")
        assert change_keys(app) == {"edit", "delete"}
        await press_and_settle(pilot, "2")
        assert change_keys(app) == {"new", "edit", "delete"}


async def test_new_customer_from_the_list(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers")
        await press_and_settle(pilot, "n")
        assert app.screen.widget_for("manager").value == people.manager.id
        for name, text in (("name", "新客户有限公司"), ("satisfaction", "3"), ("credit", "4"),
                           ("address", "上海市浦东新区1号"), ("postcode", "200120"),
                           ("phone", "021-55556666"), ("legal_representative", "陈静"),
                           ("bank", "招商银行"), ("bank_account", "6225880000000000"),
                           ("local_tax_number", "310115000000001"),
                           ("national_tax_number", "310115000000002")):
            await fill(pilot, name, text)
        await choose(pilot, "region", "上海")
        await choose(pilot, "level", "大客户")
        await save(pilot)
        assert isinstance(app.screen, CustomerListScreen)
        assert app.screen.query_one(LazyTable).row_count == 1
    customer = Customer.get()
    assert (customer.name, customer.region.item, customer.level.item, customer.manager_id) == (
        "新客户有限公司", "上海", "大客户", people.manager.id)
    assert customer.number.startswith("KH")


async def export_list(pilot, path) -> None:
    await press_and_settle(pilot, "x")
    assert isinstance(pilot.app.screen, FormModal)
    await fill(pilot, "path", str(path))
    await save(pilot)
    assert not isinstance(pilot.app.screen, (FormModal, ExportProgressScreen))


async def test_export_the_filtered_list_to_csv_and_xlsx(sqlite_url, people, tmp_path):
    for number in range(12):
        make_customer(people.manager, name=f"北方{number:02d}号公司", registered_capital="100.5")
    make_customer(people.manager, name="=HYPERLINK(1) 南方公司")
    make_customer(people.other_manager, name="北方 其他经理的公司")
    app = app_for(sqlite_url, documents=DocumentsConfig(export_folder=str(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "customers")
        table = await search_list(pilot, "北方")
        assert table.row_count == 12
        await press_and_settle(pilot, "right", "s", "s")  # by name, descending
        await export_list(pilot, tmp_path / "customers.csv")
        await export_list(pilot, tmp_path / "customers.xlsx")
        await press_and_settle(pilot, "x")
        await fill(pilot, "path", str(tmp_path / "customers.txt"))
        await save(pilot)
        assert field_error(app.screen, "path").startswith("Export to a file ending in")

    expected = [f"北方{number:02d}号公司" for number in reversed(range(12))]
    raw = (tmp_path / "customers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese text
    with open(tmp_path / "customers.csv", encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0][:3] == ["Number", "Name", "Region"]
    assert [row[1] for row in rows[1:]] == expected
    assert {row[3] for row in rows[1:]} == {"王经理"}
    sheet = load_workbook(tmp_path / "customers.xlsx", read_only=True).active
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [row[1] for row in cells[1:]] == expected
    assert Decimal(str(cells[1][14])) == Decimal("100.50")
    assert not (tmp_path / "customers.txt").exists()


async def test_interaction_search_and_export(sqlite_url, people, tmp_path):
    mine = make_customer(people.manager, name="远大科技")
    theirs = make_customer(people.other_manager, name="南方电子")
    for date, summary in (("2026-01-10", "报价"), ("2026-02-10", "回访报价"), ("2026-03-10", "签约")):
        Interaction.create_by(people.manager, mine, {"date": date, "place": "北京", "summary": summary})
    Interaction.create_by(people.other_manager, theirs,
                          {"date": "2026-02-11", "place": "深圳", "summary": "报价"})
    app = app_for(sqlite_url, documents=DocumentsConfig(export_folder=str(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "interactions")
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 3  # not the other manager's
        await type_text(pilot, "2026-13-01")
        await press_and_settle(pilot, "enter")
        assert "not a date" in str(app.screen.query_one("#search-error", Static).render())
        app.screen.query_one("#search-from", Input).value = "2026-02-01"
        app.screen.query_one("#search-to", Input).value = "2026-03-31"
        app.screen.query_one("#search-keyword", Input).focus()
        await type_text(pilot, "报价")
        await press_and_settle(pilot, "enter")
        assert table.row_count == 1
        assert table.current_row["summary"] == "回访报价"
        table.focus()
        await export_list(pilot, tmp_path / "interactions.csv")
    with open(tmp_path / "interactions.csv", encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[1:] == [["2026-02-10", mine.number, "远大科技", "", "北京", "回访报价", "", ""]]


async def test_product_and_stock_search(sqlite_url, people):
    from crm_tui.models.sales_system import Stock

    add_product("螺纹钢", "HRB400", "一等品")
    add_product("螺纹钢", "HRB500", "二等品")
    cement = add_product("水泥", "P.O 42.5", "B2026", unit="袋")
    Stock.create(product=cement, warehouse="北京一号库", location="C-03", quantity=900)
    Stock.create(product=cement, warehouse="上海库", location="A-01", quantity=20)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "products")
        assert app.screen.query_one(LazyTable).row_count == 3
        table = await search_list(pilot, "HRB5")
        assert (table.row_count, table.current_row["batch"]) == (1, "二等品")
        await press_and_settle(pilot, "escape", "escape")
        await open_module(pilot, "stock")
        table = await search_list(pilot, "水泥 上海")
        assert (table.row_count, table.current_row["quantity"]) == (1, 20)

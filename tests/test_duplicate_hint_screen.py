"""The duplicate hint on create at 80x24: saving a new customer whose name,
phone or tax number one already has asks first: open that one, save
anyway, or go back to the form."""
from __future__ import annotations

from crm_tui.models import Customer
from crm_tui.screens.customer_detail import CustomerDetailScreen
from crm_tui.screens.customers import CustomerListScreen
from crm_tui.widgets.choice import ChoiceModal
from crm_tui.widgets.forms import FormModal
from tests.conftest import make_customer
from tests.pilot import app_for, fill, fill_form, open_module, press_and_settle, save, sign_in

NEW = {"name": "北京远大科技股份有限公司", "region": "北京", "level": "大客户", "satisfaction": "4",
       "credit": "4", "address": "北京市朝阳区建国路1号", "postcode": "100020",
       "phone": "010-88887777", "legal_representative": "李强", "bank": "中国银行",
       "bank_account": "6222000011112222", "local_tax_number": "110105111111111",
       "national_tax_number": "110105222222222"}


async def new_customer_form(pilot, app, values):
    await open_module(pilot, "customers", CustomerListScreen)
    await press_and_settle(pilot, "n")
    assert isinstance(app.screen, FormModal)
    await fill_form(pilot, values)


async def test_the_hint_opens_the_customer_that_exists(sqlite_url, people):
    existing = make_customer(people.manager, name="远大科技（北京）有限公司")
    make_customer(people.other_manager, name="北京远大科技")  # not the manager's to see
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await new_customer_form(pilot, app, {**NEW, "name": "远大科技(北京)"})
        await save(pilot)
        assert isinstance(app.screen, ChoiceModal)
        assert existing.number in app.screen.message and "name" in app.screen.message
        await press_and_settle(pilot, "escape")  # back to the form, as typed
        assert isinstance(app.screen, FormModal)
        assert app.screen.values()["name"] == "远大科技(北京)"
        await save(pilot)
        await press_and_settle(pilot, "o")
        assert isinstance(app.screen, CustomerDetailScreen)
        assert app.screen.customer_id == existing.id
    assert Customer.select().count() == 2


async def test_save_anyway_and_no_hint_for_a_new_company(sqlite_url, people):
    existing = make_customer(people.manager, name="华东贸易", national_tax_number="110105222222222")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await new_customer_form(pilot, app, NEW)
        await save(pilot)
        assert isinstance(app.screen, ChoiceModal)
        assert existing.number in app.screen.message and "tax no." in app.screen.message
        await press_and_settle(pilot, "s")
        assert isinstance(app.screen, CustomerListScreen)
        await press_and_settle(pilot, "n")
        await fill_form(pilot, {**NEW, "name": "全新公司", "phone": "0591-12121212",
                                "national_tax_number": "913500000000000077"})
        await fill(pilot, "postcode", "350001")
        await save(pilot)
        assert isinstance(app.screen, CustomerListScreen)
    assert {c.name for c in Customer.select()} == {"华东贸易", NEW["name"], "全新公司"}

"""The customer screen's tabs from other modules: services, mail, documents,
and writing to a contact from the contacts tab."""
from textual.widgets import Input

from crm_tui.models.customers import Contact, Customer
from crm_tui.models.dictionary import SERVICE_TYPE
from crm_tui.models.service import Service
from crm_tui.screens.customer_detail import CustomerDetailScreen
from crm_tui.screens.mail import ComposeMailModal
from crm_tui.screens.records import RecordScreen
from crm_tui.widgets.lazy_table import LazyTable
from tests.conftest import entry, make_customer
from tests.pilot import app_for, open_tab, press_and_settle, push_and_settle, sign_in


async def open_customer(pilot, customer_id: int, login: str = "wang") -> list[str]:
    """Sign in as `login` and show the customer's screen; its tabs' keys."""
    await sign_in(pilot, login)
    screen = await push_and_settle(pilot, CustomerDetailScreen(customer_id))
    return [tab.key for tab in screen.tabs()]


def customer_with_contact(people) -> Customer:
    customer = make_customer(people.manager)
    Contact.create_by(people.manager, customer.id, {
        "name": "刘芳", "sex": "F", "position": "采购经理", "office_phone": "010-62345678",
        "email": "liufang@yuanda.com.cn"})
    return customer


async def test_services_tab_lists_the_customers_services_and_opens_one(sqlite_db, sqlite_url, people):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    other = make_customer(people.manager, name="上海华东贸易有限公司")
    for target, summary in ((customer, "打印机报修"), (other, "别家的服务")):
        Service.create_by(people.manager, {"type": entry(SERVICE_TYPE, "投诉").id, "summary": summary,
                                           "customer": target.id, "request": "请尽快处理"})
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_customer(pilot, customer.id)
        assert keys[:4] == ["information", "contacts", "interactions", "orders"]
        assert {"services", "mail", "documents"} <= set(keys)
        await open_tab(pilot, "services")
        table = app.screen.query_one("#service-table", LazyTable)
        assert table.row_count == 1
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.record_id == Service.get(Service.summary == "打印机报修").id


async def test_mail_key_on_a_contact_opens_compose_addressed_to_it(sqlite_db, sqlite_url, people):
    customer = customer_with_contact(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_customer(pilot, customer.id)
        await open_tab(pilot, "contacts")
        await press_and_settle(pilot, "m")
        assert isinstance(app.screen, ComposeMailModal)
        assert app.screen.query_one("#mail-to", Input).value == "liufang@yuanda.com.cn"


async def test_read_only_roles_get_no_mail_key(sqlite_db, sqlite_url, people):
    customer = customer_with_contact(people)
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_customer(pilot, customer.id, "exec")
        await open_tab(pilot, "contacts")
        await press_and_settle(pilot, "m")
        assert not isinstance(app.screen, ComposeMailModal)

"""The demo database and the data generated at scale."""
from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
from decimal import Decimal

import pytest
from peewee import fn

from crm_tui import clock, demo
from crm_tui.config import Config
from crm_tui.db import open_database
from crm_tui.models import (
    ChurnAlert,
    ChurnMeasure,
    Contact,
    Customer,
    Interaction,
    Lead,
    MailMessage,
    Opportunity,
    Order,
    OrderLine,
    PlanItem,
    Product,
    Service,
    ServiceEvent,
    Stock,
    User,
    churn,
    customers,
    database,
    sales,
    sales_database,
    service,
    users,
)
from crm_tui.models.sales_system import COUNTED_STATUSES
from crm_tui.models.validation import clean
from tests.conftest import make_customer

# A fixed "now": every date in the demo is relative to it.
NOW = dt.datetime(2026, 3, 14, 10, 30)
CENT = Decimal("0.01")


def use_clock() -> None:
    clock.set_clock(lambda: NOW)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    """One demo database for the tests that only read it."""
    use_clock()
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    demo.prepare_demo(Config(), path=path, progress=lambda line: None)
    clock.set_clock(None)
    return path


def bind_file(path) -> None:
    db = open_database(f"sqlite:///{path}")
    database.initialize(db)
    sales_database.initialize(db)
    db.connect(reuse_if_open=True)


@pytest.fixture
def demo_db(demo_file):
    use_clock()
    bind_file(demo_file)
    yield
    database.obj.close()


def test_demo_is_built_once_then_reused_and_rebuilt_when_fresh(tmp_path):
    use_clock()
    path = tmp_path / "data" / "demo.sqlite3"
    messages = []
    config = demo.prepare_demo(Config(locale="zh_CN"), path=path, progress=messages.append)
    assert config.database.url == f"sqlite:///{path}" and config.database.sales_url == ""
    assert config.locale == "zh_CN"
    assert path.exists() and not (tmp_path / "data" / "demo.sqlite3.building").exists()

    bind_file(path)
    built_customers = Customer.select().count()
    Customer.update(name="演示之后改的名字").where(Customer.id == 1).execute()
    database.obj.close()

    messages.clear()
    again = demo.prepare_demo(Config(), path=path, progress=messages.append)
    assert again.database.url == config.database.url
    assert messages == [f"demo database: {path}"]
    bind_file(path)
    assert Customer.get_by_id(1).name == "演示之后改的名字"
    database.obj.close()

    demo.prepare_demo(Config(), path=path, fresh=True, progress=messages.append)
    bind_file(path)
    assert Customer.get_by_id(1).name != "演示之后改的名字"
    assert Customer.select().count() == built_customers
    database.obj.close()


def test_default_path_is_in_the_users_data_folder():
    assert demo.default_demo_path().name == "demo.sqlite3"
    assert "crm-tui" in str(demo.default_demo_path())


def test_every_module_has_data(demo_db):
    for model in (Customer, Contact, Interaction, MailMessage, Product, Stock, Order, OrderLine,
                  Opportunity, PlanItem, Service, ServiceEvent, ChurnAlert, ChurnMeasure):
        assert model.select().count() > 0, model.__name__
    assert 200 <= Customer.select().count() <= 500
    assert len({warehouse for (warehouse,) in Stock.select(Stock.warehouse).tuples()}) >= 3
    assert Product.select(fn.COUNT(Product.model.distinct())).scalar() == Product.select().count()


def test_every_state_is_there(demo_db):
    def states(model, column):
        return {value for (value,) in model.select(column).distinct().tuples()}

    assert states(Customer, Customer.status) == set(customers.CUSTOMER_STATUSES)
    assert states(Opportunity, Opportunity.status) == set(sales.OPPORTUNITY_STATUSES)
    assert states(Service, Service.status) == set(service.SERVICE_STATUSES)
    assert states(ChurnAlert, ChurnAlert.status) == set(churn.ALERT_STATUSES)
    assert states(Order, Order.status) == {1, 2, 3, 4, 5, 6}
    counted = Order.select().where(Order.status.in_(COUNTED_STATUSES)).count()
    assert counted > 0.8 * Order.select().count()


def test_customers_spread_over_regions_levels_and_managers(demo_db):
    from crm_tui.models import DictionaryEntry
    from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION

    used = {entry_id for (entry_id,) in Customer.select(Customer.region).distinct().tuples()}
    assert used == {entry.id for entry in DictionaryEntry.of_type(REGION)}
    used = {entry_id for (entry_id,) in Customer.select(Customer.level).distinct().tuples()}
    assert used == {entry.id for entry in DictionaryEntry.of_type(CUSTOMER_LEVEL)}
    owners = {login for (login,) in User.select(User.login).join(
        Customer, on=(Customer.manager == User.id)).distinct().tuples()}
    assert owners == {login for login, _, role, _ in demo.DEMO_ACCOUNTS if role == users.MANAGER}


def test_customers_and_contacts_pass_the_form_rules(demo_db):
    for customer in Customer.select():
        values = {field.name: getattr(customer, field.name + ("_id" if field.kind == "choice" else ""))
                  for field in customers.CUSTOMER_FIELDS}
        clean(customers.CUSTOMER_FIELDS, values)
        assert re.fullmatch(r"KH\d{8}\d{3}", customer.number)
        assert customer.number[2:10] == f"{customer.created_at:%Y%m%d}"
        assert (customer.lost_at is not None) == (customer.status == customers.LOST)
    for contact in Contact.select():
        clean(customers.CONTACT_FIELDS, {field.name: getattr(contact, field.name)
                                         for field in customers.CONTACT_FIELDS})
    numbers = [number for (number,) in Customer.select(Customer.number).tuples()]
    assert len(numbers) == len(set(numbers))
    assert Contact.select(fn.COUNT(Contact.customer.distinct())).scalar() == Customer.select().count()


def test_order_lines_add_up_to_the_order_amount(demo_db):
    line_totals = dict(OrderLine.select(OrderLine.order, fn.SUM(OrderLine.amount))
                       .group_by(OrderLine.order).tuples())
    orders = list(Order.select(Order.id, Order.amount, Order.customer_id).tuples())
    assert len(line_totals) == len(orders)
    for order_id, amount, _ in orders:
        assert Decimal(str(line_totals[order_id])).quantize(CENT) == amount.quantize(CENT)
    for line in OrderLine.select().limit(500):
        assert (line.unit_price * line.quantity).quantize(CENT) == line.amount.quantize(CENT)
    customer_ids = {customer_id for (customer_id,) in Customer.select(Customer.id).tuples()}
    assert {customer_id for _, _, customer_id in orders} <= customer_ids
    oldest = Order.select(fn.MIN(Order.date)).scalar()
    assert NOW.date() - dt.timedelta(days=731) <= dt.date.fromisoformat(str(oldest))


def test_every_demo_account_can_log_in(demo_db):
    for login, display_name, role_key, password in demo.DEMO_ACCOUNTS:
        user = users.authenticate(login, password, max_failures=5, lockout_minutes=15)
        assert (user.display_name, user.role.key) == (display_name, role_key)
    roles = [role for _, _, role, _ in demo.DEMO_ACCOUNTS]
    assert sorted(roles) == sorted([users.ADMIN, users.EXECUTIVE, users.SUPERVISOR]
                                   + [users.MANAGER] * 3)


def test_churn_alerts_follow_the_rules(demo_db):
    open_alerts = (ChurnAlert.select(ChurnAlert.customer, fn.COUNT(ChurnAlert.id))
                   .where(ChurnAlert.status.in_(churn.OPEN_STATUSES))
                   .group_by(ChurnAlert.customer).tuples())
    assert all(count == 1 for _, count in open_alerts)
    for alert in ChurnAlert.select():
        customer = Customer.get_by_id(alert.customer_id)
        measures = alert.measures.count()
        last_order = (Order.select(fn.MAX(Order.date))
                      .where((Order.customer_id == customer.id) & Order.status.in_(COUNTED_STATUSES)
                             & (Order.date <= alert.created_at.date())).scalar())
        assert str(alert.last_order_date) == str(last_order)
        if alert.status == churn.WARNING:
            assert measures == 0 and customer.status == customers.NORMAL
        if alert.status == churn.DEFERRED:
            assert measures >= 1 and customer.status == customers.NORMAL
        if alert.status == churn.CONFIRMED:
            assert measures >= 1 and alert.reason
            assert customer.status == customers.LOST and customer.lost_at == alert.lost_date
        if alert.status == churn.CLOSED:
            assert alert.closed_at and alert.closed_note == churn.ORDERED_AGAIN
    lost = Customer.select().where(Customer.status == customers.LOST)
    assert all(ChurnAlert.select().where((ChurnAlert.customer == customer.id)
                                         & (ChurnAlert.status == churn.CONFIRMED)).exists()
               for customer in lost)


def test_the_churn_scan_finds_customers_without_recent_orders(demo_file, tmp_path):
    copy = tmp_path / "scan.sqlite3"
    shutil.copy(demo_file, copy)
    use_clock()
    bind_file(copy)
    open_before = ChurnAlert.select().where(ChurnAlert.status.in_(churn.OPEN_STATUSES)).count()
    result = churn.scan(months_without_orders=6)
    # Only customers no alert covers yet, and no open alert is wrongly closed.
    assert result.added >= 15 and result.closed == 0
    assert (ChurnAlert.select().where(ChurnAlert.status.in_(churn.OPEN_STATUSES)).count()
            == open_before + result.added)
    database.obj.close()


def test_services_carry_their_history(demo_db):
    for item in Service.select():
        events = list(item.events.order_by(ServiceEvent.at, ServiceEvent.id))
        kinds = [event.kind for event in events]
        assert kinds[0] == service.CREATED and events[0].text == item.request
        assert item.version == len(events)
        assert all(earlier.at <= later.at for earlier, later in itertools.pairwise(events))
        assert all(event.at <= NOW for event in events)
        if item.status == service.NEW:
            assert kinds == [service.CREATED] and item.assigned_to is None
        else:
            assert kinds[1] == service.ASSIGNMENT and item.assigned_to_id and item.assigned_at
        if item.status == service.HANDLED:
            assert kinds[-1] == service.HANDLING and item.handled_by_id == item.assigned_to_id
        if item.status == service.ARCHIVED:
            assert kinds[-1] == service.FEEDBACK and item.satisfaction >= service.SATISFIED
            assert item.archived_at == events[-1].at
    sent_back = [item for item in Service.select().where(Service.status == service.ARCHIVED)
                 if [event.satisfaction for event in item.events.order_by(ServiceEvent.id)
                     if event.kind == service.FEEDBACK] == [2, 4]]
    assert len(sent_back) == 1
    kinds = [event.kind for event in sent_back[0].events.order_by(ServiceEvent.id)]
    assert kinds == ["create", "assign", "handle", "feedback", "handle", "feedback"]


def test_opportunities_have_plans_and_the_succeeded_ones_their_customer(demo_db):
    for opportunity in Opportunity.select():
        items = opportunity.plan_items.count()
        if opportunity.status == sales.UNASSIGNED:
            assert items == 0 and opportunity.assigned_to is None
            continue
        assert items > 0 and opportunity.assigned_at >= opportunity.created_at
        if opportunity.status in (sales.SUCCEEDED, sales.FAILED):
            assert opportunity.ended_at and all(item.result for item in opportunity.plan_items)
        if opportunity.status == sales.SUCCEEDED:
            customer = Customer.get_by_id(opportunity.customer_id)
            assert customer.name == opportunity.customer_name
            assert customer.manager_id == opportunity.assigned_to_id
            assert customer.contacts.where(Contact.name == opportunity.contact).exists()
        else:
            # Only a lead's opportunity is of a customer on file before its end.
            assert opportunity.customer is None or Lead.select().where(
                (Lead.opportunity == opportunity.id)
                & (Lead.customer == opportunity.customer_id)).exists()


def test_the_same_seed_builds_the_same_company(tmp_path):
    use_clock()
    tables = []
    for name in ("one", "two"):
        demo.build_demo_database(tmp_path / f"{name}.sqlite3", seed=7, progress=lambda line: None)
        bind_file(tmp_path / f"{name}.sqlite3")
        tables.append((list(Customer.select(Customer.number, Customer.name, Customer.phone).tuples()),
                       list(Order.select(Order.number, Order.amount).tuples()),
                       list(Service.select(Service.summary, Service.status).tuples())))
        database.obj.close()
    assert tables[0] == tables[1]


# ----- data at scale -------------------------------------------------------

def test_fill_at_scale_adds_exactly_what_was_asked(crm_db, people):
    earlier = make_customer(people.manager)
    filled = demo.fill_at_scale(500, 5000, seed=5, progress=lambda line: None)
    assert (filled.customers, filled.orders, filled.managers_created) == (500, 5000, 3)
    assert Customer.select().count() == 501
    assert Order.select().count() == 5000
    assert OrderLine.select().count() == filled.order_lines
    per_order = (OrderLine.select(OrderLine.order, fn.COUNT(OrderLine.id), fn.SUM(OrderLine.amount))
                 .group_by(OrderLine.order).tuples())
    amounts = dict(Order.select(Order.id, Order.amount).tuples())
    assert len(per_order) == 5000
    for order_id, lines, total in per_order:
        assert 1 <= lines <= 3
        assert Decimal(str(total)).quantize(CENT) == amounts[order_id].quantize(CENT)
    numbers = [number for (number,) in Customer.select(Customer.number).tuples()]
    assert len(set(numbers)) == 501 and all(re.fullmatch(r"KH\d{11,}", n) for n in numbers)
    new_ids = {customer_id for (customer_id,) in
               Customer.select(Customer.id).where(Customer.id != earlier.id).tuples()}
    assert {customer_id for (customer_id,) in Order.select(Order.customer_id).tuples()} <= new_ids
    managers = User.select().where(User.login.startswith("sales"))
    assert managers.count() == 3
    assert (Customer.select(Customer.manager).where(Customer.id != earlier.id).distinct().count()
            == 3)
    assert users.authenticate("sales001", demo.DEMO_PASSWORD, 5, 15).role.key == users.MANAGER


def test_fill_at_scale_adds_to_what_is_there(crm_db, people):
    demo.fill_at_scale(300, 1000, seed=1, progress=lambda line: None)
    second = demo.fill_at_scale(300, 1000, seed=1, progress=lambda line: None)
    assert second.managers_created == 0
    assert Customer.select().count() == 600 and Order.select().count() == 2000
    numbers = [number for (number,) in Customer.select(Customer.number).tuples()]
    assert len(set(numbers)) == 600
    # The app goes on creating customers and orders' ids where the fill stopped.
    after = make_customer(people.manager)
    assert after.id > max(customer_id for (customer_id,) in
                          Customer.select(Customer.id).where(Customer.id != after.id).tuples())
    assert after.number == f"KH{clock.today():%Y%m%d}001"
    order = Order.create(number="SO-after", customer_id=after.id, date=clock.today(), status=5,
                         amount=Decimal("10.00"))
    assert order.id > 2000


def test_generated_customers_give_the_churn_scan_work(crm_db):
    demo.fill_at_scale(400, 3000, seed=2, progress=lambda line: None)
    result = churn.scan(months_without_orders=6)
    assert 0 < result.added < 400


def test_the_demo_has_contracts_in_every_state_and_some_overdue(demo_db):
    from crm_tui.models import Contract, Payment
    from crm_tui.models.contracts import CONTRACT_STATUSES, overdue_instalments
    from crm_tui.models.users import User

    statuses = {status for (status,) in Contract.select(Contract.status).distinct().tuples()}
    assert statuses == set(CONTRACT_STATUSES)
    assert Payment.select().count() > 0
    wang = User.get(User.login == "wang")
    admin = User.get(User.login == "admin")
    assert overdue_instalments(admin).count() > 0
    assert overdue_instalments(wang).count() <= overdue_instalments(admin).count()


def test_fill_at_scale_adds_contracts_with_their_plans(crm_db, people):
    from decimal import Decimal

    from crm_tui.models import Contract, Instalment, Payment
    from crm_tui.models.contracts import CONTRACT_STATUSES, receivables

    filled = demo.fill_at_scale(300, 1000, seed=3, progress=lambda line: None, contracts=400)
    assert (filled.contracts, filled.instalments) == (400, 1600)
    assert Contract.select().count() == 400 and Instalment.select().count() == 1600
    assert {status for (status,) in Contract.select(Contract.status).distinct().tuples()} <= set(
        CONTRACT_STATUSES)
    # Every plan adds up to its contract, and no instalment is overpaid.
    for contract in Contract.select():
        assert contract.planned_total() == contract.amount
    overpaid = [i for i in Instalment.select() if i.received() > Decimal(i.amount)]
    assert overpaid == [] and Payment.select().count() > 0
    assert len(receivables(people.admin)) == Contract.select().where(
        Contract.status == "in_force").count()
    # A second fill continues the numbers instead of colliding with them.
    demo.fill_at_scale(10, 0, seed=4, progress=lambda line: None, contracts=50)
    assert Contract.select().count() == 450


# ----- campaigns and leads -----------------------------------------------------

def test_the_demo_has_campaigns_and_leads_in_every_state(demo_db):
    from crm_tui.models import Campaign
    from crm_tui.models import campaigns as marketing

    assert {c.status for c in Campaign.select()} == set(marketing.CAMPAIGN_STATUSES)
    assert {lead.status for lead in Lead.select()} == set(marketing.LEAD_STATUSES)
    onto = Lead.select().where(Lead.customer.is_null(False))
    assert onto.count() > 0
    for lead in onto:
        customer = Customer.get_by_id(lead.customer_id)
        assert lead.company_name != customer.name
        assert customers.customers_named(lead.company_name).first().id == customer.id
    won = [marketing.campaign_results(c) for c in Campaign.select()]
    assert any(results.won_amount > 0 and results.return_on_cost is not None
               for results in won)


def test_fill_at_scale_adds_leads_in_campaigns(crm_db, people):
    from crm_tui.models import Campaign

    demo.fill_at_scale(300, 0, seed=6, progress=lambda line: None, leads=900)
    assert Lead.select().count() == 900
    assert Campaign.select().count() == 5
    converted = Lead.select().where(Lead.status == "converted")
    assert converted.count() == Lead.select().where(Lead.opportunity.is_null(False)).count() > 0
    for lead in converted.where(Lead.customer.is_null(False)):
        opportunity = Opportunity.get_by_id(lead.opportunity_id)
        assert opportunity.customer_id == lead.customer_id
        assert customers.customers_named(lead.company_name).where(
            Customer.id == lead.customer_id).exists()
    # Every generated customer carries its name key.
    assert not Customer.select().where(Customer.name_key == "").exists()

"""Order history, products and stock: read from the sales system, scoped
by the CRM's customers, and never joined across the two databases."""
import datetime as dt
from decimal import Decimal

import pytest

from crm_tui.db import migrate, open_database
from crm_tui.models import SALES_MODELS, database, sales_database
from crm_tui.models.errors import NotFound, PermissionDenied
from crm_tui.models.orders import (
    customer_orders_page,
    customer_orders_query,
    order_detail,
    product_query,
    stock_query,
)
from crm_tui.models.sales_system import Order, OrderLine, Product, Stock
from crm_tui.models.users import Role, RolePermission
from tests.conftest import make_customer, make_user


def add_product(name="螺纹钢", model="HRB400", batch="一等品", unit="吨", price="4200.00") -> Product:
    return Product.create(name=name, model=model, batch=batch, unit=unit, price=Decimal(price))


def add_order(customer_id: int, number: str, date: dt.date, status: int = 6,
              lines=((None, 2, "4200.00"),), address="北京市海淀区") -> Order:
    """An order of the sales system with its lines (product, quantity, unit price)."""
    amounts = [Decimal(price) * quantity for _, quantity, price in lines]
    order = Order.create(number=number, customer_id=customer_id, date=date, status=status,
                         delivery_address=address, amount=sum(amounts, Decimal(0)))
    for (product, quantity, price), amount in zip(lines, amounts):
        product = product or add_product()
        OrderLine.create(order=order, product=product, quantity=quantity, unit=product.unit,
                         unit_price=Decimal(price), amount=amount)
    return order


def test_a_customers_orders_are_status_5_and_6_newest_first(crm_db, people):
    customer = make_customer(people.manager)
    other = make_customer(people.other_manager)
    add_order(customer.id, "SO-1", dt.date(2026, 1, 5), status=5)
    add_order(customer.id, "SO-2", dt.date(2026, 3, 1), status=6)
    add_order(customer.id, "SO-3", dt.date(2026, 4, 1), status=3)  # not shipped yet
    add_order(customer.id, "SO-4", dt.date(2026, 3, 1), status=5)
    add_order(other.id, "SO-5", dt.date(2026, 5, 1))
    numbers = [o.number for o in customer_orders_query(people.manager, customer.id)]
    assert numbers == ["SO-4", "SO-2", "SO-1"]


def test_orders_are_paged_with_a_count(crm_db, people):
    customer = make_customer(people.manager)
    product = add_product()
    for day in range(1, 26):
        add_order(customer.id, f"SO-{day:02d}", dt.date(2026, 1, day), lines=((product, 1, "1"),))
    first = customer_orders_page(people.manager, customer.id, page=1, page_size=10)
    last = customer_orders_page(people.manager, customer.id, page=3, page_size=10)
    assert (first.count, first.pages) == (25, 3)
    assert [o.number for o in first.orders][:2] == ["SO-25", "SO-24"]
    assert [o.number for o in last.orders] == ["SO-05", "SO-04", "SO-03", "SO-02", "SO-01"]


def test_order_detail_lists_lines_and_the_total(crm_db, people):
    customer = make_customer(people.manager)
    steel = add_product()
    cement = add_product(name="水泥", model="P.O 42.5", batch="B2026", unit="袋", price="25.50")
    order = add_order(customer.id, "SO-9", dt.date(2026, 2, 1),
                      lines=((steel, 3, "4200.00"), (cement, 7, "25.10"), (cement, 1, "0.10")))
    detail = order_detail(people.manager, order.id)
    assert [(line.product, line.quantity, line.unit, line.unit_price, line.amount)
            for line in detail.lines] == [
        ("螺纹钢", 3, "吨", Decimal("4200.00"), Decimal("12600.00")),
        ("水泥", 7, "袋", Decimal("25.10"), Decimal("175.70")),
        ("水泥", 1, "袋", Decimal("0.10"), Decimal("0.10"))]
    assert detail.total == Decimal("12775.80")
    assert detail.status_label == "paid"


def test_orders_of_unseen_customers_are_not_found(crm_db, people):
    theirs = make_customer(people.other_manager)
    order = add_order(theirs.id, "SO-1", dt.date(2026, 1, 1))
    with pytest.raises(NotFound):
        customer_orders_query(people.manager, theirs.id)
    with pytest.raises(NotFound):
        order_detail(people.manager, order.id)
    assert order_detail(people.executive, order.id).order.number == "SO-1"
    unshipped = add_order(theirs.id, "SO-2", dt.date(2026, 1, 2), status=2)
    with pytest.raises(NotFound):
        order_detail(people.admin, unshipped.id)


def test_the_order_right_is_required(crm_db, people):
    customer = make_customer(people.manager)
    manager_role = Role.get(Role.key == "manager")
    RolePermission.delete().where(RolePermission.role == manager_role).execute()
    for query in (lambda: customer_orders_query(people.manager, customer.id),
                  lambda: product_query(people.manager), lambda: stock_query(people.manager)):
        with pytest.raises(PermissionDenied):
            query()


def test_product_search_by_name_model_and_batch(crm_db, people):
    add_product("螺纹钢", "HRB400", "一等品")
    add_product("螺纹钢", "HRB500", "二等品")
    add_product("水泥", "P.O 42.5", "B2026")
    names = lambda text: [(p.name, p.model) for p in product_query(people.manager, text)]
    assert len(names("")) == 3
    assert names("螺纹") == [("螺纹钢", "HRB400"), ("螺纹钢", "HRB500")]
    assert names("hrb5") == [("螺纹钢", "HRB500")]
    assert names("B2026") == [("水泥", "P.O 42.5")]
    assert names("螺纹钢 二等") == [("螺纹钢", "HRB500")]
    assert names("木材") == []


def test_stock_search_by_product_and_warehouse(crm_db, people):
    steel, cement = add_product("螺纹钢"), add_product("水泥", unit="袋")
    Stock.create(product=steel, warehouse="北京一号库", location="A-01", quantity=120)
    Stock.create(product=steel, warehouse="上海库", location="B-02", quantity=30)
    Stock.create(product=cement, warehouse="北京一号库", location="C-03", quantity=900)
    rows = lambda text: [(s.product_name, s.warehouse, s.quantity)
                         for s in stock_query(people.manager, text)]
    assert rows("北京") == [("水泥", "北京一号库", 900), ("螺纹钢", "北京一号库", 120)]
    assert rows("螺纹钢 上海") == [("螺纹钢", "上海库", 30)]
    assert rows("水泥")[0][0] == "水泥"
    assert len(rows("")) == 3


@pytest.fixture
def separate_sales_database(sqlite_db, tmp_path):
    """The sales system in a file of its own, without any CRM table; the
    CRM's file without any sales table."""
    crm_only = open_database(f"sqlite:///{tmp_path / 'crm-only.sqlite3'}")
    crm_only.connect()
    sales = open_database(f"sqlite:///{tmp_path / 'sales.sqlite3'}")
    sales.connect()
    database.initialize(crm_only)
    sales_database.initialize(sales)
    sales.create_tables(SALES_MODELS)
    migrate(crm_only)
    yield crm_only, sales
    sales.close()
    crm_only.close()


def test_order_history_from_a_separate_sales_database(separate_sales_database):
    crm_only, sales = separate_sales_database
    assert "sales_order" not in crm_only.get_tables()
    assert "customer" not in sales.get_tables()
    manager = make_user("manager", "wang")
    other = make_user("manager", "zhao")
    customer = make_customer(manager)
    theirs = make_customer(other)
    add_order(customer.id, "SO-A", dt.date(2026, 1, 1), lines=((None, 2, "10.00"),))
    add_order(customer.id, "SO-B", dt.date(2026, 2, 1), status=5)
    order = add_order(theirs.id, "SO-C", dt.date(2026, 3, 1))
    page = customer_orders_page(manager, customer.id)
    assert (page.count, [o.number for o in page.orders]) == (2, ["SO-B", "SO-A"])
    assert order_detail(manager, page.orders[1].id).total == Decimal("20.00")
    with pytest.raises(NotFound):
        order_detail(manager, order.id)
    assert [p.name for p in product_query(manager, "螺纹")][:1] == ["螺纹钢"]
    assert list(stock_query(manager, "")) == []


def test_the_sales_database_is_only_read(separate_sales_database, tmp_path):
    """Opened read-only, the sales file still answers every query."""
    _crm_only, sales = separate_sales_database
    manager = make_user("manager", "wang")
    customer = make_customer(manager)
    order = add_order(customer.id, "SO-A", dt.date(2026, 1, 1))
    Stock.create(product=add_product(name="水泥"), warehouse="一号库", quantity=5)
    sales.close()
    from peewee import SqliteDatabase

    read_only = SqliteDatabase(f"file:{tmp_path / 'sales.sqlite3'}?mode=ro", uri=True)
    sales_database.initialize(read_only)
    assert customer_orders_page(manager, customer.id).count == 1
    assert order_detail(manager, order.id).total == Decimal("8400.00")
    assert product_query(manager, "水泥").count() == 1
    assert [s.quantity for s in stock_query(manager, "一号库")] == [5]
    read_only.close()

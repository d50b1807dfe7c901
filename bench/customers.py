"""Customers at scale: the list's search, a customer with many orders, export.

    python bench/customers.py [--customers 100000] [--orders 1000000]
                              [--path /tmp/crm-bench-customers.sqlite3] [--reuse]
                              [--heavy 20000] [--repeat 5]

Builds a SQLite database with `crm_tui.demo.fill_at_scale`, then gives one
customer `--heavy` of the existing orders (the total stays the same), and
times what a person waits for, through the same code the screens run:

- the customer list's search by name: the count and the first page of 50
  rows, as the lazy table asks for them (administrator, and one account
  manager, whose scope is applied);
- opening a customer: reading it, then the first page of its orders and
  their count (the order tab), then one order's lines and total;
- exporting the whole list (every customer) to CSV, and to XLSX.

Each figure is the best of --repeat runs, in milliseconds, except the
exports (one run each, in seconds).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peewee import fn

from measure import best_ms
from crm_tui.db import init_databases, open_database
from crm_tui.demo import fill_at_scale
from crm_tui.export import export_rows
from crm_tui.models import Customer, Order, Role, User, database, sales_database
from crm_tui.models.customers import customer_export, customer_list_query
from crm_tui.models.orders import customer_orders_page, order_detail
from crm_tui.models.users import ADMIN, MANAGER
from crm_tui.models.customers import CUSTOMER
from crm_tui.widgets.lazy_table import PAGE_SIZE
from crm_tui.widgets.query_source import QuerySource




def build(path: Path, customers: int, orders: int, reuse: bool) -> None:
    if not reuse:
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
    existed = path.exists()
    db = open_database(f"sqlite:///{path}")
    database.initialize(db)
    sales_database.initialize(db)
    db.connect()
    init_databases(db, db)
    if existed and reuse:
        print(f"reusing {path}: {Customer.select().count():,} customers, "
              f"{Order.select().count():,} orders")
        return
    fill_at_scale(customers, orders, progress=print)


def make_heavy_customer(count: int) -> int:
    """Give one customer `count` existing orders (shipped or paid ones among
    them): the worst case of the order tab."""
    heavy = Customer.select(Customer.id).order_by(Customer.id).limit(1).scalar()
    already = Order.select().where(Order.customer_id == heavy).count()
    if already < count:
        chosen = (Order.select(Order.id).where(Order.customer_id != heavy)
                  .order_by(fn.RANDOM()).limit(count - already))
        with sales_database.atomic():
            Order.update(customer_id=heavy).where(Order.id.in_(chosen)).execute()
    return heavy


def list_page(user, text: str) -> tuple[int, int]:
    """What the customer list does for a search: count, then the first page."""
    source = QuerySource(lambda filter_text: customer_list_query(user, filter_text),
                         CUSTOMER.columns)
    count = source.count(text)
    rows = source.fetch(text, None, False, 0, PAGE_SIZE)
    return count, len(rows)


def open_customer(user, customer_id: int) -> tuple[int, int]:
    Customer.get_visible(user, customer_id)
    page = customer_orders_page(user, customer_id, page=1, page_size=PAGE_SIZE)
    return page.count, len(page.orders)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--path", default=str(Path(tempfile.gettempdir()) / "crm-bench-customers.sqlite3"))
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    parser.add_argument("--heavy", type=int, default=20_000,
                        help="orders given to one customer (0: none)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    path = Path(args.path)
    started = time.perf_counter()
    build(path, args.customers, args.orders, args.reuse)
    heavy = make_heavy_customer(args.heavy) if args.heavy else None
    print(f"database ready in {time.perf_counter() - started:.1f} s: "
          f"{Customer.select().count():,} customers, {Order.select().count():,} orders")

    admin = User.select().join(Role).where(Role.key == ADMIN).first()
    if admin is None:
        from crm_tui.models.accounts import create_user
        admin = create_user(None, "bench-admin", "Bench admin", ADMIN, "bench-password")
    manager = (User.select(User, fn.COUNT(Customer.id).alias("owned"))
               .join(Role).switch(User).join(Customer, on=(Customer.manager == User.id))
               .where(Role.key == MANAGER).group_by(User)
               .order_by(fn.COUNT(Customer.id).desc()).first())
    owned = Customer.visible_to(manager).count()
    top_customer, top_orders = (Order.select(Order.customer_id, fn.COUNT(Order.id))
                                .where(Order.customer_id != (heavy or 0))
                                .group_by(Order.customer_id)
                                .order_by(fn.COUNT(Order.id).desc()).limit(1).tuples().first())
    print(f"account manager {manager.login} owns {owned:,} customers; "
          f"the busiest generated customer has {top_orders:,} orders")
    print()

    repeat = args.repeat
    print(f"customer list, search by name (count + first {PAGE_SIZE} rows), best of {repeat}:")
    # A full name of one of the manager's own customers: found by both.
    sample_name = (Customer.select(Customer.name).where(Customer.manager == manager.id)
                   .order_by(Customer.id.desc()).scalar())
    for who, user in (("administrator", admin), (f"manager {manager.login}", manager)):
        for text in ("", "科技", "有限公司", sample_name):
            ms, (count, rows) = best_ms(lambda: list_page(user, text), repeat)
            label = repr(text) if text else "(no search)"
            print(f"  {ms:8.1f} ms  {count:>8,} found  {who:<22} {label}")
    print()

    print(f"opening a customer (read it, count its orders, first {PAGE_SIZE}), best of {repeat}:")
    cases = [("busiest generated", top_customer)]
    if heavy:
        cases.append((f"given {args.heavy:,} orders", heavy))
    for label, customer_id in cases:
        ms, (count, rows) = best_ms(lambda: open_customer(admin, customer_id), repeat)
        print(f"  {ms:8.1f} ms  {label}: {count:,} orders in status 5/6")
        newest = customer_orders_page(admin, customer_id, 1, 1).orders[0].id
        ms, detail = best_ms(lambda: order_detail(admin, newest), repeat)
        print(f"  {ms:8.1f} ms  its newest order: {len(detail.lines)} lines, "
              f"total {detail.total:,}")
    print()

    print("export of the whole customer list (one run each):")
    with tempfile.TemporaryDirectory() as folder:
        for suffix in (".csv", ".xlsx"):
            target = Path(folder) / f"customers{suffix}"
            started = time.perf_counter()
            headers, rows = customer_export(customer_list_query(admin, ""))
            written = export_rows(target, headers, rows)
            seconds = time.perf_counter() - started
            size = target.stat().st_size / 1e6
            print(f"  {suffix[1:].upper():<5} {written:>8,} rows  {seconds:6.1f} s  "
                  f"({written / seconds:,.0f} rows/s, {size:.1f} MB)")


if __name__ == "__main__":
    main()

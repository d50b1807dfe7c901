"""How long each report takes at scale, beside the same SQL typed by hand.

    python bench/reports.py [--customers 100000] [--orders 1000000]
                            [--path /tmp/crm-bench-reports.sqlite3] [--reuse]

Builds a SQLite database with `crm_tui.demo.fill_at_scale` (customers and
orders), adds services and confirmed churns in proportion, then times every
report through models/reports.py (as the administrator, who sees every
customer, and as one account manager) and the equivalent SQL in the sqlite3
shell with `.timer on` (rows written to /dev/null). A last pair times the
full refresh of the order figures with the orders in a separate sales
database, beside the order sums by hand over the attached file.

Each figure is the best of --repeat runs, in milliseconds.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_tui import clock  # noqa: E402
from crm_tui.db import init_databases, open_database  # noqa: E402
from crm_tui.models import (SALES_MODELS, ChurnAlert, Customer, DictionaryEntry, Order,  # noqa: E402
                            Role, Service, User, database, order_figures, reports,
                            sales_database)
from crm_tui.models.dictionary import SERVICE_TYPE  # noqa: E402

SERVICES_PER_CUSTOMER = 2
CONFIRMED_CHURN_SHARE = 0.05
YEAR = clock.today().year - 1

HAND_SQL = {
    # The contribution report ranks customers by their order figures
    # (summed per customer and year by the refresh; bench/contribution.py
    # times the refresh against the order sums by hand).
    "contribution": """
        SELECT c.id, c.number, c.name, u.display_name, f.orders, f.amount
        FROM customer c
        JOIN user u ON u.id = c.manager_id
        JOIN order_totals f ON f.customer_id = c.id
        WHERE c.status <> 'deleted' {manager}
        ORDER BY f.amount DESC, c.id;""",
    "contribution, one year": """
        SELECT c.id, c.number, c.name, u.display_name, f.orders, f.amount
        FROM customer c
        JOIN user u ON u.id = c.manager_id
        JOIN order_figures f ON f.customer_id = c.id
        WHERE c.status <> 'deleted' AND f.year = {year} {manager}
        ORDER BY f.amount DESC, c.id;""",
    "composition by level": """
        SELECT c.level_id, COUNT(c.id) FROM customer c
        WHERE c.status <> 'deleted' AND c.status = 'normal' {manager}
        GROUP BY c.level_id;""",
    "services by type, one year": """
        SELECT s.type_id, COUNT(s.id) FROM customer c
        JOIN service s ON s.customer_id = c.id
        WHERE c.status <> 'deleted' {manager}
          AND s.created_at >= '{year}-01-01' AND s.created_at < '{next_year}-01-01'
        GROUP BY s.type_id;""",
    "churn analysis": """
        SELECT a.id, a.lost_date, c.number, c.name, u.display_name, a.reason
        FROM customer c
        JOIN churn_alert a ON a.customer_id = c.id
        JOIN user u ON u.id = c.manager_id
        WHERE c.status <> 'deleted' AND a.status = 'confirmed' {manager}
        ORDER BY a.lost_date DESC, a.id DESC;""",
}


def model_calls(user):
    first, last = reports.year_range(YEAR)
    return {
        "contribution": lambda: reports.contribution(user),
        "contribution, one year": lambda: reports.contribution(user, year=YEAR),
        "composition by level": lambda: reports.composition(user, reports.LEVEL),
        "services by type, one year": lambda: reports.service_composition(user, first, last),
        "churn analysis": lambda: reports.churn(user),
    }


def best_ms(call, repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
        rows = len(result)
    return min(times), rows


def shell_ms(path: Path, sql: str, repeat: int, attach: Path | None = None) -> float:
    """The best real time the sqlite3 shell reports for `sql`."""
    script = ".timer on\n"
    if attach:
        script += f"ATTACH '{attach}' AS sales;\n"
    script += "".join(f".once /dev/null\n{sql.strip()}\n" for _ in range(repeat))
    output = subprocess.run(["sqlite3", str(path)], input=script, capture_output=True, text=True,
                            check=True).stdout
    times = [float(value) for value in re.findall(r"Run Time: real ([0-9.]+)", output)]
    # The ATTACH line is timed too; the queries are the last `repeat` lines.
    return min(times[-repeat:]) * 1000


def build(path: Path, customers: int, orders: int, seed: int) -> None:
    from crm_tui.demo import fill_at_scale

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    bind(path)
    init_databases(database.obj, database.obj)
    fill_at_scale(customers, orders, seed=seed, progress=print)
    add_services_and_churns(seed)
    database.obj.execute_sql("ANALYZE")
    database.obj.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def add_services_and_churns(seed: int) -> None:
    """Services over the last three years and confirmed churns, in bulk."""
    rng = random.Random(seed)
    ids = [row[0] for row in Customer.select(Customer.id).tuples()]
    managers = dict(Customer.select(Customer.id, Customer.manager).tuples())
    types = [entry.id for entry in DictionaryEntry.of_type(SERVICE_TYPE)]
    start = dt.datetime.combine(clock.today() - dt.timedelta(days=3 * 365), dt.time(8))
    seconds = 3 * 365 * 24 * 3600
    rows = [{"type": rng.choice(types), "summary": "服务", "customer": customer_id,
             "request": "请求", "status": "new", "created_by": managers[customer_id],
             "created_at": start + dt.timedelta(seconds=rng.randrange(seconds))}
            for customer_id in ids for _ in range(SERVICES_PER_CUSTOMER)]
    with database.atomic():
        for chunk in range(0, len(rows), 5000):
            Service.insert_many(rows[chunk:chunk + 5000]).execute()
    lost = rng.sample(ids, int(len(ids) * CONFIRMED_CHURN_SHARE))
    today = clock.today()
    alerts = [{"customer": customer_id, "status": "confirmed", "reason": "客户转向竞争对手采购。",
               "lost_date": today - dt.timedelta(days=rng.randrange(720))} for customer_id in lost]
    with database.atomic():
        for chunk in range(0, len(alerts), 5000):
            ChurnAlert.insert_many(alerts[chunk:chunk + 5000]).execute()
        Customer.update(status="lost").where(Customer.id.in_(lost)).execute()
    print(f"added {len(rows):,} services and {len(alerts):,} confirmed churns")


def bind(path: Path, sales_path: Path | None = None) -> None:
    crm = open_database(f"sqlite:///{path}")
    sales = open_database(f"sqlite:///{sales_path}") if sales_path else crm
    database.initialize(crm)
    sales_database.initialize(sales)
    crm.connect(reuse_if_open=True)
    sales.connect(reuse_if_open=True)


def separate_sales_copy(path: Path) -> Path:
    """The sales system's tables copied into a database file of their own."""
    sales_path = path.with_name(path.stem + "-sales.sqlite3")
    sales_path.unlink(missing_ok=True)
    sales = open_database(f"sqlite:///{sales_path}")
    sales.connect()
    with sales.bind_ctx(SALES_MODELS):
        sales.create_tables(SALES_MODELS)
    sales.close()
    tables = ", ".join(model._meta.table_name for model in SALES_MODELS)
    copy = f"ATTACH '{sales_path}' AS sales;\n" + "".join(
        f"INSERT INTO sales.{table} SELECT * FROM main.{table};\n" for table in tables.split(", "))
    subprocess.run(["sqlite3", str(path)], input=copy, text=True, check=True)
    return sales_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--path", default="/tmp/crm-bench-reports.sqlite3")
    parser.add_argument("--reuse", action="store_true", help="use the database built before")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("sqlite3") is None:
        print("the sqlite3 shell is missing: apt-get install sqlite3", file=sys.stderr)
        return 2
    path = Path(args.path)
    if not (args.reuse and path.exists()):
        build(path, args.customers, args.orders, args.seed)
    bind(path)
    admin = User.select().join(Role).where(Role.key == "admin").first()
    if admin is None:
        from crm_tui.models.accounts import create_user
        admin = create_user(None, "bench-admin", "管理员", "admin", "bench-password")
    manager = (User.select().where(User.login == "sales001").first()
               or User.select().join(Role).where(Role.key == "manager").first())

    print(f"\n{Customer.select().count():,} customers, {Order.select().count():,} orders, "
          f"{Service.select().count():,} services, "
          f"{ChurnAlert.select().where(ChurnAlert.status == 'confirmed').count():,} confirmed "
          f"churns; SQLite {database.obj.server_version}; best of {args.repeat}, ms\n")
    print(f"{'report':<28} {'scope':<10} {'rows':>8} {'crm-tui':>9} {'sqlite3':>9}")
    for scope, user, manager_clause in (
            ("all", admin, ""), (f"{manager.login}", manager, f"AND c.manager_id = {manager.id}")):
        for name, call in model_calls(user).items():
            ms, rows = best_ms(call, args.repeat)
            sql = HAND_SQL[name].format(manager=manager_clause, year=YEAR, next_year=YEAR + 1)
            print(f"{name:<28} {scope:<10} {rows:>8,} {ms:>9.1f} "
                  f"{shell_ms(path, sql, args.repeat):>9.1f}")

    sales_path = separate_sales_copy(path)
    bind(path, sales_path)
    assert sales_database.obj is not database.obj
    ms, _rows = best_ms(lambda: [order_figures.refresh(order_figures.FULL)], args.repeat)
    rows = order_figures.OrderTotals.select().count()
    sql = ("SELECT customer_id, COUNT(*), SUM(amount), MAX(date) FROM sales.sales_order "
           "WHERE status IN (5, 6) GROUP BY customer_id;")
    print(f"{'figures refresh, sales apart':<28} {'all':<10} {rows:>8,} {ms:>9.1f} "
          f"{shell_ms(path, sql, args.repeat, attach=sales_path):>9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The company-wide contribution report beside hand-written SQL, in the same run.

    python bench/contribution.py --url sqlite:////tmp/crm100k.sqlite3
    python bench/contribution.py --url 'postgresql://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dcrm_bench'

The database must already hold customers and orders (`crm-tui demo-data`);
an administrator `bench-admin` is added when missing. Printed, each the
best of --repeat runs (wall time, and for SQLite, where all the work is in
this process, CPU time):

- the full refresh of the order figures (what the worker does with each
  run) beside its floor, the per-customer order sums typed by hand (what a
  report reading the orders themselves would cost every time);
- a recent refresh after a day of new orders;
- what the screen asks when it opens: count and total, the first page of
  50 rows and the 8 bars, beside the same statements typed by hand over the
  figures;
- the whole ranking beside the same by hand: as the model's typed rows
  (`reports.contribution`, a Decimal amount each) and as the export reads
  it (the report's query streamed as tuples);
- the Reports screen: from pushing the screen (headless, 80x24) to the
  contribution table showing its first rows, with the figures fresh.

All customers, then one year.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import administrator  # noqa: E402
from crm_tui import clock  # noqa: E402
from crm_tui.config import Config, DatabaseConfig  # noqa: E402
from crm_tui.db import bind, init_databases  # noqa: E402
from crm_tui.models import database, order_figures, reports  # noqa: E402
from crm_tui.models.base import is_postgres  # noqa: E402
from crm_tui.models.sales_system import Order  # noqa: E402

ORDER_SUMS_BY_HAND = """
    SELECT customer_id, COUNT(*), SUM(amount), MAX(date) FROM sales_order
    WHERE status IN (5, 6) GROUP BY customer_id"""

# The figures table and its year condition, by hand.
FIGURES = {None: ("order_totals f", ""), "year": ("order_figures f", "AND f.year = {year}")}
SCREEN_BY_HAND = [
    """SELECT COUNT(c.id), SUM(f.amount) FROM customer c JOIN {figures} ON f.customer_id = c.id
       WHERE c.status <> 'deleted' {condition}""",
    """SELECT c.id, c.number, c.name, u.display_name, f.orders, f.amount
       FROM customer c JOIN "user" u ON u.id = c.manager_id JOIN {figures} ON f.customer_id = c.id
       WHERE c.status <> 'deleted' {condition} ORDER BY f.amount DESC, c.id LIMIT 50""",
    """SELECT c.name, f.amount
       FROM customer c JOIN "user" u ON u.id = c.manager_id JOIN {figures} ON f.customer_id = c.id
       WHERE c.status <> 'deleted' {condition} ORDER BY f.amount DESC, c.id LIMIT 8""",
]
RANKING_BY_HAND = """
    SELECT c.id, c.number, c.name, u.display_name, f.orders, f.amount
    FROM customer c JOIN "user" u ON u.id = c.manager_id JOIN {figures} ON f.customer_id = c.id
    WHERE c.status <> 'deleted' {condition} ORDER BY f.amount DESC, c.id"""


def best(call, repeat: int) -> tuple[float, float, object]:
    """Best wall time and best CPU time of this process, in ms."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = call()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return min(walls) * 1000, min(cpus) * 1000, result


def line(what: str, model: tuple, floor: tuple, floor_name: str) -> None:
    cpu = "" if is_postgres() else (
        f" (CPU {model[1]:,.0f} / {floor[1]:,.0f} ms, {model[1] / max(floor[1], 0.001):.2f}x)")
    print(f"{what}: {model[0]:,.1f} ms; {floor_name} {floor[0]:,.1f} ms; "
          f"ratio {model[0] / max(floor[0], 0.001):.2f}x{cpu}", flush=True)


def by_hand(statements: list[str]):
    def run() -> list:
        return [database.execute_sql(sql).fetchall() for sql in statements]
    return run


def screen_opens(user, name: str, year: int | None) -> list:
    """What the screen asks for when it opens, through the model."""
    source_rows = reports.contribution_query(user, name, year).dicts().limit(50)
    return [reports.contribution_summary(user, name, year), list(source_rows),
            reports.contribution(user, name, year, limit=8)]


def screen_seconds(config: Config, user) -> tuple[float, int]:
    """Push the Reports screen as `user`; ms until the contribution rows show."""
    from crm_tui.app import CrmApp
    from crm_tui.screens.reports import ReportsScreen
    from crm_tui.widgets.lazy_table import LazyTableView

    async def drive() -> tuple[float, int]:
        app = CrmApp(config)
        async with app.run_test(size=(80, 24)) as pilot:
            app.user = user
            started = time.perf_counter()
            await app.push_screen(ReportsScreen())
            view = app.screen.query_one("#report-contribution").query_one(LazyTableView)
            while view.row_at(0) is None:
                await pilot.pause(0.002)
            seconds = time.perf_counter() - started
            return seconds * 1000, view.row_count

    return asyncio.run(drive())


def add_a_days_orders(count: int) -> None:
    """Today's orders of random customers, shipped, as the sales system adds them."""
    rng = random.Random(7)
    top = Order.select(Order.customer_id).order_by(Order.customer_id.desc()).scalar()
    last = Order.select(Order.id).order_by(Order.id.desc()).scalar()
    rows = [{"number": f"BENCH{last + n}", "customer_id": rng.randint(1, top),
             "date": clock.today(), "status": 5, "amount": Decimal(rng.randint(100, 99999))}
            for n in range(1, count + 1)]
    with database.atomic():
        Order.insert_many(rows).execute()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--year", type=int, default=clock.today().year - 1)
    parser.add_argument("--new-orders", type=int, default=1400,
                        help="orders added before the recent refresh (about a day's)")
    args = parser.parse_args(argv)
    config = Config(database=DatabaseConfig(url=args.url))
    crm_db, sales_db = bind(config)
    init_databases(crm_db, sales_db)
    user = administrator()
    name = "PostgreSQL" if is_postgres() else "SQLite"
    orders = Order.select().count()
    print(f"{name}: {orders:,} orders", flush=True)

    refresh = best(lambda: order_figures.refresh(order_figures.FULL), args.repeat)
    floor = best(by_hand([ORDER_SUMS_BY_HAND]), args.repeat)
    line(f"{name}, full refresh of the order figures ({refresh[2].customers:,} customers)",
         refresh, floor, "order sums by hand")
    add_a_days_orders(args.new_orders)
    recent = best(lambda: order_figures.refresh(order_figures.RECENT), 1)
    print(f"{name}, recent refresh after {args.new_orders:,} new orders: {recent[0]:,.1f} ms "
          f"({recent[2].customers:,} customers summed again)", flush=True)

    for label, year in (("all years", None), (f"year {args.year}", args.year)):
        figures, condition = FIGURES[None if year is None else "year"]
        fill = {"figures": figures, "condition": condition.format(year=year)}
        opens = best(lambda: screen_opens(user, "", year), args.repeat)
        floor = best(by_hand([sql.format(**fill) for sql in SCREEN_BY_HAND]), args.repeat)
        line(f"{name}, contribution {label}: count, total, first page and bars", opens, floor,
             "the same by hand")
        ranking = best(lambda: reports.contribution(user, "", year), args.repeat)
        floor = best(by_hand([RANKING_BY_HAND.format(**fill)]), args.repeat)
        assert len(ranking[2]) == len(floor[2][0]), (len(ranking[2]), len(floor[2][0]))
        line(f"{name}, contribution {label}: whole ranking ({len(ranking[2]):,} customers)",
             ranking, floor, "the same by hand")
        # What the export writes: the report's query streamed as tuples
        # (ContributionPane.export_rows), without a row object or a Decimal each.
        exported = best(lambda: list(database.execute(reports.contribution_query(user, "", year))),
                        args.repeat)
        line(f"{name}, contribution {label}: whole ranking as the export reads it",
             exported, floor, "the same by hand")

    order_figures.refresh(order_figures.RECENT)  # the screen finds them fresh
    runs = [screen_seconds(config, user) for _ in range(args.repeat)]
    print(f"{name}, Reports screen opened to contribution rows shown: "
          f"{min(ms for ms, _ in runs):,.0f} ms (best of {args.repeat}; "
          f"{runs[0][1]:,} rows to page through)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The company-wide contribution report beside the hand-written SQL, in the same run.

    python bench/contribution.py --url sqlite:////tmp/crm100k.sqlite3
    python bench/contribution.py --url 'postgresql://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dcrm_bench'

The database must already hold customers and orders (`crm-tui demo-data`;
`crm-tui init` adds the covering index to a database made before it); an
administrator `bench-admin` is added when missing. Printed, each the best
of --repeat runs:

- floor: the report's SQL typed by hand (join, COUNT and SUM per customer,
  biggest first), all rows fetched on a plain cursor;
- `reports.contribution`, the model function the screen calls;
- the Reports screen: from pushing the screen (headless, 80x24) to the
  contribution table holding its rows, and how many times the report ran.

All customers, then one year.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_tui.config import Config, DatabaseConfig  # noqa: E402
from crm_tui.db import bind, init_databases  # noqa: E402
from crm_tui.models.base import is_postgres  # noqa: E402
from crm_tui.models import User, database, reports  # noqa: E402
from crm_tui.models.accounts import create_user  # noqa: E402
from crm_tui.models.users import ADMIN  # noqa: E402

HAND_SQL = """
    SELECT c.id, c.number, c.name, u.display_name, COUNT(o.id), SUM(o.amount) AS total
    FROM customer c
    JOIN "user" u ON u.id = c.manager_id
    JOIN sales_order o ON o.customer_id = c.id
    WHERE c.status <> 'deleted' AND o.status IN (5, 6) {year}
    GROUP BY c.id, c.number, c.name, u.display_name
    ORDER BY total DESC, c.id"""


def best(call, repeat: int) -> tuple[float, float, object]:
    """Best wall time and best CPU time of this process (SQLite works in it)."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = call()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def screen_seconds(config: Config, user: User) -> tuple[float, int, int]:
    """Push the Reports screen as `user`; seconds until the contribution rows show."""
    from crm_tui.app import CrmApp
    from crm_tui.screens.reports import ReportsScreen

    runs = []
    real = reports.iter_contribution

    def counted(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    async def drive() -> tuple[float, int]:
        app = CrmApp(config)
        async with app.run_test(size=(80, 24)) as pilot:
            app.user = user
            started = time.perf_counter()
            await app.push_screen(ReportsScreen())
            pane = app.screen.query_one("#report-contribution")
            while pane.result is None:
                await pilot.pause(0.005)
            await pilot.pause()
            seconds = time.perf_counter() - started
            await pilot.pause(1.0)  # time for a second run to start, if any
            return seconds, len(pane.source.rows)

    reports.iter_contribution = counted
    try:
        seconds, rows = asyncio.run(drive())
    finally:
        reports.iter_contribution = real
    return seconds, rows, len(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--year", type=int, default=2025)
    args = parser.parse_args(argv)
    config = Config(database=DatabaseConfig(url=args.url))
    crm_db, sales_db = bind(config)
    init_databases(crm_db, sales_db)  # the covering index, on a database made before it
    user = User.get_or_none(User.login == "bench-admin") or create_user(
        None, "bench-admin", "Bench admin", ADMIN, "bench-admin-password")
    database_name = "PostgreSQL" if is_postgres(database.obj) else "SQLite"
    for label, year in (("all years", None), (f"year {args.year}", args.year)):
        clause = "" if year is None else (
            f"AND o.date BETWEEN '{year}-01-01' AND '{year}-12-31'")
        if year is not None and not is_postgres(database.obj):
            clause = clause.replace("o.date", "+o.date")  # the plan the model asks for
        floor, floor_cpu, rows = best(
            lambda: database.execute_sql(HAND_SQL.format(year=clause)).fetchall(), args.repeat)
        model, model_cpu, result = best(lambda: reports.contribution(user, "", year), args.repeat)
        assert len(result) == len(rows), (len(result), len(rows))
        cpu = ("" if is_postgres(database.obj) else
               f" (CPU {floor_cpu * 1000:.0f} ms / {model_cpu * 1000:.0f} ms, "
               f"ratio {model_cpu / floor_cpu:.2f}x)")
        print(f"{database_name}, contribution, {label}, {len(rows):,} customers: hand SQL "
              f"{floor * 1000:.0f} ms, reports.contribution {model * 1000:.0f} ms, "
              f"ratio {model / floor:.2f}x{cpu}", flush=True)
    seconds, shown, runs = screen_seconds(config, user)
    print(f"{database_name}, Reports screen opened to contribution rows shown: {seconds * 1000:.0f} ms "
          f"({shown:,} rows, the report ran {runs} time(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())

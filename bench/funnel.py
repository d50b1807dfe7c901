"""The sales funnel and forecast reports at scale, beside hand-written SQL.

    python bench/funnel.py [--customers 100000] [--opportunities 300000]
                           [--url sqlite:////tmp/crm-bench-funnel.sqlite3] [--reuse]

Builds the database (unless --reuse) with what `crm-tui demo-data` adds:
`demo.fill_at_scale` (customers, no orders) and
`demo_funnel.fill_opportunities_at_scale` (opportunities in every state and
stage, targets per manager and month). Then times, for the administrator
(every opportunity) and for one account manager (the opportunities they
created or were given):

- `funnel.funnel()` over every date and over the last year, and
- `funnel.forecast()` over the twelve months from this one,

each beside its floor: the same GROUP BY typed by hand and run on the same
connection (no scope check, no rights, no model layer). A PostgreSQL URL
works too (the database must exist; it is filled unless --reuse).

Each figure is the best of --repeat runs, in milliseconds.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import administrator, best_ms  # noqa: E402
from crm_tui import clock  # noqa: E402
from crm_tui.db import init_databases, open_database, sqlite_path  # noqa: E402
from crm_tui.models import Customer, Opportunity, User, database, sales_database  # noqa: E402
from crm_tui.models import funnel  # noqa: E402
from crm_tui.models.base import is_postgres  # noqa: E402

FUNNEL_SQL = """
SELECT status, stage_id, COUNT(*), SUM(expected_amount) FROM opportunity
WHERE 1 = 1 {since} {manager}
GROUP BY status, stage_id"""
FORECAST_SQL = """
SELECT {month}, COUNT(*), SUM(expected_amount), SUM(expected_amount * success_rate) / 100
FROM opportunity
WHERE status IN ('unassigned', 'assigned') AND expected_close >= '{start}'
  AND expected_close < '{end}' {manager}
GROUP BY 1"""


def bind(url: str):
    db = open_database(url)
    database.initialize(db)
    sales_database.initialize(db)
    db.connect(reuse_if_open=True)
    return db


def build(url: str, customers: int, opportunities: int, seed: int) -> None:
    from crm_tui.demo import fill_at_scale
    from crm_tui.demo_funnel import fill_opportunities_at_scale

    path = sqlite_path(url)
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = bind(url)
    init_databases(db, db)
    fill_at_scale(customers, 0, seed=seed, progress=print)
    fill_opportunities_at_scale(opportunities, seed=seed, progress=print)
    db.execute_sql("ANALYZE")


def hand_ms(sql: str, repeat: int) -> float:
    def run():
        return database.obj.execute_sql(sql).fetchall()
    return best_ms(run, repeat)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--opportunities", type=int, default=300_000)
    parser.add_argument("--url", default="sqlite:////tmp/crm-bench-funnel.sqlite3")
    parser.add_argument("--reuse", action="store_true", help="use the database built before")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not args.reuse:
        build(args.url, args.customers, args.opportunities, args.seed)
    bind(args.url)
    admin = administrator()
    manager = User.get(User.login == "sales001")
    today = clock.today()
    start = funnel.add_months(today, 0)
    end = funnel.add_months(start, funnel.FORECAST_MONTHS)
    year_ago = today - dt.timedelta(days=365)
    month = "to_char(expected_close, 'YYYY-MM')" if is_postgres() else \
        "strftime('%Y-%m', expected_close)"

    print(f"\n{Customer.select().count():,} customers, {Opportunity.select().count():,} "
          f"opportunities; {'PostgreSQL' if is_postgres() else 'SQLite'}; "
          f"best of {args.repeat}, ms\n")
    print(f"{'report':<26} {'scope':<9} {'crm-tui':>9} {'hand SQL':>9} {'ratio':>6}")
    for scope, user, own in (
            ("all", admin, ""),
            (manager.login, manager,
             f"AND (created_by_id = {manager.id} OR assigned_to_id = {manager.id})")):
        cases = [
            ("funnel, all dates", lambda user=user: funnel.funnel(user),
             FUNNEL_SQL.format(since="", manager=own)),
            ("funnel, last 365 days", lambda user=user: funnel.funnel(user, year_ago),
             FUNNEL_SQL.format(since=f"AND created_at >= '{year_ago} 00:00:00'", manager=own)),
            ("forecast, 12 months", lambda user=user: funnel.forecast(user, today),
             FORECAST_SQL.format(month=month, start=start, end=end, manager=own)),
        ]
        for name, call, sql in cases:
            ms, _result = best_ms(call, args.repeat)
            floor = hand_ms(sql, args.repeat)
            print(f"{name:<26} {scope:<9} {ms:>9.1f} {floor:>9.1f} {ms / floor:>6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

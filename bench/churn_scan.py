"""How long the churn scan takes on 100,000 customers and 1,000,000 orders,
beside the same SQL typed by hand into the database's own shell (sqlite3
with `.timer on`; psql with `\\timing on`).

    python bench/churn_scan.py [--customers N] [--orders M] [--repeat K]
                               [--pg postgresql://postgres@127.0.0.1:5432/test]

The data is generated once by crm_tui.demo.fill_at_scale (a SQLite file in
the temporary folder, a schema of its own on PostgreSQL) and reused by later
runs. Each timing starts from no churn alerts at all ("first scan": every
churned customer gets an alert) and is followed by a second scan on the
result ("repeat scan": nothing to add). Figures are medians of --repeat runs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_tui import clock  # noqa: E402
from crm_tui.config import DatabaseConfig  # noqa: E402
from crm_tui.db import bind, init_databases, open_database  # noqa: E402
from crm_tui.models import Customer, Order, database, sales_database  # noqa: E402
from crm_tui.models.base import is_postgres  # noqa: E402
from crm_tui.models.churn import months_before, scan  # noqa: E402

MONTHS = 6
BENCH_SCHEMA = "crm_bench_churn"

# The scan written out by hand, as one would type it into the shell: the
# same four statements, in one transaction, as crm_tui.models.churn.scan.
HAND_TYPED_SCAN = """\
BEGIN{begin_mode};
UPDATE churn_alert SET status = 'closed', closed_at = '{now}', closed_note = 'ordered_again',
       version = version + 1
 WHERE status IN ('warning', 'deferred')
   AND EXISTS (SELECT 1 FROM sales_order o
                WHERE o.customer_id = churn_alert.customer_id AND o.status IN (5, 6)
                  AND o.date > COALESCE(churn_alert.last_order_date, '0001-01-01'));
UPDATE churn_alert SET status = 'closed', closed_at = '{now}', closed_note = 'customer_not_normal',
       version = version + 1
 WHERE status IN ('warning', 'deferred')
   AND EXISTS (SELECT 1 FROM customer c WHERE c.id = churn_alert.customer_id AND c.status <> 'normal');
INSERT INTO churn_alert (customer_id, last_order_date, created_at, status, reason, closed_note, version)
SELECT c.id,
       (SELECT MAX(o.date) FROM sales_order o WHERE o.customer_id = c.id AND o.status IN (5, 6)),
       '{now}', 'warning', '', '', 1
  FROM customer c
 WHERE c.status = 'normal'
   AND NOT EXISTS (SELECT 1 FROM sales_order o
                    WHERE o.customer_id = c.id AND o.status IN (5, 6) AND o.date >= '{cutoff}')
   AND NOT EXISTS (SELECT 1 FROM churn_alert a
                    WHERE a.customer_id = c.id AND a.status IN ('warning', 'deferred'))
ON CONFLICT (customer_id) WHERE status IN ('warning', 'deferred') DO NOTHING;
SELECT COUNT(*) FROM customer WHERE status = 'normal';
COMMIT;
"""


def hand_typed_scan(postgres: bool) -> str:
    now = clock.now()
    return HAND_TYPED_SCAN.format(begin_mode="" if postgres else " IMMEDIATE",
                                  now=now.strftime("%Y-%m-%d %H:%M:%S"),
                                  cutoff=months_before(now.date(), MONTHS).isoformat())


def remove_alerts() -> None:
    with database.atomic():
        database.obj.execute_sql("DELETE FROM churn_measure")
        database.obj.execute_sql("DELETE FROM churn_alert")


def fill_if_needed(customers: int, orders: int) -> None:
    from crm_tui.demo import fill_at_scale

    have = (Customer.select().count(), Order.select().count())
    if have == (customers, orders):
        print(f"  reusing {customers:,} customers and {orders:,} orders")
        return
    if have != (0, 0):
        raise SystemExit(f"the bench database holds {have[0]:,} customers and {have[1]:,} "
                         "orders, not the numbers asked for: remove it first")
    fill_at_scale(customers, orders, progress=lambda line: print("  " + line))


def vacuum() -> None:
    """Statistics and visibility map as autovacuum keeps them on a live
    PostgreSQL database (index-only scans need the latter)."""
    if is_postgres(database.obj):
        database.obj.execute_sql("VACUUM ANALYZE")


def time_scans(repeat: int) -> tuple[list[float], list[float], int]:
    first, again, added = [], [], 0
    for _ in range(repeat):
        remove_alerts()
        result = scan(MONTHS)
        first.append(result.seconds)
        added = result.added
        repeated = scan(MONTHS)
        assert repeated.added == 0, "a repeated scan added alerts"
        again.append(repeated.seconds)
    return first, again, added


SQLITE_TIME = re.compile(r"Run Time: real ([0-9.]+)")
PSQL_TIME = re.compile(r"Time: ([0-9.]+) ms")
REMOVE_ALERTS = "DELETE FROM churn_measure;\nDELETE FROM churn_alert;\n"


def time_shell(repeat: int, command: list[str], preamble: str, echo: str, pattern: re.Pattern,
               scale: float, postgres: bool) -> tuple[list[float], list[float]]:
    """Run the hand-typed scan in one session of the database's own shell,
    `repeat` rounds of (no alerts, first scan, repeat scan), as the Python
    figures are taken on one open connection; each figure is the sum of its
    statements' times as the shell reports them."""
    scan_sql = hand_typed_scan(postgres)
    script = preamble
    for _ in range(repeat):
        script += (f"{echo} #reset\n{REMOVE_ALERTS}{echo} #first\n{scan_sql}"
                   f"{echo} #repeat\n{scan_sql}")
    script += f"{echo} #end\n"
    database.obj.close()  # the shell needs the write lock
    done = subprocess.run(command, input=script, capture_output=True, text=True, check=True)
    times: dict[str, list[float]] = {"first": [], "repeat": []}
    label, total = "", 0.0
    for line in done.stdout.splitlines():
        if line.startswith("#"):
            if label in times:
                times[label].append(total)
            label, total = line[1:].strip(), 0.0
            continue
        found = pattern.search(line)
        if found:
            total += float(found.group(1)) * scale
    if len(times["first"]) != repeat:
        raise SystemExit(f"no timings from {command[0]}: {done.stdout[-500:]} {done.stderr[-500:]}")
    return times["first"], times["repeat"]


def report(label: str, first: list[float], again: list[float]) -> None:
    print(f"  {label:<44} first scan {statistics.median(first) * 1000:8.0f} ms"
          f"   repeat scan {statistics.median(again) * 1000:8.0f} ms")


def bench_sqlite(args) -> None:
    path = Path(args.sqlite or Path(tempfile.gettempdir())
                / f"crm-bench-churn-{args.customers}-{args.orders}.sqlite3")
    print(f"SQLite {path}")
    crm_db, sales_db = bind(DatabaseConfig(url=f"sqlite:///{path}"), create=True)
    init_databases(crm_db, sales_db)
    fill_if_needed(args.customers, args.orders)
    first, again, added = time_scans(args.repeat)
    print(f"  ({added:,} customers churned)")
    report("crm_tui scan (Python, peewee)", first, again)

    if shutil.which("sqlite3"):
        # The same page cache size as crm_tui.db gives its connections.
        preamble = "PRAGMA cache_size = -65536;\nPRAGMA busy_timeout = 30000;\n.timer on\n"
        first, again = time_shell(args.repeat, ["sqlite3", str(path)], preamble, ".print",
                                  SQLITE_TIME, 1.0, postgres=False)
        report("same SQL typed into the sqlite3 shell", first, again)
    else:
        print("  sqlite3 shell not installed (apt-get install sqlite3): no shell figure")

    # The sales system as a separate database (here: a second connection to
    # the same file): the scan copies each customer's last order date.
    sales_database.initialize(open_database(f"sqlite:///{path}"))
    first, again, _ = time_scans(args.repeat)
    report("crm_tui scan, sales as a separate database", first, again)
    sales_database.obj.close()
    sales_database.initialize(crm_db)
    crm_db.close()


def bench_postgres(args) -> None:
    from playhouse.db_url import connect

    print(f"PostgreSQL {args.pg} (schema {BENCH_SCHEMA})")
    admin = connect(args.pg)
    admin.execute_sql(f"CREATE SCHEMA IF NOT EXISTS {BENCH_SCHEMA}")
    admin.close()
    crm_db = connect(args.pg, options=f"-c search_path={BENCH_SCHEMA}")
    database.initialize(crm_db)
    sales_database.initialize(crm_db)
    init_databases(crm_db, crm_db)
    fill_if_needed(args.customers, args.orders)
    vacuum()
    first, again, added = time_scans(args.repeat)
    print(f"  ({added:,} customers churned)")
    report("crm_tui scan (Python, peewee)", first, again)
    if shutil.which("psql"):
        preamble = f"\\set ON_ERROR_STOP on\nSET search_path TO {BENCH_SCHEMA};\n\\timing on\n"
        first, again = time_shell(args.repeat, ["psql", "-X", "-q", args.pg], preamble, "\\echo",
                                  PSQL_TIME, 0.001, postgres=True)
        report("same SQL typed into psql", first, again)
    else:
        print("  psql not installed: no shell figure")
    crm_db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sqlite", help="the SQLite bench file (default: in the temporary folder)")
    parser.add_argument("--pg", help="a PostgreSQL URL to measure there too")
    args = parser.parse_args()
    # One fixed "now", so every run scans the same data the same way.
    moment = dt.datetime.now().replace(microsecond=0)
    clock.set_clock(lambda: moment)
    print(f"churn scan: {args.customers:,} customers, {args.orders:,} orders, "
          f"alert after {MONTHS} months, median of {args.repeat}")
    bench_sqlite(args)
    if args.pg:
        bench_postgres(args)


if __name__ == "__main__":
    main()

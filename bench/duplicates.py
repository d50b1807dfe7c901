"""The duplicate search at scale, beside its floor.

    python bench/duplicates.py --url sqlite:////tmp/crm100k.sqlite3
    python bench/duplicates.py --url 'postgresql://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dcrm_bench'

The database must already hold the customers (`crm-tui demo-data`, which
also adds one near-duplicate per hundred customers). Measured, as the
administrator `bench-admin` (every customer) and as one account manager
(own customers):

- search: `duplicate_pairs(user)`, what the duplicates screen runs: the
  blocks by name key, phone key and tax key, then each pair scored;
- floor: the hand-written SQL that reads the same blocks and nothing else
  (per key: the members of every key shared by two customers or more,
  `GROUP BY key HAVING COUNT(*) > 1`), without scoring;
- hint: `similar_customers`, the lookup the new-customer form runs before
  saving, for a name, phone and tax number of a customer there.

Each figure is the best of --repeat runs, in milliseconds of wall time,
with the process's CPU time beside the search (on a shared machine the
wall time is the CPU time times the wait for a core).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import administrator, best_ms  # noqa: E402
from peewee import fn  # noqa: E402

from crm_tui.config import DatabaseConfig  # noqa: E402
from crm_tui.db import bind, init_databases  # noqa: E402
from crm_tui.models import Customer, database  # noqa: E402
from crm_tui.models.customers import similar_customers  # noqa: E402
from crm_tui.models.duplicates import PHONE, TAX, duplicate_pairs  # noqa: E402

FLOOR = """SELECT c.{key}, c.id FROM customer c
    WHERE c.status <> 'deleted' {scope} AND c.{key} IN (
        SELECT {key} FROM customer WHERE status <> 'deleted' {scope_inner} AND {key} <> ''
        GROUP BY {key} HAVING COUNT(*) > 1)
    ORDER BY c.{key}, c.id"""


def floor(manager_id: int | None) -> int:
    """Rows of the blocks, read by hand-written SQL."""
    rows = 0
    for key in ("name_key", "phone_key", "tax_key"):
        scope = f"AND c.manager_id = {manager_id}" if manager_id else ""
        scope_inner = f"AND manager_id = {manager_id}" if manager_id else ""
        cursor = database.execute_sql(FLOOR.format(key=key, scope=scope, scope_inner=scope_inner))
        rows += len(cursor.fetchall())
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    crm_db, sales_db = bind(DatabaseConfig(url=args.url))
    init_databases(crm_db, sales_db)
    customers = Customer.select().count()
    admin = administrator()
    busiest = (Customer.select(Customer.manager).group_by(Customer.manager)
               .order_by(fn.COUNT(Customer.id).desc()).first().manager)
    print(f"{customers:,} customers; account manager {busiest.login} has "
          f"{Customer.select().where(Customer.manager == busiest.id).count():,}")
    for label, user, manager_id in (("administrator", admin, None),
                                    (busiest.login, busiest, busiest.id)):
        cpu_started = time.process_time()
        search_ms, pairs = best_ms(lambda: duplicate_pairs(user), args.repeat)
        cpu_ms = (time.process_time() - cpu_started) * 1000 / args.repeat
        floor_ms, rows = best_ms(lambda: floor(manager_id), args.repeat)
        # The deliberate near-duplicates share a phone or a tax number too;
        # most name-only pairs are the generator's reused names.
        strong = sum(1 for pair in pairs if PHONE in pair.reasons or TAX in pair.reasons)
        print(f"{label:>14}: search {search_ms:8.1f} ms (CPU {cpu_ms:.0f} ms), "
              f"{len(pairs):,} pairs ({strong:,} with the same phone or tax no.); "
              f"floor {floor_ms:.1f} ms, {rows:,} block rows; "
              f"x{search_ms / max(floor_ms, 0.001):.1f}")
    sample = Customer.select().order_by(Customer.id.desc()).first()
    values = {"name": sample.name, "phone": sample.phone,
              "national_tax_number": sample.national_tax_number}
    hint_ms, found = best_ms(lambda: similar_customers(admin, values), args.repeat * 3)
    print(f"hint on create: {hint_ms:.2f} ms, {len(found)} similar to {sample.number}")


if __name__ == "__main__":
    main()

"""Contracts at scale: the list, the receivables report and the home figures,
each beside its floor measured in the same run.

    crm-tui --config c.yaml init && crm-tui --config c.yaml demo-data --customers 100000 --orders 0
    python bench/contracts.py --url sqlite:////tmp/crm-contracts.sqlite3

(`demo-data` adds half as many contracts as customers, four instalments
each.) Measured for an administrator, who sees every contract:

- the list as the Contracts screen asks it (count, then the first page and
  the last page through the kind's own QuerySource), beside a plain
  `SELECT COUNT(*) FROM contract` and a hand keyset page;
- `contracts.receivables()` (what the receivables tab computes), beside the
  same figures by one hand-written GROUP BY;
- the two home figures (contracts waiting for approval, overdue
  instalments), beside hand-written counts.

Each figure is the best of --repeat runs, in milliseconds, with the ratio
to its floor.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import administrator, best_ms  # noqa: E402
from crm_tui import clock  # noqa: E402
from crm_tui.config import DatabaseConfig  # noqa: E402
from crm_tui.db import bind  # noqa: E402
from crm_tui.models import Contract, database  # noqa: E402
from crm_tui.models import contracts  # noqa: E402
from crm_tui.models.base import is_postgres  # noqa: E402
from crm_tui.widgets.lazy_table import PAGE_SIZE  # noqa: E402
from crm_tui.widgets.query_source import QuerySource  # noqa: E402

RECEIVABLES_SQL = """
SELECT c.id, c.number, cu.name, SUM(CASE WHEN i.due_date <= {today} THEN i.amount ELSE 0 END),
       SUM(COALESCE(p.paid, 0)),
       SUM(CASE WHEN i.due_date < {today} AND COALESCE(p.paid, 0) < i.amount
                THEN i.amount - COALESCE(p.paid, 0) ELSE 0 END)
FROM instalment i JOIN contract c ON c.id = i.contract_id JOIN customer cu ON cu.id = c.customer_id
LEFT JOIN (SELECT instalment_id, SUM(amount) AS paid FROM payment GROUP BY instalment_id) p
       ON p.instalment_id = i.id
WHERE c.status = 'in_force'
GROUP BY c.id, c.number, cu.name
"""
# The count by hand, over each instalment's paid total and its index of the
# unpaid ones (migration 0018); the payments summed by hand, for reference.
OVERDUE_SQL = """
SELECT COUNT(*) FROM instalment i JOIN contract c ON c.id = i.contract_id
WHERE c.status = 'in_force' AND i.due_date < {today} AND i.amount > i.paid
"""
OVERDUE_FROM_PAYMENTS_SQL = """
SELECT COUNT(*) FROM instalment i JOIN contract c ON c.id = i.contract_id
LEFT JOIN (SELECT instalment_id, SUM(amount) AS paid FROM payment GROUP BY instalment_id) p
       ON p.instalment_id = i.id
WHERE c.status = 'in_force' AND i.due_date < {today} AND COALESCE(p.paid, 0) < i.amount
"""






def row(what: str, ms: float, floor_what: str, floor_ms: float) -> None:
    ratio = ms / floor_ms if floor_ms else float("nan")
    print(f"{what:<46} {ms:9.1f} ms   {floor_what:<28} {floor_ms:9.1f} ms   {ratio:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bind(DatabaseConfig(url=args.url))
    user = administrator()
    kind = contracts.CONTRACT
    source = QuerySource(lambda text: kind.query(user, text, {"status": None, "parent": None}),
                         kind.columns)
    today = f"'{clock.today()}'"
    sql = database.execute_sql
    print(f"{'PostgreSQL' if is_postgres() else 'SQLite'}: {Contract.select().count():,} contracts,"
          f" {contracts.Instalment.select().count():,} instalments,"
          f" {contracts.Payment.select().count():,} payments")

    count_ms, count = best_ms(lambda: source.count(""), args.repeat)
    floor_ms, floor_count = best_ms(lambda: sql("SELECT COUNT(*) FROM contract").fetchone()[0],
                                    args.repeat)
    assert count == floor_count, (count, floor_count)
    row("list: count", count_ms, "plain COUNT(*)", floor_ms)

    first_ms, _ = best_ms(lambda: source.fetch("", None, False, 0, PAGE_SIZE), args.repeat)
    hand_first_ms, _ = best_ms(lambda: sql(
        f"SELECT c.*, cu.name FROM contract c JOIN customer cu ON cu.id = c.customer_id "
        f"ORDER BY c.id DESC LIMIT {PAGE_SIZE}").fetchall(), args.repeat)
    row("list: first page", first_ms, "hand page", hand_first_ms)
    last = (count - 1) // PAGE_SIZE * PAGE_SIZE
    last_ms, _ = best_ms(lambda: source.fetch("", None, False, last, PAGE_SIZE), args.repeat)
    hand_last_ms, _ = best_ms(lambda: sql(
        f"SELECT c.*, cu.name FROM contract c JOIN customer cu ON cu.id = c.customer_id "
        f"ORDER BY c.id ASC LIMIT {PAGE_SIZE}").fetchall(), args.repeat)
    row("list: End (last page)", last_ms, "hand keyset page", hand_last_ms)

    report_ms, report = best_ms(lambda: contracts.receivables(user), args.repeat)
    hand_ms, hand = best_ms(lambda: sql(RECEIVABLES_SQL.format(today=today)).fetchall(),
                            args.repeat)
    assert len(report) == len(hand), (len(report), len(hand))
    row(f"receivables ({len(report):,} contracts in force)", report_ms, "one GROUP BY", hand_ms)

    waiting_ms, _ = best_ms(lambda: contracts.waiting_for_approval(user).count(), args.repeat)
    hand_waiting_ms, _ = best_ms(lambda: sql(
        "SELECT COUNT(*) FROM contract WHERE status = 'submitted'").fetchone(), args.repeat)
    row("home: waiting for approval", waiting_ms, "plain count", hand_waiting_ms)
    overdue_ms, overdue = best_ms(lambda: contracts.overdue_instalments(user).count(), args.repeat)
    hand_overdue_ms, hand_overdue = best_ms(
        lambda: sql(OVERDUE_SQL.format(today=today)).fetchone()[0], args.repeat)
    assert overdue == hand_overdue, (overdue, hand_overdue)
    row(f"home: overdue instalments ({overdue:,})", overdue_ms, "hand count", hand_overdue_ms)
    summed_ms, summed = best_ms(
        lambda: sql(OVERDUE_FROM_PAYMENTS_SQL.format(today=today)).fetchone()[0], args.repeat)
    assert summed == overdue, (summed, overdue)
    row("  (the same counted from the payments by hand)", overdue_ms, "payments summed", summed_ms)


if __name__ == "__main__":
    main()

"""Search as you type in the customer list, keystroke by keystroke, beside its floor.

    python bench/filters.py --url sqlite:////tmp/crm1m.sqlite3
    python bench/filters.py --url 'postgresql://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dcrm_bench'

The database must already hold the customers (`crm-tui demo-data`). For
each prefix of a few filters, as a person types them, it times what the
list asks after a keystroke: the count and the first page, through the
list's own `QuerySource` over `filters.list_query` (the screens' one search
path): "key→rows" is what stands between a keystroke and the rows (a count
bounded at FIRST_COUNT rows, then the first page); the exact count follows
in the background (cancelled by the next keystroke) and is shown beside.
The floor: hand-written SQL that makes the same bounded count and reads
the same page (SQLite: FTS5 MATCH for words of three characters or more,
LIKE for shorter ones; PostgreSQL: ILIKE on the trigram-indexed columns;
fields as the plain column conditions). Best of --repeat runs, in ms.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import administrator, best_ms  # noqa: E402
from lists import hand_page  # noqa: E402
from crm_tui.config import DatabaseConfig  # noqa: E402
from crm_tui.db import bind, init_databases  # noqa: E402
from crm_tui.models import database  # noqa: E402
from crm_tui.models.base import is_postgres  # noqa: E402
from crm_tui.models.customers import CUSTOMER  # noqa: E402
from crm_tui.models.filters import list_query  # noqa: E402
from crm_tui.widgets.lazy_table import FIRST_COUNT, PAGE_SIZE  # noqa: E402
from crm_tui.widgets.query_source import QuerySource  # noqa: E402


def prefixes(text: str) -> list[str]:
    """What the box holds after each keystroke (spaces are not keystrokes
    that change a filter)."""
    return [text[:end] for end in range(1, len(text) + 1) if not text[end - 1].isspace()]


def word_sql(word: str) -> tuple[str, tuple]:
    """The hand-written match of one free word on number and name."""
    if is_postgres(database.obj):
        return "(c.name ILIKE %s OR c.number ILIKE %s)", (f"%{word}%", f"%{word}%")
    if len(word) < 3:
        return "(c.name LIKE ? OR c.number LIKE ?)", (f"%{word}%", f"%{word}%")
    return ("c.id IN (SELECT rowid FROM customer_text WHERE customer_text MATCH ?)",
            ('"' + word.replace('"', '""') + '"',))


def hand_sql(text: str) -> tuple[str, tuple]:
    """The floor's WHERE for the filters this benchmark types: free words
    and region:/level: by the dictionary item."""
    place = "%s" if is_postgres(database.obj) else "?"
    parts, params = [], []
    for word in text.split():
        if ":" in word:
            name, value = word.split(":", 1)
            if not value:
                continue
            alias = {"region": "r", "level": "l"}[name]
            parts.append(f"{alias}.item LIKE {place}" if not is_postgres(database.obj)
                         else f"{alias}.item ILIKE {place}")
            params.append(f"%{value}%")
        else:
            sql, more = word_sql(word)
            parts.append(sql)
            params.extend(more)
    return " AND ".join(parts) or "1 = 1", tuple(params)


FROM = """FROM customer c JOIN dictionary_entry r ON r.id = c.region_id
    JOIN dictionary_entry l ON l.id = c.level_id"""


def keystrokes(user, text: str, repeat: int) -> list[float]:
    source = QuerySource(lambda typed: list_query(CUSTOMER, user, typed, {}), CUSTOMER.columns)
    print(f"typing {text!r}: after each keystroke, rows (bounded count + first page), "
          f"then the exact count")
    times = []
    for typed in prefixes(text):
        if typed.endswith(":"):
            continue  # "region:" alone is not a filter yet: the list keeps its rows

        def rows() -> int:
            # What the list does before showing rows: count up to FIRST_COUNT, read a page.
            count = source.count_at_most(typed, FIRST_COUNT)
            source.fetch(typed, None, False, 0, PAGE_SIZE)
            return count
        rows_ms, bounded = best_ms(rows, repeat)
        exact_ms, count = best_ms(lambda: source.count(typed), repeat)
        where, params = hand_sql(typed)

        def floor() -> None:
            database.execute_sql(f"SELECT COUNT(*) FROM (SELECT 1 {FROM} "
                                 f"WHERE c.status <> 'deleted' AND {where} "
                                 f"LIMIT {FIRST_COUNT + 1}) AS bounded", params).fetchone()
            hand_page(f"AND {where}", "c.id", params)
        floor_ms, _ = best_ms(floor, repeat)
        times.append(rows_ms)
        print(f"  {typed!r:<30} {count:>9,} rows   key→rows {rows_ms:7.1f} ms"
              f"   hand SQL {floor_ms:7.1f} ms   ratio {rows_ms / max(floor_ms, 0.01):5.2f}x"
              f"   exact count {exact_ms:7.1f} ms", flush=True)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--typed", nargs="*", default=None,
                        help="filters to type (default: a name, a rare name, fields and a word)")
    args = parser.parse_args(argv)
    init_databases(*bind(DatabaseConfig(url=args.url)))
    user = administrator()
    total = database.execute_sql("SELECT COUNT(*) FROM customer").fetchone()[0]
    print(f"{total:,} customers, {'PostgreSQL' if is_postgres(database.obj) else 'SQLite'}")
    typed = args.typed or ["华信包装", "KH2024051", "region:上海 level:大客户 华信"]
    worst = 0.0
    for text in typed:
        worst = max([worst, *keystrokes(user, text, args.repeat)])
    print(f"slowest keystroke: {worst:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

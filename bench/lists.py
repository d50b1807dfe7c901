"""The lists at scale: count, first page, End, deep pages, search; each beside its floor.

    python bench/lists.py --url sqlite:////tmp/crm100k.sqlite3 [--audit 1000000]
    python bench/lists.py --url 'postgresql://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dcrm_bench'

The database must already hold the customers (`crm-tui demo-data`); an
administrator `bench-admin` is added when missing, and with --audit the
audit log is filled up to that many rows. Through the customer list's and
the audit log's own `QuerySource` (what the screens run, in the same
order: a count, then pages), beside floors measured in the same run:

- count: the plain `SELECT COUNT(*)` of the table with the list's scope;
- open: what the list asks first (a count that stops after 200 rows, then
  the first page; the exact count follows) beside a hand-written page;
- a page (first, next after a deep one, last by End): the same columns
  read by a hand-written keyset seek (`WHERE (key, id) > (...) LIMIT 50`);
- the count as it was (the list query counted with its joins) for reference;
- search (count and first page, as Enter in the filter box asks): beside
  the text index's own lookup (SQLite: the FTS5 MATCH; PostgreSQL: ILIKE on
  the trigram-indexed columns), for a four-character and a two-character
  piece of a customer's name.

Each figure is the best of --repeat runs, in milliseconds, with the ratio
to its floor.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import administrator, best_ms  # noqa: E402
from crm_tui.config import DatabaseConfig  # noqa: E402
from crm_tui.db import bind, init_databases  # noqa: E402
from crm_tui.models.base import is_postgres  # noqa: E402
from crm_tui.models import AuditLog, User, admin, database  # noqa: E402
from crm_tui.models.customers import CUSTOMER  # noqa: E402
from crm_tui.widgets.lazy_table import FIRST_COUNT, PAGE_SIZE  # noqa: E402
from crm_tui.widgets.query_source import QuerySource  # noqa: E402
from crm_tui.models.customers import customer_list_query  # noqa: E402

LIST_COLUMNS = """c.id, c.number, c.name, c.region_id, c.manager_id, c.level_id, c.satisfaction,
    c.credit, c.address, c.postcode, c.phone, c.fax, c.website, c.licence_number,
    c.legal_representative, c.registered_capital, c.annual_turnover, c.bank, c.bank_account,
    c.local_tax_number, c.national_tax_number, c.status, c.lost_at, c.created_at, c.version,
    r.item, l.item, u.display_name"""
LIST_FROM = """FROM customer c JOIN dictionary_entry r ON r.id = c.region_id
    JOIN dictionary_entry l ON l.id = c.level_id JOIN "user" u ON u.id = c.manager_id"""






def fill_audit(rows: int) -> None:
    have = AuditLog.select().count()
    if have >= rows:
        return
    print(f"adding {rows - have:,} audit rows ...", flush=True)
    series = ("SELECT generate_series(1, %s) AS i" if is_postgres(database.obj) else
              "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
              "SELECT i FROM s")
    placeholder = "%s" if is_postgres(database.obj) else "?"
    when = ("TIMESTAMP '2024-01-01' + i * INTERVAL '30 seconds'" if is_postgres(database.obj)
            else "datetime('2024-01-01', '+' || (i * 30) || ' seconds')")
    modulo = "%%" if is_postgres(database.obj) else "%"  # psycopg2 reads a lone % as a parameter
    with database.atomic():
        database.execute_sql(
            f"INSERT INTO audit_log (actor_id, at, table_name, row_id, action, field, old, new, "
            f"change) SELECT NULL, {when}, 'customer', i {modulo} 100000, 'update', 'name', "
            f"'old ' || i, 'new ' || i, '' FROM ({series.replace('?', placeholder)}) AS s",
            (rows - have,))


def line(what: str, crm_ms: float, floor_ms: float, floor_name: str) -> None:
    print(f"  {what:<44} {crm_ms:9.1f} ms   {floor_name} {floor_ms:8.1f} ms   "
          f"ratio {crm_ms / floor_ms:5.2f}x", flush=True)


def hand_page(where: str, order: str, params: tuple = ()) -> list:
    quote = '"user"'
    sql = f"SELECT {LIST_COLUMNS} {LIST_FROM} WHERE c.status <> 'deleted' {where} ORDER BY {order} LIMIT {PAGE_SIZE}"
    return database.execute_sql(sql.replace('"user"', quote), params).fetchall()


def customers(user: User, repeat: int) -> None:
    source = QuerySource(lambda text: customer_list_query(user, text), CUSTOMER.columns)
    place = "%s" if is_postgres(database.obj) else "?"
    floor, total = best_ms(lambda: database.execute_sql(
        "SELECT COUNT(*) FROM customer WHERE status <> 'deleted'").fetchone()[0], repeat)
    crm, counted = best_ms(lambda: source.count(""), repeat)
    assert counted == total, (counted, total)
    print(f"customer list, {total:,} customers, administrator")
    line("count", crm, floor, "plain count")
    opened, _ = best_ms(lambda: (source.count_at_most("", FIRST_COUNT),
                                 source.fetch("", None, False, 0, PAGE_SIZE)), repeat)
    floor_page, _ = best_ms(lambda: hand_page("", "c.id"), repeat)
    line("open: first count (at most 200) + first page", opened, floor_page, "hand page")
    joined, _ = best_ms(lambda: customer_list_query(user, "").count(), repeat)
    line("count as before (with its three joins)", joined, floor, "plain count")
    last = (total - 1) // PAGE_SIZE * PAGE_SIZE
    by_column = {column.key: column for column in CUSTOMER.columns}
    sorts = [("no sort", None, "c.id", "c.id DESC", "c.id"),
             ("by name", by_column["name"], "c.name, c.id", "c.name DESC, c.id DESC", "c.name"),
             ("by name, descending", by_column["name"], "c.name DESC, c.id DESC",
              "c.name, c.id", "c.name")]
    for label, column, order, reverse, key in sorts:
        descending = label.endswith("descending")
        first_ms, rows = best_ms(lambda: source.fetch("", column, descending, 0, PAGE_SIZE), repeat)
        floor_first, _ = best_ms(lambda: hand_page("", order), repeat)
        line(f"first page, {label}", first_ms, floor_first, "hand SQL ")

        source.count("")  # End right after opening: no key known but the count
        end_ms, _ = best_ms(lambda: source.fetch("", column, descending, last, PAGE_SIZE), repeat)
        floor_end, _ = best_ms(lambda: hand_page("", reverse), repeat)
        line(f"End, last page, {label}", end_ms, floor_end, "keyset   ")

        # Page Down deep in the list: the page after one already read.
        deep = (total // 2) // PAGE_SIZE * PAGE_SIZE
        source.fetch("", column, descending, deep, PAGE_SIZE)
        next_ms, rows = best_ms(lambda: source.fetch("", column, descending, deep + PAGE_SIZE,
                                                      PAGE_SIZE), repeat)
        anchor = database.execute_sql(
            f"SELECT {key}, c.id {LIST_FROM} WHERE c.status <> 'deleted' ORDER BY {order} "
            f"LIMIT 1 OFFSET {deep + PAGE_SIZE - 1}").fetchone()
        sign = "<" if descending else ">"
        floor_next, _ = best_ms(lambda: hand_page(
            f"AND ({key}, c.id) {sign} ({place}, {place})", order, tuple(anchor)), repeat)
        line(f"next page at row {deep + PAGE_SIZE:,}, {label}", next_ms, floor_next, "keyset   ")
    for column_key, table, name in (("region_name", "r", "item"), ("level_name", "l", "sort_order"),
                                    ("manager_name", "u", "display_name")):
        joined_sort(source, by_column[column_key], table, name, total, repeat)


def joined_sort(source: QuerySource, column, table: str, name: str, total: int,
                repeat: int) -> None:
    """A sort by a joined name: the pages as the list reads them, beside the
    best hand SQL for them (a keyset seek within one value of the foreign
    key: `WHERE c.region_id = ? AND c.id > ? ORDER BY c.id`), and beside the
    plain ORDER BY of the name, which sorts every row."""
    place = "%s" if is_postgres(database.obj) else "?"
    foreign_key = {"r": "c.region_id", "l": "c.level_id", "u": "c.manager_id"}[table]
    values = [value for (value,) in database.execute_sql(
        f"SELECT {table}.id FROM {LIST_FROM.split('FROM ', 1)[1]} WHERE c.status <> 'deleted' "
        f"GROUP BY {table}.id, {table}.{name} ORDER BY {table}.{name}, {table}.id")]
    last = (total - 1) // PAGE_SIZE * PAGE_SIZE
    deep = (total // 2) // PAGE_SIZE * PAGE_SIZE
    label = column.key.removesuffix("_name")
    source.count("")
    first_ms, _ = best_ms(lambda: source.fetch("", column, False, 0, PAGE_SIZE), repeat)
    floor_first, _ = best_ms(lambda: hand_page(f"AND {foreign_key} = {place}", "c.id",
                                               (values[0],)), repeat)
    sorted_first, _ = best_ms(lambda: hand_page("", f"{table}.{name}, c.id"), 1)
    line(f"first page, by {label}", first_ms, floor_first, "keyset   ")
    line(f"  (ORDER BY the name by hand: {sorted_first:,.0f} ms)", first_ms, sorted_first, "sorted   ")
    source.count("")
    end_ms, _ = best_ms(lambda: source.fetch("", column, False, last, PAGE_SIZE), repeat)
    floor_end, _ = best_ms(lambda: hand_page(f"AND {foreign_key} = {place}", "c.id DESC",
                                             (values[-1],)), repeat)
    line(f"End, last page, by {label}", end_ms, floor_end, "keyset   ")
    source.count("")
    jump_ms, _ = best_ms(lambda: (source.count(""), source.fetch("", column, False, deep,
                                                                  PAGE_SIZE)), repeat)
    count_ms, _ = best_ms(lambda: source.count(""), repeat)
    line(f"a jump to row {deep:,}, by {label} (after its count)", jump_ms - count_ms, floor_first,
         "keyset   ")
    source.fetch("", column, False, deep, PAGE_SIZE)
    next_ms, rows = best_ms(lambda: source.fetch("", column, False, deep + PAGE_SIZE, PAGE_SIZE),
                            repeat)
    line(f"next page at row {deep + PAGE_SIZE:,}, by {label}", next_ms, floor_first, "keyset   ")


def search(user: User, repeat: int) -> None:
    source = QuerySource(lambda text: customer_list_query(user, text), CUSTOMER.columns)
    name = database.execute_sql("SELECT name FROM customer ORDER BY id LIMIT 1").fetchone()[0]
    print("customer list search, administrator (count + first page)")
    for term in (name[2:6], name[2:4]):
        def crm() -> int:
            count = source.count(term)
            source.fetch(term, None, False, 0, PAGE_SIZE)
            return count
        crm_ms, count = best_ms(crm, repeat)
        if is_postgres(database.obj):
            match, params = "(c.name ILIKE %s OR c.number ILIKE %s)", (f"%{term}%", f"%{term}%")
        elif len(term) < 3:  # no trigram to look up: the same LIKE scan by hand
            match, params = "(c.name LIKE ? OR c.number LIKE ?)", (f"%{term}%", f"%{term}%")
        else:
            match = "c.id IN (SELECT rowid FROM customer_text WHERE customer_text MATCH ?)"
            params = ('"' + term + '"',)

        def floor() -> None:
            database.execute_sql(f"SELECT COUNT(*) FROM customer c WHERE c.status <> 'deleted' "
                                 f"AND {match}", params).fetchone()
            hand_page(f"AND {match}", "c.id", params)
        floor_ms, _ = best_ms(floor, repeat)
        line(f"search {term!r} ({count:,} customers)", crm_ms, floor_ms, "index    ")


def audit(user: User, repeat: int) -> None:
    source = QuerySource(lambda text: admin.audit_query(user, text=text), [])
    floor, total = best_ms(lambda: database.execute_sql(
        "SELECT COUNT(*) FROM audit_log").fetchone()[0], repeat)
    crm, counted = best_ms(lambda: source.count(""), repeat)
    print(f"audit log, {total:,} rows")
    line("count", crm, floor, "plain count")
    columns = "a.id, a.actor_id, a.at, a.table_name, a.row_id, a.action, a.field, a.old, a.new, u.login"
    hand = (f"SELECT {columns} FROM audit_log a LEFT JOIN \"user\" u ON u.id = a.actor_id "
            f"ORDER BY a.at {{0}}, a.id {{0}} LIMIT {PAGE_SIZE}")
    first_ms, _ = best_ms(lambda: source.fetch("", None, False, 0, PAGE_SIZE), repeat)
    floor_first, _ = best_ms(lambda: database.execute_sql(hand.format("DESC")).fetchall(), repeat)
    line("open: first page", first_ms, floor_first, "hand SQL ")
    opened, _ = best_ms(lambda: (source.count_at_most("", FIRST_COUNT),
                                 source.fetch("", None, False, 0, PAGE_SIZE)), repeat)
    line("open: first count (at most 200) + first page", opened, floor_first, "hand SQL ")
    line("exact count + first page (the count follows)", crm + first_ms, floor + floor_first,
         "floors   ")
    last = (counted - 1) // PAGE_SIZE * PAGE_SIZE

    source.count("")
    end_ms, _ = best_ms(lambda: source.fetch("", None, False, last, PAGE_SIZE), repeat)
    floor_end, _ = best_ms(lambda: database.execute_sql(hand.format("ASC")).fetchall(), repeat)
    line("End: last page", end_ms, floor_end, "keyset   ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--audit", type=int, default=0, help="fill the audit log up to this many rows")
    args = parser.parse_args(argv)
    init_databases(*bind(DatabaseConfig(url=args.url)))  # the text index, on an older database
    user = administrator()
    customers(user, args.repeat)
    search(user, args.repeat)
    if args.audit:
        fill_audit(args.audit)
        audit(user, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Importing customers at scale: a CSV of 100,000 customers into SQLite.

    python bench/import_customers.py [--rows 100000] [--folder /tmp/crm-bench-import]

Writes a CSV (UTF-8 with BOM, Chinese headers, as Excel saves it) of
`--rows` valid customers, then times on a new migrated SQLite database:

- the floor: the same rows inserted with one plain `executemany` (no
  checks, no audit), what the database itself costs;
- the dry run: every row read, cleaned and checked, nothing written;
- the import: the same, written in batches with an audit row each;
- the import again: every row found as a duplicate, nothing created.

Figures in seconds (one run each) and rows per second, of the wall
clock and of this process's CPU (on a machine shared with other work the
wall clock shows the wait for a core; the CPU time what the import costs).
"""
from __future__ import annotations

import argparse
import csv
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import administrator
from crm_tui.db import init_databases, open_database
from crm_tui.models import AuditLog, Customer, DictionaryEntry, database, sales_database
from crm_tui.models.accounts import create_user
from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION
from crm_tui.models.importing import import_spec, mapping_for, run_import
from crm_tui.tabular import read_table

HEADERS = ["客户名称", "地区", "客户经理", "客户等级", "满意度", "信用度", "地址", "邮编", "电话",
           "法人", "开户银行", "银行帐号", "地税登记号", "国税登记号", "注册资金（万元）"]


def write_csv(path: Path, rows: int, regions: list[str], levels: list[str]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as output:
        writer = csv.writer(output)
        writer.writerow(HEADERS)
        for index in range(rows):
            writer.writerow([
                f"测试{index}号科技有限公司", regions[index % len(regions)], "王经理",
                levels[index % len(levels)], str(1 + index % 5), str(1 + index % 5),
                f"北京市海淀区中关村大街{index}号", "100080", f"010-{62000000 + index}", "张伟",
                "中国工商银行北京分行", f"0200{index:015d}", f"L{index:012d}", f"N{index:012d}",
                str(100 + index % 900)])


def fresh_database(path: Path):
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = open_database(f"sqlite:///{path}")
    database.initialize(db)
    sales_database.initialize(db)
    db.connect()
    init_databases(db, db)
    return db


def floor_seconds(path: Path, csv_path: Path) -> float:
    """The same rows, already converted, inserted by one executemany."""
    db = fresh_database(path)
    manager = create_user(None, "wang", "王经理", "manager", "bench-password")
    region = DictionaryEntry.of_type(REGION).first().id
    level = DictionaryEntry.of_type(CUSTOMER_LEVEL).first().id
    with csv_path.open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.reader(source))[1:]
    prepared = [(f"KH{index:010d}", row[0], region, manager.id, level, int(row[4]), int(row[5]),
                 row[6], row[7], row[8], row[9], row[10], row[11], row[12], row[13], row[14])
                for index, row in enumerate(rows)]
    started, cpu = time.perf_counter(), time.process_time()
    with db.atomic():
        db.cursor().executemany(
            'INSERT INTO "customer" (number, name, region_id, manager_id, level_id, satisfaction,'
            ' credit, address, postcode, phone, legal_representative, bank, bank_account,'
            ' local_tax_number, national_tax_number, registered_capital, fax, website,'
            ' licence_number, status, created_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,'
            ' ?, ?, ?, ?, ?, ?, \'\', \'\', \'\', \'normal\', CURRENT_TIMESTAMP, 1)', prepared)
    seconds = time.perf_counter() - started, time.process_time() - cpu
    db.close()
    return seconds


def timed_import(csv_path: Path, dry_run: bool):
    admin = administrator()
    spec = import_spec("customer")
    with csv_path.open("rb") as source:
        table = read_table(source, csv_path.name)
        mapping, _saved = mapping_for(spec, table.headers)
        started, cpu = time.perf_counter(), time.process_time()
        report = run_import(admin, spec, table, mapping, dry_run=dry_run,
                            file_name=csv_path.name)
    return (time.perf_counter() - started, time.process_time() - cpu), report


def figures(seconds: tuple[float, float], rows: int) -> str:
    wall, cpu = seconds
    return f"{wall:7.1f}s {rows / wall:10,.0f} {cpu:7.1f}s {rows / cpu:10,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--folder", default="/tmp/crm-bench-import")
    args = parser.parse_args()
    folder = Path(args.folder)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    csv_path, db_path = folder / "customers.csv", folder / "crm.sqlite3"

    db = fresh_database(db_path)
    regions = [entry.item for entry in DictionaryEntry.of_type(REGION)]
    levels = [entry.item for entry in DictionaryEntry.of_type(CUSTOMER_LEVEL)]
    db.close()
    write_csv(csv_path, args.rows, regions, levels)
    print(f"{args.rows:,} rows, CSV of {csv_path.stat().st_size / 1e6:.1f} MB")

    print(f"{'':35s} {'wall':>8s} {'rows/s':>10s} {'cpu':>8s} {'rows/s':>10s}")
    print(f"{'floor (one executemany, no checks)':35s} {figures(floor_seconds(db_path, csv_path), args.rows)}")

    db = fresh_database(db_path)
    create_user(None, "wang", "王经理", "manager", "bench-password")
    for label, dry_run in (("dry run", True), ("import", False), ("import again", False)):
        seconds, report = timed_import(csv_path, dry_run)
        print(f"{label:35s} {figures(seconds, args.rows)}  created {report.created:,}, "
              f"duplicates {report.duplicates:,}, refused {report.refused:,}")
    print(f"customers {Customer.select().count():,}, audit rows {AuditLog.select().count():,}")
    db.close()


if __name__ == "__main__":
    main()

"""Export of the whole customer list, beside its floors measured in the same run.

    python bench/export.py --url sqlite:////tmp/crm100k.sqlite3
    python bench/export.py --url 'postgresql://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dcrm_bench'

The database must already hold the customers (`crm-tui demo-data`); an
administrator `bench-admin` is added when missing, so every customer is
exported. Printed, each the best of --repeat runs:

- CSV floor: the export's own SQL on a plain cursor, written by a plain
  `csv.writer` loop that also neutralises formula cells; then crm-tui's CSV
  export (`export_rows` of `customer_export`) and the ratio;
- XLSX floors: the same rows through openpyxl's write-only workbook,
  through XlsxWriter in constant-memory mode, and through
  rustpy-xlsxwriter (the writer crm-tui uses) fed straight from the cursor;
  then crm-tui's XLSX export and its ratio to each.
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import administrator  # noqa: E402
from crm_tui.config import DatabaseConfig  # noqa: E402
from crm_tui.db import bind  # noqa: E402
from crm_tui.export import export_rows  # noqa: E402
from crm_tui.models import User, database  # noqa: E402
from crm_tui.models.customers import customer_export, customer_export_query, customer_list_query  # noqa: E402

TRIGGERS = frozenset("=+-@\t\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")




def export_sql(admin: User) -> tuple[str, list, list[str]]:
    """The SELECT crm-tui's export runs, for the floors to run on a plain cursor."""
    headers, _ = customer_export(customer_list_query(admin, "").limit(1))
    sql, params = customer_export_query(customer_list_query(admin, "")).sql()
    return sql, params, headers


def floor_csv(path: Path, sql: str, params: list, headers: list[str]) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(headers)
        for row in database.execute_sql(sql, params):
            writer.writerow(["'" + value if value.__class__ is str and value[:1] in TRIGGERS
                             and not PLAIN_NUMBER.fullmatch(value) else value for value in row])
            count += 1
    return count


def floor_openpyxl(path: Path, sql: str, params: list, headers: list[str]) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("export")
    sheet.append(headers)
    count = 0
    for row in database.execute_sql(sql, params):
        sheet.append(row)
        count += 1
    workbook.save(path)
    return count


def floor_xlsxwriter(path: Path, sql: str, params: list, headers: list[str]) -> int:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                               "strings_to_numbers": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("export")
    sheet.write_row(0, 0, headers)
    count = 0
    for count, row in enumerate(database.execute_sql(sql, params), start=1):
        sheet.write_row(count, 0, row)
    workbook.close()
    return count


def floor_rustpy(path: Path, sql: str, params: list, headers: list[str]) -> int:
    import rustpy_xlsxwriter

    count = 0

    def records():
        nonlocal count
        for count, row in enumerate(database.execute_sql(sql, params), start=1):
            yield dict(zip(headers, row))

    rustpy_xlsxwriter.FastExcel(str(path)).sheet("export", records()).save()
    return count


def crm_export(path: Path, admin: User) -> int:
    headers, rows = customer_export(customer_list_query(admin, ""))
    return export_rows(path, headers, rows)


class Timing(float):
    """The best wall time of some runs, in seconds, with the best CPU time of
    this process beside it: on a shared machine the wall time grows with
    others' load, the CPU time much less (with SQLite, all the work is here)."""

    cpu: float

    def __format__(self, spec: str) -> str:
        return f"{float(self):{spec}} s (CPU {self.cpu:{spec}} s)"


def best(call, repeat: int) -> tuple[Timing, int]:
    walls, cpus, result = [], [], 0
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = call()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    timing = Timing(min(walls))
    timing.cpu = min(cpus)
    return timing, result


def ratio(crm: Timing, floor: Timing) -> str:
    return f"{crm / floor:.2f}x (CPU {crm.cpu / floor.cpu:.2f}x)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--xlsx-repeat", type=int, default=1)
    parser.add_argument("--writer-floor-only", action="store_true",
                        help="of the XLSX floors, only the writer crm-tui uses (openpyxl and "
                             "XlsxWriter take minutes at 1,000,000 customers)")
    args = parser.parse_args(argv)
    bind(DatabaseConfig(url=args.url))
    admin = administrator()
    sql, params, headers = export_sql(admin)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        floor, rows = best(lambda: floor_csv(folder / "floor.csv", sql, params, headers), args.repeat)
        crm, crm_rows = best(lambda: crm_export(folder / "crm.csv", admin), args.repeat)
        assert rows == crm_rows, (rows, crm_rows)
        size = (folder / "crm.csv").stat().st_size / 1e6
        print(f"CSV, {rows:,} customers ({size:.0f} MB): floor csv.writer loop {floor:.2f}, "
              f"crm-tui {crm:.2f}, ratio {ratio(crm, floor)}", flush=True)
        rustpy, _ = best(lambda: floor_rustpy(folder / "r.xlsx", sql, params, headers),
                         args.xlsx_repeat)
        crm_xlsx, _ = best(lambda: crm_export(folder / "crm.xlsx", admin), args.xlsx_repeat)
        if args.writer_floor_only:
            print(f"XLSX, {rows:,} customers: rustpy-xlsxwriter fed from the cursor {rustpy:.2f}, "
                  f"crm-tui {crm_xlsx:.2f}; ratio {ratio(crm_xlsx, rustpy)}")
            return 0
        openpyxl, _ = best(lambda: floor_openpyxl(folder / "o.xlsx", sql, params, headers), args.xlsx_repeat)
        xlsxwriter, _ = best(lambda: floor_xlsxwriter(folder / "x.xlsx", sql, params, headers),
                             args.xlsx_repeat)
        print(f"XLSX, {rows:,} customers: openpyxl write-only {openpyxl:.2f}, XlsxWriter "
              f"constant_memory {xlsxwriter:.2f}, rustpy-xlsxwriter {rustpy:.2f}, "
              f"crm-tui {crm_xlsx:.2f}; ratio {ratio(crm_xlsx, rustpy)} to rustpy-xlsxwriter, "
              f"{ratio(crm_xlsx, xlsxwriter)} to XlsxWriter, {ratio(crm_xlsx, openpyxl)} to openpyxl")
    return 0


if __name__ == "__main__":
    sys.exit(main())

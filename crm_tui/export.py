"""Export of tabular data to CSV and XLSX, shared by every list and report.

    export_rows(path, headers, rows, progress=None) -> number of data rows
    check_path(path) -> Path        (raises ExportError: bad suffix or folder)

The format follows the file's suffix: ``.csv`` or ``.xlsx``. Rows are
streamed: a CSV is written row by row, an XLSX by rust_xlsxwriter (through
rustpy-xlsxwriter), which pulls the rows as it writes them, so a million
rows cost little memory. It was measured against XlsxWriter in
constant-memory mode and openpyxl's write-only workbook and is several
times faster than either (bench/export.py). The file
appears complete or not at all: rows go to a temporary file in the same
folder, which is renamed over `path` only when every row is written.

CSV is UTF-8 with a byte-order mark, so Excel opens Chinese text correctly.
Text that a spreadsheet would run as a formula (a cell beginning with =, +,
-, @, TAB or CR that is not a plain number such as "-12.5") is written with
a leading apostrophe in CSV: a customer named "=HYPERLINK(...)" or a phone
field "+1-1" must not become a live formula on someone's desktop. In XLSX
every text is a text cell and every number a numeric cell, so nothing is
ever read as a formula.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from crm_tui.i18n import t
from crm_tui.models.errors import CrmError

FORMATS = (".csv", ".xlsx")
# How often (in rows) the progress callback hears of the count.
PROGRESS_EVERY = 1000

_FORMULA_START = frozenset("=+-@\t\r")
# A plain number ("-12.5", "+3", "1e5") is read as that number, never run.
# Anything more ("-2-3", "+1-1", "+86 10-6234 5678") could be a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class ExportError(CrmError):
    """The export could not be written; the message is meant for people."""


def check_path(path: str | os.PathLike) -> Path:
    """The path an export would write, or ExportError saying what is wrong:
    for a form to check before a long export starts."""
    target = Path(path).expanduser()
    if target.suffix.lower() not in FORMATS:
        raise ExportError(t("export.error.format", formats=", ".join(FORMATS)))
    if not target.parent.is_dir():
        raise ExportError(t("export.error.folder", folder=str(target.parent)))
    return target


def export_rows(path: str | os.PathLike, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                progress: Callable[[int], None] | None = None) -> int:
    """Write `headers` and then every row of `rows` to `path`; return the row count.

    `progress(count)` is called every PROGRESS_EVERY rows and once at the end.
    Values may be text, numbers, Decimal, dates, datetimes, booleans or None.
    """
    target = check_path(path)
    suffix = target.suffix.lower()
    writer = _write_csv if suffix == ".csv" else _write_xlsx
    handle, temporary = tempfile.mkstemp(prefix=".export-", suffix=suffix, dir=target.parent)
    os.close(handle)
    # mkstemp makes the file private (0600); an export is an ordinary file.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    try:
        count = writer(Path(temporary), headers, rows, progress or (lambda count: None))
        os.replace(temporary, target)
    except OSError as error:
        raise ExportError(t("export.error.write", path=str(target), reason=error.strerror)) from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return count


def _write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]],
               progress: Callable[[int], None]) -> int:
    count = 0
    # utf-8-sig writes the BOM; newline="" lets the csv module end lines.
    with open(path, "w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([_csv_value(header) for header in headers])
        write = writer.writerow
        for row in rows:
            # The csv module writes None as "" and numbers, Decimals, dates
            # and datetimes as their plain text; only text can start a
            # formula and only booleans need another form.
            write([_csv_value(value) if value.__class__ is str and value[:1] in _FORMULA_START
                   or value.__class__ is bool else value for value in row])
            count += 1
            if count % PROGRESS_EVERY == 0:
                progress(count)
    progress(count)
    return count


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    text = str(value)
    return "'" + text if _looks_like_formula(text) else text


def _looks_like_formula(text: str) -> bool:
    return text[:1] in _FORMULA_START and not _PLAIN_NUMBER.fullmatch(text)


def _write_xlsx(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                progress: Callable[[int], None]) -> int:
    import rustpy_xlsxwriter

    # The writer takes each row as a dict keyed by header, so headers must
    # differ: a repeated one gets the column's number after it.
    keys = _distinct([str(header) for header in headers])
    counted = 0

    def records() -> Iterable[dict[str, Any]]:
        nonlocal counted
        for counted, row in enumerate(rows, start=1):
            yield dict(zip(keys, row))
            if counted % PROGRESS_EVERY == 0:
                progress(counted)

    # Streamed: the writer pulls the rows as it writes them (constant
    # memory). Text stays text (never a formula), numbers and Decimals are
    # numeric cells, dates date cells; the header row is frozen.
    rustpy_xlsxwriter.FastExcel(str(path)).freeze(row=1).sheet("export", records()).save()
    progress(counted)
    return counted


def _distinct(names: list[str]) -> list[str]:
    seen: set[str] = set()
    distinct = []
    for position, name in enumerate(names, start=1):
        if name in seen:
            name = f"{name} ({position})"
        seen.add(name)
        distinct.append(name)
    return distinct


__all__ = ["FORMATS", "ExportError", "check_path", "export_rows"]

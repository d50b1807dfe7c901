"""Export of tabular data to CSV and XLSX, shared by every list and report.

    export_rows(path, headers, rows, progress=None) -> number of data rows
    check_path(path) -> Path        (raises ExportError: bad suffix or folder)

The format follows the file's suffix: ``.csv`` or ``.xlsx``. Rows are
streamed: a CSV is written row by row, an XLSX through openpyxl's
write-only workbook, so a million rows cost little memory. The file appears
complete or not at all: rows go to a temporary file in the same folder,
which is renamed over `path` only when every row is written.

CSV is UTF-8 with a byte-order mark, so Excel opens Chinese text correctly.
Text that a spreadsheet would run as a formula (=, +, -, @ at the start,
followed by more than a plain number or phone number) is written with a
leading apostrophe in CSV and as a text cell in XLSX: a customer named
"=HYPERLINK(...)" must not become a live formula on someone's desktop.
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

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Plain numbers and phone numbers ("+86 10-6234 5678", "-12.5") are safe.
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9][0-9 ().\-]*$")
# Characters XML 1.0 cannot hold; openpyxl refuses them.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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
        for row in rows:
            writer.writerow([_csv_value(value) for value in row])
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
    return text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(text)


def _write_xlsx(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                progress: Callable[[int], None]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("export")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, _XML_ILLEGAL.sub("", str(header)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)

    def cell_value(value: Any) -> Any:
        if isinstance(value, str):
            value = _XML_ILLEGAL.sub("", value)
            if value.startswith("="):
                # openpyxl would store it as a formula; keep it text.
                cell = WriteOnlyCell(sheet, value)
                cell.data_type = "s"
                return cell
        return value

    count = 0
    for row in rows:
        sheet.append([cell_value(value) for value in row])
        count += 1
        if count % PROGRESS_EVERY == 0:
            progress(count)
    workbook.save(path)
    progress(count)
    return count


__all__ = ["FORMATS", "ExportError", "check_path", "export_rows"]

"""Spreadsheets people bring to an import: CSV in whatever encoding their
office saved it in, and XLSX workbooks, read as headers and rows.

- CSV: UTF-8 (with or without the BOM Excel writes) or, when the bytes are
  not UTF-8, GB18030 (a superset of GBK and GB2312, what Chinese Excel
  saves). The separator (comma, semicolon, tab) is sniffed.
- XLSX: read with openpyxl in read-only mode, row by row, so a sheet of a
  hundred thousand rows never sits in memory. A title row above the
  headers is skipped; a header cell merged across columns heads each of
  them, and a second header row under merged group cells is joined to it
  ("联系方式 电话").

Cells come back as they are: text, numbers, datetimes. Cleaning and
checking them is the import's business (crm_tui.models.importing).
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

CHUNK = 1024 * 1024
# The rows looked at to find the header row.
HEADER_SEARCH_ROWS = 10
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


class TableUnreadable(Exception):
    """The file is no table this module reads; `key` and `values` make the
    message (i18n key under importing.error)."""

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values
        super().__init__(key)


@dataclass
class Table:
    """A file's headers, and a way to walk its data rows (each a list as
    long as the headers; every call starts again at the first row)."""

    headers: list[str]
    encoding: str
    _rows: Any = field(repr=False)
    # The file's line or sheet row number of each data row, for messages.
    first_row_number: int = 2

    def rows(self) -> Iterator[list[Any]]:
        width = len(self.headers)
        for row in self._rows():
            cells = list(row[:width]) + [None] * (width - len(row))
            if any(_filled(cell) for cell in cells):
                yield cells


def _filled(cell: Any) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def read_table(source: BinaryIO, name: str) -> Table:
    """The table in `source` (an open, seekable binary file named `name`)."""
    head = source.read(8)
    source.seek(0)
    if head.startswith(b"PK\x03\x04") or Path(name).suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(source)
    return _read_csv(source)


# ----- CSV -------------------------------------------------------------------

def detect_encoding(source: BinaryIO) -> str:
    """utf-8-sig for a BOM, utf-8 when every byte decodes as UTF-8,
    else gb18030 (which GBK and GB2312 files are)."""
    source.seek(0)
    if source.read(3) == codecs.BOM_UTF8:
        source.seek(0)
        return "utf-8-sig"
    source.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := source.read(CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "gb18030"
    source.seek(0)
    return encoding


def _read_csv(source: BinaryIO) -> Table:
    encoding = detect_encoding(source)
    sample = source.read(64 * 1024).decode(encoding, "replace")
    source.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample.split("\n", 20)[0] if sample else ",",
                                           delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel

    def all_rows() -> Iterator[list[str]]:
        source.seek(0)
        # errors="replace": one bad byte in a GB18030 file is one odd
        # character in one cell, not an unreadable file.
        text = io.TextIOWrapper(source, encoding=encoding, errors="replace", newline="")
        try:
            yield from csv.reader(text, dialect)
        except csv.Error as error:
            raise TableUnreadable("importing.error.bad_csv", reason=str(error)) from None
        finally:
            text.detach()

    rows = all_rows()
    headers = next(rows, None)
    rows.close()
    if not headers or not any(cell.strip() for cell in headers):
        raise TableUnreadable("importing.error.no_header")

    def data_rows() -> Iterator[list[str]]:
        walked = all_rows()
        next(walked, None)
        yield from walked

    return Table([cell.strip() for cell in headers], encoding, data_rows)


# ----- XLSX ------------------------------------------------------------------

def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters.decode("ascii"):
        index = index * 26 + ord(letter) - 64
    return index - 1


def _merged_ranges(source: BinaryIO, sheet_path: str) -> list[tuple[int, int, int, int]]:
    """The merged ranges of a sheet as (first row, last row, first column,
    last column), 1-based rows and 0-based columns. Read-only openpyxl
    does not give them: they are found in the sheet's XML, streamed."""
    ranges = []
    source.seek(0)
    with zipfile.ZipFile(source) as archive, archive.open(sheet_path) as xml:
        tail = b""
        while chunk := xml.read(CHUNK):
            data = tail + chunk
            for match in _MERGE.finditer(data):
                first_col, first_row, last_col, last_row = match.groups()
                ranges.append((int(first_row), int(last_row), _column_index(first_col),
                               _column_index(last_col)))
            # A match cut by the chunk border is whole in the next round;
            # one found in both rounds is kept once (the set below).
            tail = data[-200:]
    return sorted(set(ranges))


def _read_xlsx(source: BinaryIO) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        source.seek(0)
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        sheet_xml = _first_sheet_path(source)
        merged = _merged_ranges(source, sheet_xml)
        top = [list(row) for row in sheet.iter_rows(max_row=HEADER_SEARCH_ROWS + 1,
                                                    values_only=True)]
    except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, OSError) as error:
        raise TableUnreadable("importing.error.bad_xlsx", reason=str(error) or "?") from None
    header_row = _header_row(top)
    if header_row is None:
        raise TableUnreadable("importing.error.no_header")
    width = max((len(row) for row in top), default=0)
    filled = [[*row, *[None] * (width - len(row))] for row in top]
    _fill_merged(filled, merged)
    headers, header_rows = _headers(filled, header_row, merged)
    first_data = header_row + header_rows  # 0-based index of the first data row

    def data_rows() -> Iterator[list[Any]]:
        source.seek(0)
        walked = openpyxl.load_workbook(source, read_only=True, data_only=True).worksheets[0]
        for row in walked.iter_rows(min_row=first_data + 1, values_only=True):
            yield list(row)

    return Table(headers, "xlsx", data_rows, first_row_number=first_data + 1)


def _first_sheet_path(source: BinaryIO) -> str:
    """The path of the first worksheet's XML inside the workbook."""
    source.seek(0)
    with zipfile.ZipFile(source) as archive:
        names = sorted(name for name in archive.namelist()
                       if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name))
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    first = re.search(rb'<(?:\w+:)?sheet\b[^>]*\s\w+:id="([^"]+)"', workbook)
    if first:
        target = re.search(rb'<Relationship\b[^>]*Id="' + re.escape(first.group(1))
                           + rb'"[^>]*Target="([^"]+)"', rels) or re.search(
            rb'<Relationship\b[^>]*Target="([^"]+)"[^>]*Id="' + re.escape(first.group(1)) + rb'"',
            rels)
        if target:
            path = target.group(1).decode("utf-8").lstrip("/")
            return path if path.startswith("xl/") else "xl/" + path
    return names[0]


def _header_row(top: list[list[Any]]) -> int | None:
    """The first row with two cells or more: rows above it are titles."""
    for index, row in enumerate(top[:HEADER_SEARCH_ROWS]):
        if sum(_filled(cell) for cell in row) >= 2:
            return index
    return None


def _fill_merged(rows: list[list[Any]], merged: list[tuple[int, int, int, int]]) -> None:
    """Give every cell of a merged range (in the rows read) the value of
    its top-left cell."""
    for first_row, last_row, first_col, last_col in merged:
        if first_row > len(rows):
            continue
        value = rows[first_row - 1][first_col] if first_col < len(rows[first_row - 1]) else None
        for row in range(first_row, min(last_row, len(rows)) + 1):
            for col in range(first_col, min(last_col + 1, len(rows[row - 1]))):
                rows[row - 1][col] = value


def _headers(rows: list[list[Any]], header_row: int,
             merged: list[tuple[int, int, int, int]]) -> tuple[list[str], int]:
    """The column headers, and how many sheet rows they take (1 or 2)."""
    top = rows[header_row]
    groups = [(first_col, last_col) for first_row, last_row, first_col, last_col in merged
              if first_row == header_row + 1 and last_row == header_row + 1
              and last_col > first_col]
    if not groups or header_row + 1 >= len(rows):
        return [_text(cell) for cell in top], 1
    below = rows[header_row + 1]
    headers = []
    for index, cell in enumerate(top):
        upper, lower = _text(cell), _text(below[index])
        grouped = any(first <= index <= last for first, last in groups)
        headers.append(f"{upper} {lower}".strip() if grouped and lower and lower != upper
                       else upper or lower)
    return headers, 2


def _text(cell: Any) -> str:
    return "" if cell is None else " ".join(str(cell).split())

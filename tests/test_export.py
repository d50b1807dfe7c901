"""Export to CSV and XLSX: what is read back equals what was written."""
import csv
import re
import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from crm_tui import export
from crm_tui.export import ExportError, export_rows

HEADERS = ["客户编号", "客户名称", "金额", "日期", "备注"]
ROWS = [
    ["KH20261124001", "北京远大科技有限公司", Decimal("12345.60"), dt.date(2026, 11, 24), "大客户"],
    ["KH20261124002", "上海浦东发展 \"引号\", 逗号", Decimal("0.05"), dt.date(2025, 1, 2), ""],
    ["KH20261124003", "多行\n文本", Decimal("-7"), None, "+86 10-6234 5678"],
]


def _read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    with open(path, encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream))


def _read_xlsx(path):
    sheet = load_workbook(path, read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_csv_reads_back_equal_with_chinese_intact(tmp_path):
    path = tmp_path / "客户.csv"
    assert export_rows(path, HEADERS, iter(ROWS)) == 3
    expected = [HEADERS] + [["" if v is None else str(v) if not isinstance(v, dt.date)
                             else v.isoformat() for v in row] for row in ROWS]
    # A phone number starting with + is more than a plain number: neutralised.
    expected[3][4] = "'+86 10-6234 5678"
    assert _read_csv(path) == expected


def test_xlsx_reads_back_equal_with_chinese_intact(tmp_path):
    path = tmp_path / "report.XLSX"
    assert export_rows(path, HEADERS, (row for row in ROWS)) == 3
    back = _read_xlsx(path)
    assert back[0] == HEADERS
    for written, read in zip(ROWS, back[1:]):
        assert read[:2] == written[:2]
        assert Decimal(str(read[2])) == written[2]
        assert (read[3].date() if read[3] else None) == written[3]
        assert (read[4] or "") == written[4]
    assert len(back) == 1 + len(ROWS)


def test_formula_text_stays_text(tmp_path):
    rows = [["=HYPERLINK(\"http://x\",\"y\")", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "-12.5"]]
    export_rows(tmp_path / "a.csv", ["a", "b", "c", "d"], rows)
    assert _read_csv(tmp_path / "a.csv")[1] == ["'" + rows[0][0], "'" + rows[0][1],
                                                "'" + rows[0][2], "-12.5"]
    export_rows(tmp_path / "a.xlsx", ["a", "b", "c", "d"], rows)
    sheet = load_workbook(tmp_path / "a.xlsx").worksheets[0]
    first = sheet["A2"]
    assert first.data_type == "s" and first.value == rows[0][0]


def test_progress_is_reported_and_large_exports_stream(tmp_path):
    seen = []
    count = 2 * export.PROGRESS_EVERY + 5
    rows = ([i, f"客户{i}", Decimal(i) / 100] for i in range(count))
    assert export_rows(tmp_path / "big.xlsx", ["n", "name", "amount"], rows, seen.append) == count
    assert seen == [export.PROGRESS_EVERY, 2 * export.PROGRESS_EVERY, count]
    back = _read_xlsx(tmp_path / "big.xlsx")
    assert len(back) == count + 1 and back[-1][1] == f"客户{count - 1}"


def test_unknown_suffix_and_missing_folder_are_refused_without_leftovers(tmp_path):
    with pytest.raises(ExportError):
        export_rows(tmp_path / "x.pdf", ["a"], [[1]])
    with pytest.raises(ExportError):
        export_rows(tmp_path / "no" / "such" / "x.csv", ["a"], [[1]])
    assert list(tmp_path.iterdir()) == []


def test_failure_midway_keeps_the_old_file(tmp_path):
    path = tmp_path / "keep.csv"
    export_rows(path, ["a"], [["old"]])

    def broken_rows():
        yield ["new"]
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        export_rows(path, ["a"], broken_rows())
    assert _read_csv(path) == [["a"], ["old"]]
    assert [p.name for p in tmp_path.iterdir()] == ["keep.csv"]


NOT_PLAIN_NUMBERS = ["-2-3", "+1-1", "=1+1", "@SUM(A1)", "\t=cmd", "\r=cmd", "-", "+",
                     "+86 10-6234 5678", "-1e5+2", "--1", "- 1", "-1,5"]
PLAIN_NUMBERS = ["-12.5", "+3", "-0", "-.5", "+1e5", "-2.5E-3", "12-3"]


def test_csv_neutralises_every_cell_that_could_start_a_formula(tmp_path):
    path = tmp_path / "a.csv"
    export_rows(path, ["x"], [[text] for text in NOT_PLAIN_NUMBERS + PLAIN_NUMBERS])
    back = [row[0] for row in _read_csv(path)[1:]]
    assert back == ["'" + text for text in NOT_PLAIN_NUMBERS] + PLAIN_NUMBERS


def test_csv_writes_numbers_dates_and_blanks_plainly(tmp_path):
    path = tmp_path / "a.csv"
    row = [-7, Decimal("-7.50"), -0.25, True, False, None, dt.date(2026, 1, 2),
           dt.datetime(2026, 1, 2, 3, 4, 5), "=x"]
    export_rows(path, ["=h", "b", "c", "d", "e", "f", "g", "h", "i"], [row])
    header, back = _read_csv(path)
    assert header[0] == "'=h"
    assert back == ["-7", "-7.50", "-0.25", "1", "0", "", "2026-01-02", "2026-01-02 03:04:05", "'=x"]


def test_xlsx_keeps_numbers_numeric_and_text_as_text(tmp_path):
    path = tmp_path / "a.xlsx"
    texts = NOT_PLAIN_NUMBERS + PLAIN_NUMBERS + ["北京\x01远大", "=HYPERLINK(\"http://x\")"]
    numbers = [-7, Decimal("-7.50"), 0.25, 10 ** 12]
    export_rows(path, ["a", "b"], [[text, numbers[i % len(numbers)]] for i, text in enumerate(texts)])
    sheet = load_workbook(path).worksheets[0]
    for index, text in enumerate(texts, start=2):
        cell = sheet.cell(row=index, column=1)
        assert cell.data_type == "s", (text, cell.data_type)
        # Control characters are kept in the spreadsheet's own _xHHHH_ escape.
        assert re.sub("_x([0-9A-F]{4})_", lambda m: chr(int(m[1], 16)), cell.value) == text
        number = sheet.cell(row=index, column=2)
        assert number.data_type == "n" and Decimal(str(number.value)) == numbers[(index - 2) % len(numbers)]


def test_xlsx_keeps_every_column_of_repeated_headers(tmp_path):
    path = tmp_path / "a.xlsx"
    export_rows(path, ["名称", "名称", "金额"], [["甲", "乙", 1], ["丙", "丁", 2]])
    assert _read_xlsx(path) == [["名称", "名称 (2)", "金额"], ["甲", "乙", 1], ["丙", "丁", 2]]

"""Export to CSV and XLSX: what is read back equals what was written."""
import csv
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

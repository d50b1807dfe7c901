"""Spreadsheets as people bring them, written for the import tests: CSV
in GBK and in UTF-8 with a BOM, XLSX with a title row, merged header
cells and dates as Excel serials."""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

CUSTOMER_HEADERS = ["客户名称", "地区", "客户经理", "客户等级", "满意度", "信用度", "地址", "邮编",
                    "电话", "法人", "开户银行", "银行帐号", "地税登记号", "国税登记号",
                    "注册资金（万元）"]


def customer_row(name: str, phone: str = "010-62345678", region: str = "北京",
                 manager: str = "王经理", level: str = "大客户", satisfaction: Any = "4",
                 tax: str = "110108123456789", **changes: Any) -> list[Any]:
    row = {"客户名称": name, "地区": region, "客户经理": manager, "客户等级": level,
           "满意度": satisfaction, "信用度": "5", "地址": "北京市海淀区中关村大街1号",
           "邮编": "100080", "电话": phone, "法人": "张伟", "开户银行": "中国工商银行北京分行",
           "银行帐号": "0200001234567890123", "地税登记号": tax, "国税登记号": "N" + tax,
           "注册资金（万元）": "500"}
    row.update(changes)
    return [row[header] for header in CUSTOMER_HEADERS]


def write_csv(path: Path, headers: list[str], rows: list[list[Any]], encoding: str) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def excel_serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def write_interactions_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    """A sheet as offices make them: a title merged across the top, then a
    header of two rows where "交往情况" heads 地点 and 概要 (merged across)
    and the other headers are merged down; the dates as plain numbers (Excel
    serials) or as dates."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["2026年客户交往记录"])
    sheet.merge_cells("A1:F1")
    sheet.append(["客户名称", "日期", "交往情况", None, "联系人", "备注"])
    sheet.append([None, None, "地点", "概要", None, None])
    for column in "ABEF":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("C2:D2")
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_customers_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(CUSTOMER_HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path

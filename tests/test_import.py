"""Importing customers, contacts and interactions from real files (CSV in
GBK and UTF-8 with a BOM, XLSX with merged headers and Excel-serial
dates): a dry run writes nothing, a second import creates nothing twice,
refused rows come with their reasons, and every row is held to the rights
and scope of the user who imports; on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_tui.models import AuditLog, Customer, DictionaryEntry, ImportMapping, ImportRun
from crm_tui.models.customers import Contact, Interaction
from crm_tui.models.dictionary import REGION
from crm_tui.models.errors import PermissionDenied, ValidationError
from crm_tui.models.importing import (Mapping, cell_text, import_spec, mapping_for,
                                      mapping_from_answers, open_table, run_import,
                                      save_mapping)
from crm_tui.tabular import read_table
from tests.conftest import entry, make_customer
from tests.import_files import (CUSTOMER_HEADERS, customer_row, excel_serial, write_csv,
                                write_customers_xlsx, write_interactions_xlsx)

CUSTOMERS = import_spec("customer")


def import_file(actor, path, kind="customer", dry_run=False, mapping=None, refused=None):
    spec = import_spec(kind)
    table, source = open_table(path)
    with source:
        mapping = mapping or mapping_for(spec, table.headers)[0]
        return run_import(actor, spec, table, mapping, dry_run=dry_run, file_name=path.name,
                          refused_to=refused)


def database_rows() -> tuple[int, ...]:
    return (Customer.select().count(), Contact.select().count(), Interaction.select().count(),
            AuditLog.select().count(), DictionaryEntry.select().count(),
            ImportRun.select().count())


def test_gbk_csv_dry_run_writes_nothing_and_a_second_import_creates_nothing(crm_db, people,
                                                                           tmp_path):
    path = write_csv(tmp_path / "客户.csv", CUSTOMER_HEADERS, [
        customer_row("北京远大科技有限公司"),
        customer_row("上海华联商贸有限公司", phone="021-55551234", region="上海",
                     tax="310101000000001"),
        # The first company again, spelt otherwise: a duplicate in the file.
        customer_row("北京远大科技 （有限）公司", phone="01062345678"),
        customer_row("坏数据公司", satisfaction="9", tax="1"),
    ], "gbk")
    assert read_table(path.open("rb"), path.name).encoding == "gb18030"
    before = database_rows()

    dry = import_file(people.admin, path, dry_run=True)

    assert (dry.created, dry.updated, dry.duplicates, dry.refused) == (2, 0, 1, 1)
    assert database_rows() == before
    first = import_file(people.admin, path)
    assert (first.created, first.updated, first.duplicates, first.refused) == (2, 0, 1, 1)
    assert Customer.select().count() == before[0] + 2
    names = {c.name for c in Customer.select()}
    assert names == {"北京远大科技有限公司", "上海华联商贸有限公司"}
    shanghai = Customer.get(Customer.name == "上海华联商贸有限公司")
    assert (shanghai.region.item, shanghai.manager_id, shanghai.satisfaction) == (
        "上海", people.manager.id, 4)
    # Keyed like a customer made by hand, so a lead of 上海华联商贸 finds it.
    assert shanghai.name_key == "上海华联商贸"

    again = import_file(people.admin, path)
    assert (again.created, again.duplicates, again.refused) == (0, 3, 1)
    assert Customer.select().count() == before[0] + 2
    assert "KH" in again.refusals[0][1] or again.refusals[0][0] == 5


def test_utf8_bom_csv_and_the_audit_row_names_the_import(crm_db, people, tmp_path):
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADERS,
                     [customer_row("北京远大科技有限公司")], "utf-8-sig")
    table = read_table(path.open("rb"), path.name)
    assert table.headers[0] == "客户名称"  # no BOM left on the first header

    report = import_file(people.manager, path)

    customer = Customer.get()
    run = ImportRun.get_by_id(report.run_id)
    assert (run.kind, run.file_name, run.created, run.actor_id) == (
        "customer", "customers.csv", 1, people.manager.id)
    row = AuditLog.get((AuditLog.table_name == "customer") & (AuditLog.row_id == customer.id))
    assert (row.actor_id, row.action, row.field) == (people.manager.id, "create", "import")
    assert row.new == f"import {run.id}: customers.csv"


def test_refused_rows_are_written_with_reasons_and_import_once_fixed(crm_db, people, tmp_path):
    path = write_csv(tmp_path / "in.csv", CUSTOMER_HEADERS, [
        customer_row("北京远大科技有限公司"),
        customer_row("火星贸易公司", region="火星", tax="2"),
        customer_row("缺电话公司", phone="", satisfaction="0", tax="3"),
    ], "utf-8")
    refused = io.StringIO()

    report = import_file(people.admin, path, refused=refused)

    assert (report.created, report.refused) == (1, 2)
    reasons = dict(report.refusals)
    assert reasons[3] == 'Region: unknown value "火星"'
    assert "Phone: required" in reasons[4] and "Satisfaction (1-5): must be from 1 to 5" in \
        reasons[4]
    lines = list(csv.reader(io.StringIO(refused.getvalue())))
    assert lines[0] == [*CUSTOMER_HEADERS, "Reason refused"]
    assert [line[0] for line in lines[1:]] == ["火星贸易公司", "缺电话公司"]
    assert lines[1][-1] == reasons[3]
    # Never a new region made on the way.
    assert not DictionaryEntry.select().where(DictionaryEntry.item == "火星").exists()

    # The refused file, fixed, imported again: the reason column is not mapped.
    lines[1][1] = "北京"
    lines[2][8], lines[2][4] = "010-88889999", "3"
    fixed = write_csv(tmp_path / "fixed.csv", lines[0], lines[1:], "utf-8-sig")
    second = import_file(people.admin, fixed)
    assert (second.created, second.refused, second.duplicates) == (2, 0, 0)
    assert Customer.select().count() == 3


def test_an_unknown_region_is_mapped_to_an_existing_one_or_refused(crm_db, people, tmp_path):
    path = write_csv(tmp_path / "in.csv", CUSTOMER_HEADERS, [
        customer_row("甲公司", region="京", tax="1"), customer_row("乙公司", region="沪", tax="2")],
        "utf-8")
    table, source = open_table(path)
    guessed, saved = mapping_for(CUSTOMERS, table.headers)
    assert not saved
    dry = run_import(people.admin, CUSTOMERS, table, guessed, dry_run=True)
    assert dry.unknown == {"region": {"京": 1, "沪": 1}}

    answers = {"values": {"region": {"京": "北京", "沪": None}}}
    mapping = mapping_from_answers(CUSTOMERS, table.headers, answers, guessed)
    report = run_import(people.admin, CUSTOMERS, table, mapping, dry_run=False)
    source.close()

    assert (report.created, report.refused) == (1, 1)
    assert Customer.get(Customer.name == "甲公司").region_id == entry(REGION, "北京").id
    assert DictionaryEntry.select().where(DictionaryEntry.item.in_(["京", "沪"])).count() == 0
    with pytest.raises(ValidationError):
        mapping_from_answers(CUSTOMERS, table.headers, {"values": {"region": {"x": "火星"}}})


def test_the_mapping_is_saved_for_the_next_file_of_the_same_shape(crm_db, people, tmp_path):
    headers = ["Company", "Remark", "Region", "Level"]
    table = read_table(
        write_csv(tmp_path / "a.csv", headers, [["A", "x", "北京", "大客户"]], "utf-8").open("rb"),
        "a.csv")
    guessed, saved = mapping_for(CUSTOMERS, table.headers)
    assert (guessed.columns, saved) == (["name", None, "region", "level"], False)
    corrected = Mapping(["name", "address", "region", "level"], {"region": {"京": 1}})
    save_mapping(people.manager, CUSTOMERS, table.headers, corrected)
    save_mapping(people.manager, CUSTOMERS, table.headers, corrected)  # kept once
    assert ImportMapping.select().count() == 1

    # Another file, same headers written otherwise: the saved mapping.
    other = ["company ", "REMARK", "region*", "Level"]
    found, saved = mapping_for(CUSTOMERS, other)
    assert saved and found.columns == corrected.columns and found.values == {"region": {"京": 1}}
    with pytest.raises(ValidationError):
        save_mapping(people.manager, CUSTOMERS, headers, Mapping(["name", "name", None, None]))
    with pytest.raises(PermissionDenied):
        save_mapping(people.executive, CUSTOMERS, headers, corrected)


def test_account_manager_imports_only_into_own_customers(crm_db, people, tmp_path):
    theirs = make_customer(people.other_manager, name="赵的客户有限公司", phone="010-11112222")
    path = write_csv(tmp_path / "in.csv", CUSTOMER_HEADERS, [
        customer_row("我的新客户公司", manager="", tax="1"),
        customer_row("给别人的客户公司", manager="赵经理", tax="2"),
    ], "utf-8")

    report = import_file(people.manager, path)

    assert (report.created, report.refused) == (1, 1)
    assert Customer.get(Customer.name == "我的新客户公司").manager_id == people.manager.id
    assert report.refusals == [(3, "This customer is not yours.")] or \
        "not" in report.refusals[0][1]
    # Updating another manager's customer by its number is refused too.
    update = write_csv(tmp_path / "up.csv", ["客户编号", "地址"],
                       [[theirs.number, "新地址"]], "utf-8")
    refused = import_file(people.manager, update)
    assert (refused.updated, refused.refused) == (0, 1)
    assert Customer.get_by_id(theirs.id).address != "新地址"
    # Contacts of another manager's customer: refused row by row.
    contacts = write_csv(tmp_path / "c.csv", ["客户编号", "联系人", "性别", "职位", "办公电话"],
                         [[theirs.number, "李明", "男", "经理", "010-62345678"]], "utf-8")
    assert import_file(people.manager, contacts, "contact").refused == 1
    assert Contact.select().count() == 0
    # A role without the right imports nothing at all.
    with pytest.raises(PermissionDenied):
        import_file(people.executive, path)


def test_a_row_with_a_number_updates_that_customer_with_the_cells_it_fills(crm_db, people,
                                                                           tmp_path):
    customer = make_customer(people.manager)
    path = write_csv(tmp_path / "up.csv", ["客户编号", "地址", "电话", "满意度"],
                     [[customer.number, "北京市朝阳区建国路88号", "", "5"],
                      ["KH19990101001", "x", "", ""]], "utf-8")

    report = import_file(people.manager, path)

    assert (report.updated, report.refused) == (1, 1)
    assert "KH19990101001" in report.refusals[0][1]
    changed = Customer.get_by_id(customer.id)
    assert (changed.address, changed.phone, changed.satisfaction, changed.version) == (
        "北京市朝阳区建国路88号", customer.phone, 5, 2)
    audit_rows = AuditLog.select().where((AuditLog.table_name == "customer")
                                         & (AuditLog.field == "import"))
    assert [row.action for row in audit_rows] == ["update"]
    # The same file again: nothing left to change.
    again = import_file(people.manager, path)
    assert (again.updated, again.duplicates) == (0, 1)


def test_contacts_import_and_find_their_customer(crm_db, people, tmp_path):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    path = write_csv(tmp_path / "contacts.csv",
                     ["客户名称", "姓名", "性别", "职务", "电话", "手机", "邮箱"], [
                         ["北京远大科技有限公司", "李明", "男", "采购经理", "010-62345678",
                          "13800138000", "li@client.example"],
                         ["北京远大科技 有限公司", "王芳", "女士", "财务", "010-62345679", "", ""],
                         ["没有的公司", "张三", "男", "经理", "010-1", "", ""],
                         ["北京远大科技有限公司", "赵六", "不详", "经理", "010-62345670", "", "x"],
                     ], "gbk")

    report = import_file(people.manager, path, "contact")

    assert (report.created, report.refused) == (2, 2)
    assert {(c.name, c.sex) for c in Contact.select()} == {("李明", "M"), ("王芳", "F")}
    assert all(c.customer_id == customer.id for c in Contact.select())
    reasons = dict(report.refusals)
    assert "没有的公司" in reasons[4]
    assert 'unknown value "不详"' in reasons[5] and "E-mail" in reasons[5]
    assert import_file(people.manager, path, "contact").created == 0


def test_xlsx_with_merged_headers_and_excel_serial_dates(crm_db, people, tmp_path):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    Contact.create_by(people.manager, customer, {
        "name": "李明", "sex": "M", "position": "采购经理", "office_phone": "010-62345678"})
    path = write_interactions_xlsx(tmp_path / "交往.xlsx", [
        ["北京远大科技有限公司", excel_serial(dt.date(2026, 11, 24)), "客户公司", "洽谈续约",
         "李明", "带了样品"],
        ["北京远大科技有限公司", dt.datetime(2026, 10, 8), "电话", "回访", None, None],
        ["北京远大科技有限公司", "2026/9/1", "展会", "初次见面", "王五", None],
    ])
    table = read_table(path.open("rb"), path.name)
    assert table.headers == ["客户名称", "日期", "交往情况 地点", "交往情况 概要", "联系人", "备注"]
    mapping, _ = mapping_for(import_spec("interaction"), table.headers)
    assert mapping.columns == ["customer_name", "date", "place", "summary", "contact", "note"]

    report = import_file(people.manager, path, "interaction")

    assert (report.created, report.refused) == (2, 1)
    assert report.refusals[0][0] == 6  # the sheet's own row number
    assert "王五" in report.refusals[0][1]
    stored = {(i.date, i.place, i.summary, i.contact_id, i.source)
              for i in Interaction.select()}
    assert stored == {(dt.date(2026, 11, 24), "客户公司", "洽谈续约", Contact.get().id, "import"),
                      (dt.date(2026, 10, 8), "电话", "回访", None, "import")}
    assert import_file(people.manager, path, "interaction").duplicates == 2


def test_xlsx_of_customers_with_numbers_as_numbers(crm_db, people, tmp_path):
    row = customer_row("数字公司", phone=13800138000, satisfaction=4.0)
    path = write_customers_xlsx(tmp_path / "c.xlsx", [row])
    assert import_file(people.admin, path).created == 1
    customer = Customer.get()
    assert (customer.phone, customer.satisfaction) == ("13800138000", 4)


def test_hostile_cells_are_stored_cleaned(crm_db, people, tmp_path):
    path = write_csv(tmp_path / "in.csv", CUSTOMER_HEADERS, [
        customer_row("\x1b]0;owned\x07远大\u202e科技\x9b公司", address="北京\x00市")], "utf-8")
    assert import_file(people.admin, path).created == 1
    customer = Customer.get()
    assert customer.name == "]0;owned远大科技公司"
    assert customer.address == "北京市海淀区中关村大街1号"


def test_cells_read_as_a_person_would_type_them():
    assert cell_text(4.0) == "4"
    assert cell_text(13800138000.0) == "13800138000"
    assert cell_text(46350, "date") == "2026-11-24"
    assert cell_text("46350", "date") == "2026-11-24"
    assert cell_text("2026年11月24日", "date") == "2026-11-24"
    assert cell_text(20261124, "date") == "2026-11-24"
    assert cell_text(dt.datetime(2026, 11, 24, 9, 30), "date") == "2026-11-24"
    assert cell_text("a\tb\nc", "multiline") == "a\tb\nc"
    assert cell_text("a\tb\x1b", "text") == "ab"


names = st.text(alphabet=st.sampled_from("远大科技华联商贸有限公司 ABC\x1b\u202e"), min_size=0,
                max_size=12)
rows = st.lists(st.tuples(names, st.sampled_from(["北京", "上海", "火星", ""]),
                          st.sampled_from(["1", "5", "0", "x", ""]),
                          st.sampled_from(["010-62345678", "021-55551234", "12", ""]),
                          st.sampled_from(["T1", "T2", ""])), min_size=1, max_size=12)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows)
def test_generated_rows_dry_run_matches_the_import_and_nothing_comes_twice(crm_db, people,
                                                                          tmp_path, rows):
    path = write_csv(tmp_path / "gen.csv", CUSTOMER_HEADERS, [
        customer_row(name, region=region, satisfaction=satisfaction, phone=phone, tax=tax)
        for name, region, satisfaction, phone, tax in rows], "utf-8")
    before = database_rows()

    dry = import_file(people.admin, path, dry_run=True)
    assert database_rows() == before
    done = import_file(people.admin, path)
    again = import_file(people.admin, path)

    counts = lambda report: (report.created, report.updated, report.duplicates, report.refused)  # noqa: E731
    assert counts(dry) == counts(done)
    assert sum(counts(done)) == len(rows)
    assert Customer.select().count() == before[0] + done.created
    assert (again.created, again.refused) == (0, done.refused)
    assert again.duplicates == done.created + done.duplicates
    for customer in Customer.select():
        assert "\x1b" not in customer.name and "\u202e" not in customer.name


def test_an_import_stopped_midway_goes_on_where_it_stopped(crm_db, people, tmp_path):
    path = write_csv(tmp_path / "many.csv", CUSTOMER_HEADERS, [
        customer_row(f"第{index}号有限公司", phone=f"010-6234{index:04d}", tax=f"T{index}")
        for index in range(25)], "utf-8")
    table, source = open_table(path)
    mapping, _ = mapping_for(CUSTOMERS, table.headers)
    batches = []

    stopped = run_import(people.admin, CUSTOMERS, table, mapping, dry_run=False,
                         batch_rows=10, progress=batches.append,
                         stop=lambda: len(batches) >= 1)
    assert stopped.stopped and (stopped.rows, stopped.created) == (10, 10)
    assert Customer.select().count() == 10

    rest = run_import(people.admin, CUSTOMERS, table, mapping, dry_run=False, batch_rows=10)
    source.close()
    assert (rest.created, rest.duplicates) == (15, 10)
    assert Customer.select().count() == 25
    numbers = [c.number for c in Customer.select().order_by(Customer.number)]
    assert len(set(numbers)) == 25


def test_a_file_that_breaks_further_down_stops_with_its_reason(crm_db, people, tmp_path):
    path = tmp_path / "broken.csv"
    good = ",".join(customer_row("甲有限公司"))
    path.write_text(",".join(CUSTOMER_HEADERS) + "\n" + good + "\n" + '"' + "x" * 200_000 + '"\n'
                    + "\x00,\x1b\n", encoding="utf-8")
    with pytest.raises(ValidationError) as raised:
        import_file(people.admin, path, dry_run=True)
    assert "CSV" in str(raised.value)
    assert Customer.select().count() == 0


def test_customers_made_by_hand_between_batches_keep_their_numbers(crm_db, people, tmp_path):
    path = write_csv(tmp_path / "many.csv", CUSTOMER_HEADERS, [
        customer_row(f"第{index}号有限公司", phone=f"010-6234{index:04d}", tax=f"T{index}")
        for index in range(30)], "utf-8")
    table, source = open_table(path)
    mapping, _ = mapping_for(CUSTOMERS, table.headers)
    by_hand = []

    def someone_else_creates(_report) -> None:
        by_hand.append(make_customer(people.manager, name=f"手工{len(by_hand)}有限公司",
                                     phone=f"021-5555{len(by_hand):04d}"))

    report = run_import(people.admin, CUSTOMERS, table, mapping, dry_run=False, batch_rows=10,
                        progress=someone_else_creates)
    source.close()
    assert report.created == 30 and len(by_hand) == 3
    numbers = [c.number for c in Customer.select()]
    assert len(numbers) == len(set(numbers)) == 33

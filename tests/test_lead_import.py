"""Leads imported from a spreadsheet (SQLite and PostgreSQL): the lead
form's rules per row, the importing user's rights (an account manager's
leads are their own), a campaign that takes leads, and nothing twice."""
from __future__ import annotations

import pytest

from crm_tui.models import AuditLog
from crm_tui.models.campaigns import CAMPAIGN_TYPE, NEW, Campaign, Lead
from tests.conftest import at, entry
from tests.import_files import write_csv
from tests.test_import import import_file

HEADERS = ["公司名称", "联系人", "手机", "邮箱", "地区", "营销活动", "客户经理", "备注"]


@pytest.fixture
def fair(crm_db, people):
    at(2026, 3, 1)
    campaign = Campaign.create_by(people.supervisor, {
        "name": "2026 华南电力展", "type": entry(CAMPAIGN_TYPE, "展会").id,
        "start_date": "2026-03-01", "end_date": "2026-03-03", "budget": "", "actual_cost": "",
        "owner": "", "target": ""})
    return campaign.start_by(people.supervisor)


def rows(people):
    return [
        ["福建电力集团股份有限公司", "林工", "13800000001", "", "福建", "2026 华南电力展",
         people.manager.display_name, "展台来访"],
        ["ＡＢＣ科技有限公司", "Alice", "", "alice@abc.cn", "上海", "", "", ""],
        ["福建电力集团有限公司", "林工", "138-0000-0001", "", "福建", "", "", "同一家，再来一行"],
        ["无联系方式公司", "张三", "", "", "北京", "", "", ""],
        ["火星公司", "李四", "13900000000", "", "火星", "", "", ""],
    ]


def test_a_supervisor_imports_leads_once_with_the_forms_rules(fair, people, tmp_path):
    path = write_csv(tmp_path / "线索.csv", HEADERS, rows(people), "gb18030")
    dry = import_file(people.supervisor, path, kind="lead", dry_run=True)
    assert (dry.created, dry.duplicates, dry.refused) == (2, 1, 2)
    assert Lead.select().count() == 0

    report = import_file(people.supervisor, path, kind="lead")
    assert (report.created, report.duplicates, report.refused) == (2, 1, 2)
    reasons = " ".join(reason for _row, reason in report.refusals)
    assert "phone" in reasons.lower() or "e-mail" in reasons.lower()
    fujian = Lead.get(Lead.company_name == "福建电力集团股份有限公司")
    assert (fujian.status, fujian.campaign_id, fujian.owner_id, fujian.created_by_id) == (
        NEW, fair.id, people.manager.id, people.supervisor.id)
    assert Lead.get(Lead.company_name == "ＡＢＣ科技有限公司").owner_id is None  # to be assigned
    assert AuditLog.select().where(AuditLog.table_name == "lead").count() == 2

    again = import_file(people.supervisor, path, kind="lead")
    assert (again.created, again.duplicates) == (0, 3)
    assert Lead.select().count() == 2


def test_an_account_manager_imports_only_own_leads(fair, people, tmp_path):
    theirs = [["广州天河电子", "陈工", "13700000000", "", "广东", "", people.other_manager.display_name, ""],
              ["深圳南山软件", "黄工", "13600000000", "", "广东", "", "", ""]]
    path = write_csv(tmp_path / "mine.csv", HEADERS, theirs, "utf-8-sig")
    report = import_file(people.manager, path, kind="lead")
    assert (report.created, report.refused) == (1, 1)
    assert [(lead.company_name, lead.owner_id) for lead in Lead.select()] == [
        ("深圳南山软件", people.manager.id)]

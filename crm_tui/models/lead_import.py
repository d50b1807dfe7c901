"""What an import of leads (营销线索) reads, and how each row is judged: by
the lead form's own rules (`lead_fields`, `_clean_lead`: a company and a
contact, a phone or an e-mail, a known region, a campaign that takes
leads), as the importing user would enter it by hand: an account manager's
leads are their own, a supervisor may name the account manager.

A row is a duplicate of a lead already on file (or earlier in the file)
for the same company (`company_key`: width, case, spaces and legal form
ignored) with the same phone digits or the same e-mail, so importing a
file again creates nothing twice.
"""
from __future__ import annotations

from typing import Any

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.campaigns import NEW, TAKES_LEADS, Campaign, Lead, _clean_lead, lead_fields
from crm_tui.models.customer_import import _digits, _entries, _manager_choices, _managers
from crm_tui.models.dictionary import REGION, DictionaryEntry
from crm_tui.models.errors import PermissionDenied
from crm_tui.models.importing import (CREATED, DUPLICATE, ImportField, Importer, ImportSpec,
                                      Verdict, comparable, import_audit_rows, register_import)
from crm_tui.models.names import company_key
from crm_tui.models.users import User, require


def _campaigns() -> dict[str, Any]:
    """The campaigns that take leads, by name."""
    return {comparable(name): campaign_id for campaign_id, name in
            Campaign.select(Campaign.id, Campaign.name)
            .where(Campaign.status.in_(TAKES_LEADS)).tuples()}


def _campaign_choices() -> list[tuple[Any, str]]:
    return [(campaign_id, name) for campaign_id, name in
            Campaign.select(Campaign.id, Campaign.name)
            .where(Campaign.status.in_(TAKES_LEADS)).order_by(Campaign.name).tuples()]


LEAD_IMPORT_FIELDS = (
    ImportField("company_name", "lead.company_name", (
        "公司名称", "企业名称", "单位名称", "客户名称", "公司", "单位", "company", "company name",
        "organisation", "organization"), required=True),
    ImportField("contact_name", "lead.contact_name", (
        "联系人", "姓名", "联系人姓名", "contact", "contact name", "name", "full name"),
        required=True),
    ImportField("phone", "lead.phone", ("电话", "手机", "手机号", "联系电话", "phone", "mobile",
                                        "tel", "telephone")),
    ImportField("email", "lead.email", ("邮箱", "电子邮件", "电子邮箱", "email", "e-mail",
                                        "mail")),
    ImportField("region", "lead.region", ("地区", "区域", "省份", "城市", "region", "area",
                                          "province", "city"),
                lookup=lambda: _entries(REGION), choices=lambda: DictionaryEntry.choices(REGION)),
    ImportField("campaign", "lead.campaign", ("营销活动", "活动", "来源活动", "campaign",
                                              "source campaign"),
                lookup=_campaigns, choices=_campaign_choices),
    ImportField("owner", "lead.owner", ("客户经理", "负责人", "业务员", "owner", "manager",
                                        "account manager", "sales rep"),
                lookup=_managers, choices=_manager_choices),
    ImportField("note", "lead.note", ("备注", "说明", "note", "notes", "remark"),
                cell="multiline"),
)


def _marks(phone: Any, email: Any) -> frozenset[str]:
    marks = set()
    if _digits(phone):
        marks.add(f"phone:{_digits(phone)}")
    if str(email or "").strip():
        marks.add(f"email:{str(email).strip().casefold()}")
    return frozenset(marks)


class LeadImporter(Importer):
    def __init__(self, actor: User):
        require(actor, perm.LEAD_CREATE)
        self.actor = actor
        self.by_key: dict[str, list[frozenset[str]]] = {}
        for name, phone, email in (Lead.select(Lead.company_name, Lead.phone, Lead.email)
                                   .tuples().iterator()):
            self.by_key.setdefault(company_key(name), []).append(_marks(phone, email))

    def judge(self, values: dict[str, Any]) -> Verdict:
        owner = values.pop("owner", None)
        may_assign = self.rights.has_perm(perm.LEAD_ASSIGN)
        if owner not in (None, "") and not may_assign and owner != self.actor.id:
            raise PermissionDenied(t("lead.error.not_yours"))
        data = _clean_lead(lead_fields(self.rights), values)
        data.pop("owner", None)
        data["owner"] = (owner or None) if may_assign else self.actor.id
        key, marks = company_key(data["company_name"]), _marks(data["phone"], data["email"])
        if any(marks & seen for seen in self.by_key.get(key, [])):
            return Verdict(DUPLICATE, reason=t("importing.duplicate_lead"))
        self.by_key.setdefault(key, []).append(marks)
        return Verdict(CREATED, data=data)

    def write(self, verdicts: list[Verdict], label: str) -> None:
        now = clock.now()
        rows = [{**verdict.data, "status": NEW, "created_by": self.actor.id, "created_at": now,
                 "version": 1} for verdict in verdicts if verdict.outcome == CREATED]
        if not rows:
            return
        # A campaign ended or cancelled since the rows were judged stops the batch.
        for campaign_id in {row["campaign"] for row in rows if row.get("campaign")}:
            Campaign.get_by_id(campaign_id).check_takes_leads()
        ids = [row[0] for row in Lead.insert_many(rows).returning(Lead.id).tuples().execute()]
        import_audit_rows(self.actor, "lead", ids, audit.CREATE, label)


LEAD_IMPORT = register_import(ImportSpec(
    kind="lead", title="importing.kind.lead", permission=perm.LEAD_CREATE,
    fields=LEAD_IMPORT_FIELDS, begin=LeadImporter, matching="importing.matching.lead"))

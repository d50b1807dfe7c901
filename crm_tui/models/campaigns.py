"""Marketing campaigns (营销活动管理) and the leads they bring (营销线索).

A campaign (an exhibition, a seminar, a mailing ...) is planned, runs and
ends, or is cancelled: 计划中 planned → 进行中 running → 已结束 done |
已取消 cancelled. Supervisors run campaigns; everyone sees them and their
results, which are worked out from the records, never stored:

- leads: the leads filed under the campaign;
- opportunities: the sales opportunities those leads were converted into;
- won: those opportunities that succeeded (开发成功);
- won amount: the signed contracts (in force, completed or terminated:
  `contracts.SIGNED`) of those opportunities. A contract knows its
  opportunity through the quote it was drafted from (Quote.opportunity and
  Quote.contract), so a contract drafted without a quote counts for no
  campaign;
- cost per lead: actual cost / leads; return on cost: (won amount − actual
  cost) / actual cost. Both blank without an actual cost (or leads).

A lead (线索) is a company that may become a customer: 新线索 new → 已联系
contacted → 已确认 qualified → 已转化 converted, or 无效 disqualified (with a
reason) from any open state. A supervisor assigns a lead to an account
manager, who sees and works own leads; supervisors see and work all,
executives see all. Converting creates a sales opportunity through
`Opportunity.create_by`; when a customer of the same company is on file
(the same `names.company_key`, stored as Customer.name_key), the
opportunity is that customer's (Opportunity.customer, and its name as the
customer's name), so its success creates no second customer.

Every change is one method: it checks the actor's right and the record's
state (the graphs below), then writes with a conditional UPDATE on status
and version, with an audit row, in one transaction. Money is Decimal.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from peewee import (JOIN, SQL, CharField, DateField, DateTimeField, DecimalField,
                    ForeignKeyField, IntegerField, TextField, fn)

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.base import BaseModel, database
from crm_tui.models.contracts import SIGNED, Contract
from crm_tui.models.customers import Customer, active_manager, customers_named, manager_choices
from crm_tui.models.dictionary import REGION, DictionaryEntry
from crm_tui.models.errors import PermissionDenied, ValidationError
from crm_tui.models.kinds import (Action, Column, RecordKind, Transitions, day_text, moment_text,
                                  money, register, user_name)
from crm_tui.models.quotes import Quote
from crm_tui.models.sales import SUCCEEDED, Opportunity
from crm_tui.models.users import User, require, scoped
from crm_tui.models.validation import Field, clean
from crm_tui.models.views import SavedView, customer_views
from crm_tui.models.workflow import StateMachine, Visible, record_id

# The dictionary type of campaign types (展会, 研讨会 ...).
CAMPAIGN_TYPE = "活动类型"

PLANNED, RUNNING, DONE, CANCELLED = "planned", "running", "done", "cancelled"
CAMPAIGN_STATUSES = (PLANNED, RUNNING, DONE, CANCELLED)
# Costs are often known only after the end: a campaign that ended may still
# be edited; a cancelled one is read only.
CAMPAIGN_TRANSITIONS = Transitions([
    (PLANNED, "edit", PLANNED), (RUNNING, "edit", RUNNING), (DONE, "edit", DONE),
    (PLANNED, "start", RUNNING),
    (RUNNING, "finish", DONE),
    (PLANNED, "cancel", CANCELLED), (RUNNING, "cancel", CANCELLED),
])
# A campaign brings leads while it runs and after (they trickle in).
TAKES_LEADS = (RUNNING, DONE)

NEW, CONTACTED, QUALIFIED, CONVERTED, DISQUALIFIED = (
    "new", "contacted", "qualified", "converted", "disqualified")
LEAD_STATUSES = (NEW, CONTACTED, QUALIFIED, CONVERTED, DISQUALIFIED)
OPEN_LEAD = (NEW, CONTACTED, QUALIFIED)
LEAD_TRANSITIONS = Transitions([
    *[(state, "edit", state) for state in OPEN_LEAD],
    *[(state, "assign", state) for state in OPEN_LEAD],
    (NEW, "contact", CONTACTED),
    (CONTACTED, "qualify", QUALIFIED),
    (QUALIFIED, "convert", CONVERTED),
    *[(state, "disqualify", DISQUALIFIED) for state in OPEN_LEAD],
])
# The opportunity a converted lead becomes starts with this success rate
# (percent) unless the form says otherwise.
DEFAULT_SUCCESS_RATE = 20
CENT = Decimal("0.01")


def campaign_status_label(status: str) -> str:
    return t(f"campaign.status.{status}")


def lead_status_label(status: str) -> str:
    return t(f"lead.status.{status}")


# ----- forms ------------------------------------------------------------------

def _user_choices() -> list[tuple[int, str]]:
    query = User.select(User.id, User.display_name).where(User.active == True)  # noqa: E712
    return [(user_id, name) for user_id, name in query.order_by(User.display_name).tuples()]


CAMPAIGN_FIELDS = (
    Field("name", "campaign.name", required=True, max_length=100),
    Field("type", "campaign.type", kind="choice", required=True,
          choices=lambda: DictionaryEntry.choices(CAMPAIGN_TYPE)),
    Field("start_date", "campaign.start_date", kind="date", required=True),
    Field("end_date", "campaign.end_date", kind="date", required=True),
    Field("budget", "campaign.budget", kind="decimal", minimum=0),
    Field("actual_cost", "campaign.actual_cost", kind="decimal", minimum=0),
    Field("owner", "campaign.owner", kind="choice", choices=_user_choices),
    Field("target", "campaign.target", max_length=500, multiline=True),
)


def campaign_fields(actor: User | None) -> tuple[Field, ...]:
    """The campaign form: its target may also be a saved view of customers
    the actor may use (models/views.py)."""
    return CAMPAIGN_FIELDS + (
        Field("target_view", "campaign.target_view", kind="choice",
              choices=lambda: customer_views(actor)),)


def _campaign_choices() -> list[tuple[int, str]]:
    query = (Campaign.select(Campaign.id, Campaign.name)
             .where(Campaign.status.in_(TAKES_LEADS)).order_by(Campaign.start_date.desc()))
    return [(campaign_id, name) for campaign_id, name in query.tuples()]


def lead_fields(actor: User | None, in_campaign: bool = False) -> tuple[Field, ...]:
    """The lead form: a supervisor may give the lead its account manager at
    once; a lead entered on a campaign's screen is that campaign's."""
    fields = [
        Field("company_name", "lead.company_name", required=True, max_length=100),
        Field("contact_name", "lead.contact_name", required=True, max_length=50),
        Field("phone", "lead.phone", kind="phone"),
        Field("email", "lead.email", kind="email", max_length=100),
        Field("region", "lead.region", kind="choice",
              choices=lambda: DictionaryEntry.choices(REGION)),
        Field("note", "lead.note", max_length=2000, multiline=True),
    ]
    if not in_campaign:
        fields.insert(5, Field("campaign", "lead.campaign", kind="choice",
                               choices=_campaign_choices))
    if actor is not None and actor.has_perm(perm.LEAD_ASSIGN):
        fields.insert(5, Field("owner", "lead.owner", kind="choice", choices=manager_choices))
    return tuple(fields)


LEAD_EDIT_FIELDS = tuple(field for field in lead_fields(None) if field.name != "campaign")
ASSIGN_FIELDS = (
    Field("owner", "lead.owner", kind="choice", required=True, choices=manager_choices),
)
DISQUALIFY_FIELDS = (
    Field("reason", "lead.reason", required=True, max_length=1000, multiline=True),
)
CONVERT_FIELDS = (
    Field("summary", "opportunity.summary", required=True, max_length=200),
    Field("success_rate", "opportunity.success_rate", kind="int", required=True,
          minimum=0, maximum=100),
    Field("description", "opportunity.description", required=True, max_length=2000,
          multiline=True),
)


# ----- campaigns --------------------------------------------------------------

class Campaign(Visible, StateMachine, BaseModel):
    name = CharField(max_length=100)
    type = ForeignKeyField(DictionaryEntry, backref="+", on_delete="RESTRICT")
    start_date = DateField()
    end_date = DateField()
    budget = DecimalField(max_digits=14, decimal_places=2, null=True)
    actual_cost = DecimalField(max_digits=14, decimal_places=2, null=True)
    owner = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    # Whom the campaign is for, in words; `target_view` will name a saved
    # customer view (the filters of the customer list) when one is chosen.
    target = CharField(max_length=500, default="")
    target_view = IntegerField(null=True)
    status = CharField(max_length=12, default=PLANNED, index=True)
    created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField(default=clock.now)
    version = IntegerField(default=1)

    i18n_prefix = "campaign"
    status_label = staticmethod(campaign_status_label)
    transitions = CAMPAIGN_TRANSITIONS

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visible_to(cls, user: User | None):
        """Every campaign for whoever may see campaigns; none otherwise."""
        return scoped(cls.select(), user, perm.CAMPAIGN_VIEW, set(), lambda _own: False)

    def check_manageable_by(self, actor: User, action: str) -> None:
        require(actor, perm.CAMPAIGN_MANAGE)
        self._check_state(action)

    def check_takes_leads(self) -> None:
        if self.status not in TAKES_LEADS:
            raise ValidationError({"campaign": t("lead.error.campaign_closed",
                                                 status=campaign_status_label(self.status))})

    @classmethod
    def create_by(cls, actor: User, values: dict[str, Any]) -> "Campaign":
        require(actor, perm.CAMPAIGN_MANAGE)
        data = _clean_campaign(actor, values)
        data["owner"] = data["owner"] or actor.id
        with database.atomic():
            campaign = cls.create(created_by=actor.id, created_at=clock.now(), status=PLANNED,
                                  **data)
            audit.record(actor, "campaign", campaign.id, audit.CREATE)
        return campaign

    def update_by(self, actor: User, values: dict[str, Any]) -> "Campaign":
        self.check_manageable_by(actor, "edit")
        data = _clean_campaign(actor, values, partial=True, current=self)
        with database.atomic():
            changes = audit.diff(self, data)
            self._change_state("edit", data)
            audit.record(actor, "campaign", self.id, audit.UPDATE, changes)
        return Campaign.get_by_id(self.id)

    def start_by(self, actor: User) -> "Campaign":
        return self._move(actor, "start", RUNNING)

    def finish_by(self, actor: User) -> "Campaign":
        return self._move(actor, "finish", DONE)

    def cancel_by(self, actor: User) -> "Campaign":
        return self._move(actor, "cancel", CANCELLED)

    def _move(self, actor: User, action: str, target: str) -> "Campaign":
        self.check_manageable_by(actor, action)
        with database.atomic():
            self._change_state(action, {"status": target})
            audit.record(actor, "campaign", self.id, action, {"status": (self.status, target)})
        return Campaign.get_by_id(self.id)

    def results(self) -> "CampaignResults":
        return campaign_results(self)


def _clean_campaign(actor: User, values: dict[str, Any], partial: bool = False,
                    current: Campaign | None = None) -> dict[str, Any]:
    data = clean(campaign_fields(actor), values, partial=partial)
    errors = {}
    if data.get("target_view") is not None:
        data["target_view"] = record_id(data["target_view"])
        if data["target_view"] not in dict(customer_views(actor)):
            errors["target_view"] = t("error.not_a_choice")
    if "type" in data:
        data["type"] = record_id(data["type"])
        if not (DictionaryEntry.select().where((DictionaryEntry.id == data["type"])
                                               & (DictionaryEntry.type == CAMPAIGN_TYPE))
                .exists()):
            errors["type"] = t("error.not_a_choice")
    start = data.get("start_date", current.start_date if current else None)
    end = data.get("end_date", current.end_date if current else None)
    if start and end and end < start:
        errors["end_date"] = t("campaign.error.end_before_start")
    if data.get("owner") is not None:
        data["owner"] = record_id(data["owner"])
        if not User.select().where((User.id == data["owner"])
                                   & (User.active == True)).exists():  # noqa: E712
            errors["owner"] = t("error.not_a_choice")
    if errors:
        raise ValidationError(errors)
    return data


@dataclass(frozen=True)
class CampaignResults:
    leads: int
    opportunities: int
    won: int
    won_amount: Decimal
    cost: Decimal | None
    cost_per_lead: Decimal | None
    # (won amount − cost) / cost, as a fraction (0.25 is 25 %).
    return_on_cost: Decimal | None


def campaign_opportunities(campaign: Campaign | int):
    """The ids of the opportunities the campaign's leads were converted into."""
    return (Lead.select(Lead.opportunity)
            .where((Lead.campaign == record_id(campaign)) & Lead.opportunity.is_null(False)))


def campaign_results(campaign: Campaign) -> CampaignResults:
    """What the campaign brought, counted in the database (see the module's
    description for what each figure is)."""
    leads = Lead.select().where(Lead.campaign == campaign.id).count()
    brought = campaign_opportunities(campaign)
    opportunities = Opportunity.select().where(Opportunity.id.in_(brought)).count()
    won = (Opportunity.select()
           .where(Opportunity.id.in_(brought) & (Opportunity.status == SUCCEEDED)).count())
    contracts = Quote.select(Quote.contract).where(Quote.opportunity.in_(brought)
                                                   & Quote.contract.is_null(False))
    amount = (Contract.select(fn.SUM(Contract.amount))
              .where(Contract.id.in_(contracts) & Contract.status.in_(SIGNED)).scalar())
    won_amount = Decimal(str(amount or 0)).quantize(CENT)
    cost = None if campaign.actual_cost is None else Decimal(campaign.actual_cost)
    cost_per_lead = (cost / leads).quantize(CENT, ROUND_HALF_UP) if cost is not None and leads \
        else None
    return_on_cost = ((won_amount - cost) / cost).quantize(Decimal("0.0001"), ROUND_HALF_UP) \
        if cost else None
    return CampaignResults(leads, opportunities, won, won_amount, cost, cost_per_lead,
                           return_on_cost)


# ----- leads ------------------------------------------------------------------

class Lead(Visible, StateMachine, BaseModel):
    company_name = CharField(max_length=100)
    contact_name = CharField(max_length=50)
    phone = CharField(max_length=30, default="")
    email = CharField(max_length=100, default="")
    region = ForeignKeyField(DictionaryEntry, null=True, backref="+", on_delete="RESTRICT")
    campaign = ForeignKeyField(Campaign, null=True, backref="leads", on_delete="RESTRICT")
    # The account manager working the lead; none until a supervisor assigns it.
    owner = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    note = TextField(default="")
    status = CharField(max_length=12, default=NEW, index=True)
    disqualify_reason = TextField(default="")
    # What conversion made: the opportunity, and the customer on file it is
    # for (none when the company is new to the CRM).
    opportunity = ForeignKeyField(Opportunity, null=True, backref="+", on_delete="SET NULL")
    customer = ForeignKeyField(Customer, null=True, backref="+", on_delete="SET NULL")
    converted_at = DateTimeField(null=True)
    created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField(default=clock.now)
    version = IntegerField(default=1)

    i18n_prefix = "lead"
    status_label = staticmethod(lead_status_label)
    transitions = LEAD_TRANSITIONS

    def __str__(self) -> str:
        return f"{self.company_name} {self.contact_name}"

    # ----- scope ---------------------------------------------------------
    @classmethod
    def visible_to(cls, user: User | None):
        """All leads with lead.view_all; an account manager's own otherwise."""
        return scoped(cls.select(), user, perm.LEAD_VIEW_ALL, {perm.LEAD_CREATE},
                      lambda own: cls.owner == own.id)

    # ----- checks (the record kind's actions ask these) -------------------
    def check_workable_by(self, actor: User, action: str) -> None:
        """Own leads with lead.create; every lead with lead.view_all too."""
        require(actor, perm.LEAD_CREATE)
        if self.owner_id != actor.id and not actor.has_perm(perm.LEAD_VIEW_ALL):
            raise PermissionDenied(t("lead.error.not_yours"))
        self._check_state(action)

    def check_convertible_by(self, actor: User) -> None:
        self.check_workable_by(actor, "convert")
        require(actor, perm.OPPORTUNITY_CREATE)

    def check_assignable_by(self, actor: User) -> None:
        require(actor, perm.LEAD_ASSIGN)
        self._check_state("assign")

    def _own_unless_all(self, actor: User) -> tuple[Any, ...]:
        """The write's own condition: an account manager's change touches
        only a lead the database says is theirs."""
        if actor.has_perm(perm.LEAD_VIEW_ALL):
            return ()
        return (Lead.owner == actor.id,)

    def _not_yours(self, actor: User):
        def why(current: "Lead") -> Exception | None:
            if current.owner_id != actor.id and not actor.has_perm(perm.LEAD_VIEW_ALL):
                return PermissionDenied(t("lead.error.not_yours"))
            return None
        return why

    # ----- writes --------------------------------------------------------
    @classmethod
    def create_by(cls, actor: User, values: dict[str, Any],
                  campaign: Campaign | None = None) -> "Lead":
        """A new lead; an account manager's is their own, a supervisor's goes
        to the manager the form names (or waits to be assigned)."""
        require(actor, perm.LEAD_CREATE)
        data = _clean_lead(lead_fields(actor, in_campaign=campaign is not None), values)
        if campaign is not None:
            data["campaign"] = campaign.id
        if "owner" not in data:
            data["owner"] = actor.id  # an account manager's lead is their own
        elif data["owner"] is not None:
            data["owner"] = _active_owner(data["owner"])
        with database.atomic():
            _check_campaign(data.get("campaign"))
            lead = cls.create(created_by=actor.id, created_at=clock.now(), status=NEW, **data)
            audit.record(actor, "lead", lead.id, audit.CREATE)
        return lead

    def update_by(self, actor: User, values: dict[str, Any]) -> "Lead":
        self.check_workable_by(actor, "edit")
        data = _clean_lead(LEAD_EDIT_FIELDS, values, partial=True, current=self)
        data.pop("owner", None)  # assigning is a supervisor's own action
        with database.atomic():
            changes = audit.diff(self, data)
            self._change_state("edit", data, *self._own_unless_all(actor),
                               why=self._not_yours(actor))
            audit.record(actor, "lead", self.id, audit.UPDATE, changes)
        return Lead.get_by_id(self.id)

    def assign_by(self, actor: User, values: dict[str, Any]) -> "Lead":
        """A supervisor gives the lead to an active account manager."""
        self.check_assignable_by(actor)
        owner_id = _active_owner(clean(ASSIGN_FIELDS, values)["owner"])
        with database.atomic():
            self._change_state("assign", {"owner": owner_id})
            audit.record(actor, "lead", self.id, "assign", {"owner": (self.owner_id, owner_id)})
        return Lead.get_by_id(self.id)

    def contact_by(self, actor: User) -> "Lead":
        """已联系: someone spoke with the company."""
        return self._move(actor, "contact", CONTACTED)

    def qualify_by(self, actor: User) -> "Lead":
        """已确认: the company has a real need."""
        return self._move(actor, "qualify", QUALIFIED)

    def disqualify_by(self, actor: User, values: dict[str, Any]) -> "Lead":
        """无效: with the reason why."""
        self.check_workable_by(actor, "disqualify")
        reason = clean(DISQUALIFY_FIELDS, values)["reason"]
        with database.atomic():
            self._change_state("disqualify", {"status": DISQUALIFIED,
                                              "disqualify_reason": reason},
                               *self._own_unless_all(actor), why=self._not_yours(actor))
            audit.record(actor, "lead", self.id, "disqualify",
                         {"status": (self.status, DISQUALIFIED), "disqualify_reason": ("", reason)})
        return Lead.get_by_id(self.id)

    def convert_by(self, actor: User, values: dict[str, Any]) -> Opportunity:
        """已转化: a sales opportunity made from the lead, through the
        opportunity's own rule; of the customer on file when one has the
        same company name however spelt, so no second customer comes of it."""
        self.check_convertible_by(actor)
        data = clean(CONVERT_FIELDS, values)
        with database.atomic():
            customer = customers_named(self.company_name).first()
            opportunity = Opportunity.create_by(actor, {
                "source": self.source_text(),
                "customer_name": customer.name if customer else self.company_name,
                "contact": self.contact_name, "contact_phone": self.phone, **data,
            }, customer=customer)
            now = clock.now()
            changes = {"status": CONVERTED, "opportunity": opportunity.id,
                       "customer": customer.id if customer else None, "converted_at": now}
            self._change_state("convert", changes, *self._own_unless_all(actor),
                               why=self._not_yours(actor))
            audit.record(actor, "lead", self.id, "convert",
                         {"status": (self.status, CONVERTED),
                          "opportunity": (None, opportunity.id),
                          "customer": (None, changes["customer"])})
        return opportunity

    def _move(self, actor: User, action: str, target: str) -> "Lead":
        self.check_workable_by(actor, action)
        with database.atomic():
            self._change_state(action, {"status": target}, *self._own_unless_all(actor),
                               why=self._not_yours(actor))
            audit.record(actor, "lead", self.id, action, {"status": (self.status, target)})
        return Lead.get_by_id(self.id)

    # ----- what conversion fills in -----------------------------------------
    def source_text(self) -> str:
        campaign = Campaign.get_or_none(Campaign.id == self.campaign_id)
        text = (t("lead.source_campaign", name=campaign.name) if campaign
                else t("lead.source"))
        return text[:100]

    def convert_prefill(self) -> dict[str, Any]:
        return {"summary": self.company_name, "success_rate": DEFAULT_SUCCESS_RATE,
                "description": self.note or self.company_name}

    def customer_on_file(self) -> Customer | None:
        """The customer this lead's company already is, if any."""
        return customers_named(self.company_name).first()


def _active_owner(value: Any) -> int:
    """The id of the active account manager `value` names; a
    ValidationError at the field "owner" otherwise."""
    try:
        return active_manager(value).id
    except ValidationError as error:
        raise ValidationError({"owner": error.errors["manager"]}) from None


def _clean_lead(fields: tuple[Field, ...], values: dict[str, Any], partial: bool = False,
                current: Lead | None = None) -> dict[str, Any]:
    data = clean(fields, values, partial=partial)
    errors = {}
    phone = data.get("phone", current.phone if current else "")
    email = data.get("email", current.email if current else "")
    if not phone and not email:
        errors["phone"] = errors["email"] = t("lead.error.phone_or_email")
    if data.get("region") is not None:
        data["region"] = record_id(data["region"])
        if not (DictionaryEntry.select().where((DictionaryEntry.id == data["region"])
                                               & (DictionaryEntry.type == REGION)).exists()):
            errors["region"] = t("error.not_a_choice")
    if data.get("campaign") is not None:
        data["campaign"] = record_id(data["campaign"])
        if data["campaign"] is None:
            errors["campaign"] = t("error.not_a_choice")
    if errors:
        raise ValidationError(errors)
    return data


def _check_campaign(campaign_id: int | None) -> None:
    """A lead is filed under a campaign that runs or ran. Inside the
    transaction: read as it is now."""
    if campaign_id is None:
        return
    campaign = Campaign.get_or_none(Campaign.id == campaign_id)
    if campaign is None:
        raise ValidationError({"campaign": t("error.not_a_choice")})
    campaign.check_takes_leads()


def check_new_lead(actor: User, campaign: Campaign | None) -> None:
    """Whether `actor` may enter a lead (on `campaign`'s screen, its lead)."""
    require(actor, perm.LEAD_CREATE)
    if campaign is not None and campaign.status not in TAKES_LEADS:
        raise PermissionDenied(t("lead.error.campaign_closed",
                                 status=campaign_status_label(campaign.status)))


# ----- the record kinds ---------------------------------------------------------

def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{(value * 100).quantize(Decimal('0.1'))}%"


def _target_text(campaign: Campaign) -> str:
    """The target in words, and the saved view of customers it names."""
    view = (SavedView.get_or_none(SavedView.id == campaign.target_view)
            if campaign.target_view else None)
    words = campaign.target.replace("\n", " ")
    if view is None:
        return words
    return f"{words}  [{t('campaign.target_view')}: {view.name}]".strip()


def _campaign_rows(campaign: Campaign) -> list[tuple[str, Any]]:
    """Six lines: the campaign's screen keeps most of its height for the leads."""
    kind_entry = DictionaryEntry.get_or_none(DictionaryEntry.id == campaign.type_id)
    results = campaign.results()
    return [
        ("campaign.type_period", f"{kind_entry.item if kind_entry else ''}  "
                                 f"{day_text(campaign.start_date)} – "
                                 f"{day_text(campaign.end_date)}"),
        ("campaign.owner", user_name(campaign.owner_id)),
        ("campaign.target", _target_text(campaign)),
        ("campaign.money", t("campaign.money_text", budget=money(campaign.budget) or "-",
                             cost=money(campaign.actual_cost) or "-")),
        ("campaign.results", t("campaign.results_text", leads=results.leads,
                               opportunities=results.opportunities, won=results.won,
                               amount=money(results.won_amount))),
        ("campaign.per_lead", t("campaign.per_lead_text",
                                cost=money(results.cost_per_lead) or "-",
                                ret=_percent(results.return_on_cost) or "-")),
    ]


def _campaigns_query(user: User, search: str, within: dict[str, Any]):
    leads = (Lead.select(fn.COUNT(Lead.id)).where(Lead.campaign == Campaign.id))
    kind_entry = DictionaryEntry.alias("campaign_type")
    query = (Campaign.visible_to(user)
             .select_extend(kind_entry.item.alias("type_name"), leads.alias("lead_count"))
             .join_from(Campaign, kind_entry, JOIN.INNER, on=(Campaign.type == kind_entry.id))
             .order_by(Campaign.start_date.desc(), Campaign.id.desc()))
    if within.get("status"):
        query = query.where(Campaign.status == within["status"])
    for word in search.split():
        query = query.where(Campaign.name.contains(word) | Campaign.target.contains(word)
                            | kind_entry.item.contains(word))
    return query


def find_campaigns(user: User, text: str, limit: int) -> list[tuple[int, str, str]]:
    text = text.strip()
    if not text:
        return []
    query = (Campaign.visible_to(user).where(Campaign.name.contains(text))
             .order_by(Campaign.start_date.desc()).limit(limit))
    return [(campaign.id, campaign.name,
             t("campaign.palette", status=campaign_status_label(campaign.status)))
            for campaign in query]


def _campaign_form_values(campaign: Campaign, _actor: User) -> dict[str, Any]:
    return {field.name: campaign.__data__.get(field.name) for field in campaign_fields(_actor)}


CAMPAIGN = register(RecordKind(
    name="campaign", title="campaign.list_title", opens="campaign", child="lead",
    status_filters=CAMPAIGN_STATUSES, status_label=campaign_status_label,
    transitions=CAMPAIGN_TRANSITIONS, changes=("lead",),
    columns=[
        # 76 cells in all: every column in sight at 80x24.
        Column("name", "campaign.name", 17, Campaign.name),
        Column("type_name", "campaign.type", 8, SQL("type_name")),
        Column("start_date", "campaign.start_date", 10, Campaign.start_date, format=day_text),
        Column("end_date", "campaign.end_date", 10, Campaign.end_date, format=day_text),
        Column("status", "campaign.status", 9, Campaign.status, format=campaign_status_label),
        Column("lead_count", "campaign.leads", 5, SQL("lead_count")),
        Column("budget", "campaign.budget", 11, Campaign.budget, format=money),
    ],
    query=_campaigns_query, get=Campaign.get_visible,
    words=lambda campaign: {"name": campaign.name},
    heading=lambda campaign: t("campaign.heading", name=campaign.name,
                               status=campaign_status_label(campaign.status)),
    rows=_campaign_rows, find=find_campaigns,
    actions=[
        Action("new", "n", "campaign.action.new", on_row=False,
               check=lambda _parent, actor: require(actor, perm.CAMPAIGN_MANAGE),
               form=lambda _parent, actor: campaign_fields(actor),
               prefill=lambda _parent, actor: {"owner": actor.id,
                                               "start_date": clock.today().isoformat(),
                                               "end_date": clock.today().isoformat()},
               title="campaign.new_title", done="campaign.created",
               run=lambda _parent, actor, values: Campaign.create_by(actor, values)),
        Action("edit", "e", "campaign.action.edit",
               check=lambda campaign, actor: campaign.check_manageable_by(actor, "edit"),
               form=lambda _campaign, actor: campaign_fields(actor), prefill=_campaign_form_values,
               title="campaign.edit_title", done="campaign.saved",
               run=lambda campaign, actor, values: campaign.update_by(actor, values)),
        Action("start", "g", "campaign.action.start",
               check=lambda campaign, actor: campaign.check_manageable_by(actor, "start"),
               ask="campaign.start_question", done="campaign.started",
               run=lambda campaign, actor, _values: campaign.start_by(actor)),
        Action("finish", "f", "campaign.action.finish",
               check=lambda campaign, actor: campaign.check_manageable_by(actor, "finish"),
               ask="campaign.finish_question", done="campaign.finished",
               run=lambda campaign, actor, _values: campaign.finish_by(actor)),
        Action("cancel", "x", "campaign.action.cancel", in_list=False,
               check=lambda campaign, actor: campaign.check_manageable_by(actor, "cancel"),
               ask="campaign.cancel_question", done="campaign.cancelled",
               run=lambda campaign, actor, _values: campaign.cancel_by(actor)),
    ],
))


def _lead_rows(lead: Lead) -> list[tuple[str, Any]]:
    region = DictionaryEntry.get_or_none(DictionaryEntry.id == lead.region_id)
    campaign = Campaign.get_or_none(Campaign.id == lead.campaign_id)
    rows = [
        ("lead.company_name", lead.company_name),
        ("lead.contact_name", lead.contact_name),
        ("lead.phone", lead.phone),
        ("lead.email", lead.email),
        ("lead.region", region.item if region else ""),
        ("lead.campaign", campaign.name if campaign else ""),
        ("lead.owner", user_name(lead.owner_id) or t("lead.unassigned")),
        ("lead.note", lead.note.replace("\n", " ")),
        ("lead.created_by", f"{user_name(lead.created_by_id)}  {moment_text(lead.created_at)}"),
    ]
    if lead.status == DISQUALIFIED:
        rows.append(("lead.reason", lead.disqualify_reason.replace("\n", " ")))
    if lead.status == CONVERTED:
        opportunity = Opportunity.get_or_none(Opportunity.id == lead.opportunity_id)
        rows.append(("lead.converted_at", moment_text(lead.converted_at)))
        rows.append(("lead.opportunity", str(opportunity) if opportunity else ""))
    customer = (Customer.get_or_none(Customer.id == lead.customer_id) if lead.customer_id
                else lead.customer_on_file() if lead.status in OPEN_LEAD else None)
    if customer is not None:
        rows.append(("lead.customer", f"{customer.name} {customer.number}"))
    return rows


def _leads_query(user: User, search: str, within: dict[str, Any]):
    owner = User.alias("lead_owner")
    query = (Lead.visible_to(user)
             .select_extend(Campaign.name.alias("campaign_name"),
                            owner.display_name.alias("owner_name"))
             .join_from(Lead, Campaign, JOIN.LEFT_OUTER, on=(Lead.campaign == Campaign.id))
             .join_from(Lead, owner, JOIN.LEFT_OUTER, on=(Lead.owner == owner.id))
             .order_by(Lead.id.desc()))
    if within.get("status"):
        query = query.where(Lead.status == within["status"])
    if within.get("parent") is not None:
        query = query.where(Lead.campaign == within["parent"])
    for word in search.split():
        query = query.where(Lead.company_name.contains(word) | Lead.contact_name.contains(word)
                            | Lead.phone.contains(word) | Lead.email.contains(word))
    return query


def find_leads(user: User, text: str, limit: int) -> list[tuple[int, str, str]]:
    text = text.strip()
    if not text:
        return []
    query = (Lead.visible_to(user).where(Lead.company_name.contains(text))
             .order_by(Lead.id.desc()).limit(limit))
    return [(lead.id, f"{lead.company_name} {lead.contact_name}",
             t("lead.palette", status=lead_status_label(lead.status))) for lead in query]


def _lead_form_values(lead: Lead, _actor: User) -> dict[str, Any]:
    return {field.name: lead.__data__.get(field.name) for field in LEAD_EDIT_FIELDS}


def _converted(opportunity: Opportunity) -> str:
    if opportunity.customer_id is not None:
        return t("lead.converted_onto", name=opportunity.customer_name)
    return t("lead.converted", name=opportunity.customer_name)


LEAD = register(RecordKind(
    name="lead", title="lead.list_title", opens="lead", parent="campaign",
    status_filters=LEAD_STATUSES, status_label=lead_status_label,
    transitions=LEAD_TRANSITIONS, changes=("campaign", "opportunity"),
    columns=[
        # 74 cells in all: every column in sight at 80x24.
        Column("company_name", "lead.company_name", 16, Lead.company_name),
        Column("contact_name", "lead.contact_name", 8, Lead.contact_name),
        Column("phone", "lead.phone", 13, Lead.phone),
        Column("campaign_name", "lead.campaign", 12, SQL("campaign_name")),
        Column("owner_name", "lead.owner", 8, SQL("owner_name")),
        Column("status", "lead.status", 12, Lead.status, format=lead_status_label),
    ],
    query=_leads_query, get=Lead.get_visible,
    words=lambda lead: {"name": lead.company_name},
    heading=lambda lead: t("lead.heading", name=lead.company_name,
                           status=lead_status_label(lead.status)),
    rows=_lead_rows, find=find_leads,
    actions=[
        Action("new", "n", "lead.action.new", on_row=False,
               check=lambda campaign, actor: check_new_lead(actor, campaign),
               form=lambda campaign, actor: lead_fields(actor, in_campaign=campaign is not None),
               title="lead.new_title", done="lead.created",
               run=lambda campaign, actor, values: Lead.create_by(actor, values, campaign)),
        Action("edit", "o", "lead.action.edit",
               check=lambda lead, actor: lead.check_workable_by(actor, "edit"),
               form=lambda _lead, _actor: LEAD_EDIT_FIELDS, prefill=_lead_form_values,
               title="lead.edit_title", done="lead.saved",
               run=lambda lead, actor, values: lead.update_by(actor, values)),
        Action("assign", "a", "lead.action.assign",
               check=lambda lead, actor: lead.check_assignable_by(actor),
               form=lambda _lead, _actor: ASSIGN_FIELDS,
               prefill=lambda lead, _actor: {"owner": lead.owner_id},
               title="lead.assign_title", done="lead.assigned",
               run=lambda lead, actor, values: lead.assign_by(actor, values)),
        Action("contact", "c", "lead.action.contact",
               check=lambda lead, actor: lead.check_workable_by(actor, "contact"),
               done="lead.contacted",
               run=lambda lead, actor, _values: lead.contact_by(actor)),
        Action("qualify", "q", "lead.action.qualify",
               check=lambda lead, actor: lead.check_workable_by(actor, "qualify"),
               done="lead.qualified",
               run=lambda lead, actor, _values: lead.qualify_by(actor)),
        Action("convert", "v", "lead.action.convert",
               check=lambda lead, actor: lead.check_convertible_by(actor),
               form=lambda _lead, _actor: CONVERT_FIELDS,
               prefill=lambda lead, _actor: lead.convert_prefill(),
               title="lead.convert_title", done=_converted,
               run=lambda lead, actor, values: lead.convert_by(actor, values)),
        Action("disqualify", "i", "lead.action.disqualify",
               check=lambda lead, actor: lead.check_workable_by(actor, "disqualify"),
               form=lambda _lead, _actor: DISQUALIFY_FIELDS,
               title="lead.disqualify_title", done="lead.disqualified",
               run=lambda lead, actor, values: lead.disqualify_by(actor, values)),
    ],
))

"""Sales opportunities (销售机会) and customer development plans (客户开发计划).

An opportunity goes unassigned → assigned (developing) → succeeded | failed.
It also stands at a stage of the sales funnel (dictionary 商机阶段, each
stage with a default success rate) with an expected amount and close date:
set with the other fields while unassigned, and by the account manager or a
supervisor while it is developed (the "stage" action).
While unassigned its creator or a supervisor may edit or delete it; a
supervisor assigns it to an active account manager, who then plans the
development (plan items with a date and content), records each item's
result, and ends the plan: 开发成功 creates the customer in the same
transaction, 终止开发 marks it failed. Ended plans are read only.

Every change is one method here: it checks the actor's right and the current
state, then writes with a conditional UPDATE (status and version as read), so
two people acting at once cannot both win; the loser gets InvalidTransition
or ConcurrentEdit, never a silent overwrite.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from peewee import (JOIN, SQL, CharField, DateField, DateTimeField, DecimalField, ForeignKeyField,
                    IntegerField, TextField)

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.base import BaseModel, database
from crm_tui.models.customers import (CONTACT_FIELDS, CUSTOMER_FIELDS, Contact, Customer,
                                      active_manager, manager_choices)
from crm_tui.models.dictionary import OPPORTUNITY_STAGE, DictionaryEntry, stage_rate
from crm_tui.models.errors import PermissionDenied, ValidationError
from crm_tui.models.filters import user_match, words_in
from crm_tui.models.kinds import (CHOICE, DATE, LOOKUP, NUMBER, TEXT, Action, Column, FilterField,
                                  RecordKind, Transitions, day_text, labelled_choices, moment_text,
                                  money, register, user_name)
from crm_tui.models.users import User, require, scoped
from crm_tui.models.validation import Field, clean
from crm_tui.models.workflow import (StateMachine, Visible, delete_as_read, record_id,
                                     update_as_read, visible_through)

UNASSIGNED, ASSIGNED, SUCCEEDED, FAILED = "unassigned", "assigned", "succeeded", "failed"
OPPORTUNITY_STATUSES = (UNASSIGNED, ASSIGNED, SUCCEEDED, FAILED)

# The state graph: (from, action, to); None: the opportunity is deleted.
# "plan" is a change of the development plan: the state stays.
OPPORTUNITY_TRANSITIONS = Transitions([
    (UNASSIGNED, "edit", UNASSIGNED),
    (UNASSIGNED, "delete", None),
    (UNASSIGNED, "assign", ASSIGNED),
    (ASSIGNED, "plan", ASSIGNED),
    (ASSIGNED, "stage", ASSIGNED),      # stage, success rate, expected amount and close
    (ASSIGNED, "succeed", SUCCEEDED),   # 开发成功
    (ASSIGNED, "fail", FAILED),         # 终止开发
])


def status_label(status: str) -> str:
    return t(f"opportunity.status.{status}")


def stages():
    """The funnel's stages (dictionary 商机阶段), in funnel order."""
    return DictionaryEntry.of_type(OPPORTUNITY_STAGE)


def stage_choices() -> list[tuple[int, str]]:
    return [(entry.id, f"{entry.item} ({stage_rate(entry)}%)") for entry in stages()]


def first_stage() -> DictionaryEntry | None:
    return stages().first()


def _stage(value: Any) -> DictionaryEntry:
    """The stage a form value names, or a ValidationError at "stage"."""
    found = stages().where(DictionaryEntry.id == record_id(value)).first()
    if found is None:
        raise ValidationError({"stage": t("error.not_a_choice")})
    return found


# The funnel's figures: asked while unassigned with the other fields, and by
# the "stage" action while developing. All optional: an opportunity made
# elsewhere (a converted lead) starts at the first stage, amount unknown.
STAGE_FIELD = Field("stage", "opportunity.stage", kind="choice", choices=stage_choices)
EXPECTED_FIELDS = (
    Field("expected_amount", "opportunity.expected_amount", kind="decimal", minimum=0),
    Field("expected_close", "opportunity.expected_close", kind="date"),
)
# The success rate may be left blank here: the stage's default rate then.
FORECAST_FIELDS = (
    replace(STAGE_FIELD, required=True),
    Field("success_rate", "opportunity.success_rate_or_stage", kind="int", minimum=0,
          maximum=100),
    *EXPECTED_FIELDS,
)

OPPORTUNITY_FIELDS = (
    Field("source", "opportunity.source", max_length=100),
    Field("customer_name", "opportunity.customer_name", required=True, max_length=100),
    Field("success_rate", "opportunity.success_rate", kind="int", required=True,
          minimum=0, maximum=100),
    Field("summary", "opportunity.summary", required=True, max_length=200),
    Field("contact", "opportunity.contact", max_length=50),
    Field("contact_phone", "opportunity.contact_phone", kind="phone"),
    Field("description", "opportunity.description", required=True, max_length=2000,
          multiline=True),
    STAGE_FIELD,
    *EXPECTED_FIELDS,
)
ASSIGN_FIELDS = (
    Field("manager", "opportunity.assigned_to", kind="choice", required=True,
          choices=manager_choices),
)
PLAN_ITEM_FIELDS = (
    Field("date", "plan.date", kind="date", required=True),
    Field("content", "plan.content", required=True, max_length=1000, multiline=True),
)
# The date of a plan item is fixed once it is made.
PLAN_CONTENT_FIELDS = (PLAN_ITEM_FIELDS[1],)
PLAN_RESULT_FIELDS = (
    Field("result", "plan.result", required=True, max_length=1000, multiline=True),
)
# What 开发成功 asks for besides what the opportunity already holds: the
# customer's required fields (its name comes from the opportunity, its
# manager is the account manager) ...
SUCCESS_CUSTOMER_FIELDS = tuple(field for field in CUSTOMER_FIELDS
                                if field.name not in ("name", "manager"))
# ... and, when the opportunity names a contact, that contact person's: the
# fields of a contact (the note left for later), named contact_*.
SUCCESS_CONTACT_FIELDS = tuple(
    replace(field, name=f"contact_{field.name}", label=f"plan.contact_{field.name}")
    for field in CONTACT_FIELDS if field.name != "note")


class Opportunity(Visible, StateMachine, BaseModel):
    source = CharField(max_length=100, default="")
    customer_name = CharField(max_length=100, index=True)
    success_rate = IntegerField()
    summary = CharField(max_length=200)
    contact = CharField(max_length=50, default="")
    contact_phone = CharField(max_length=30, default="")
    description = TextField()
    created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField(default=clock.now)
    assigned_to = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    assigned_at = DateTimeField(null=True)
    status = CharField(max_length=12, default=UNASSIGNED, index=True)
    ended_at = DateTimeField(null=True)
    # The customer created when development succeeded.
    customer = ForeignKeyField(Customer, null=True, backref="+", on_delete="SET NULL")
    version = IntegerField(default=1)
    # The sales funnel (M15): where it stands, what and when it should bring.
    stage = ForeignKeyField(DictionaryEntry, null=True, backref="+", on_delete="RESTRICT")
    expected_amount = DecimalField(max_digits=14, decimal_places=2, null=True)
    expected_close = DateField(null=True)

    class Meta:
        # Covering indexes: the funnel (by state and stage, for a period) and
        # the forecast (by close date, in a manager's scope) read only these,
        # never the wide opportunity rows.
        indexes = (
            (("status", "stage", "created_at", "expected_amount", "created_by", "assigned_to"),
             False),
            (("expected_close", "status", "success_rate", "expected_amount", "created_by",
              "assigned_to"), False),
        )

    # Refusals read "opportunity.error.<action>" with the state's label.
    i18n_prefix = "opportunity"
    status_label = staticmethod(status_label)
    transitions = OPPORTUNITY_TRANSITIONS

    def __str__(self) -> str:
        return f"{self.customer_name}: {self.summary}"

    # ----- scope -------------------------------------------------------
    @classmethod
    def visible_to(cls, user: User | None):
        """Opportunities `user` may see: all with opportunity.view_all, else
        those they created or were assigned; nothing for an unknown role."""
        return scoped(cls.select(), user, perm.OPPORTUNITY_VIEW_ALL,
                      {perm.OPPORTUNITY_CREATE, perm.PLAN_EXECUTE},
                      lambda own: (cls.created_by == own.id) | (cls.assigned_to == own.id))

    # ----- what an actor may do (the record kind's actions ask these) -
    def check_editable_by(self, actor: User, action: str = "edit") -> None:
        """Raise unless `actor` may edit or delete this opportunity now."""
        supervisor = actor is not None and actor.has_perm(perm.OPPORTUNITY_ASSIGN)
        if not supervisor:
            require(actor, perm.OPPORTUNITY_CREATE)
            if self.created_by_id != actor.id:
                raise PermissionDenied(t("opportunity.error.not_creator"))
        self._check_state(action)

    def _own_unless_supervisor(self, actor: User) -> tuple[Any, ...]:
        """The write's own condition: a creator's edit touches only a row the
        database says they created, whatever this copy in memory says."""
        if actor.has_perm(perm.OPPORTUNITY_ASSIGN):
            return ()
        return (Opportunity.created_by == actor.id,)

    def _not_creator(self, actor: User):
        def why(current: "Opportunity") -> Exception | None:
            if current.created_by_id != actor.id and not actor.has_perm(perm.OPPORTUNITY_ASSIGN):
                return PermissionDenied(t("opportunity.error.not_creator"))
            return None
        return why

    def _check_assignable_by(self, actor: User) -> None:
        require(actor, perm.OPPORTUNITY_ASSIGN)
        self._check_state("assign")

    def check_stage_editable_by(self, actor: User) -> None:
        """Raise unless `actor` may change the stage and the expected figures
        now: the opportunity is being developed, and `actor` is its account
        manager or a supervisor."""
        if actor is None or not actor.has_perm(perm.OPPORTUNITY_ASSIGN):
            require(actor, perm.PLAN_EXECUTE)
            if self.assigned_to_id != actor.id:
                raise PermissionDenied(t("plan.error.not_assignee"))
        self._check_state("stage")

    def _assignee_unless_supervisor(self, actor: User) -> tuple[Any, ...]:
        if actor.has_perm(perm.OPPORTUNITY_ASSIGN):
            return ()
        return (Opportunity.assigned_to == actor.id,)

    def weighted_amount(self) -> Decimal | None:
        """The expected amount times the success rate: what the forecast counts."""
        if self.expected_amount is None:
            return None
        return (Decimal(self.expected_amount) * self.success_rate / 100).quantize(Decimal("0.01"))

    def check_plan_open_for(self, actor: User) -> None:
        """Raise unless `actor` may change this opportunity's plan now: the
        plan is open (assigned) and `actor` is its account manager."""
        require(actor, perm.PLAN_EXECUTE)
        self._check_state("plan")
        if self.assigned_to_id != actor.id:
            raise PermissionDenied(t("plan.error.not_assignee"))

    # ----- writes ------------------------------------------------------
    @classmethod
    def create_by(cls, actor: User, values: dict[str, Any],
                  customer: Customer | None = None) -> "Opportunity":
        """A new opportunity; with `customer`, one of that customer already
        on file (a converted lead's), whose success creates no other."""
        require(actor, perm.OPPORTUNITY_CREATE)
        data = clean(OPPORTUNITY_FIELDS, values)
        stage = _stage(data["stage"]) if data["stage"] is not None else first_stage()
        data["stage"] = stage.id if stage is not None else None
        with database.atomic():
            opportunity = cls.create(created_by=actor.id, created_at=clock.now(),
                                     status=UNASSIGNED,
                                     customer=customer.id if customer else None, **data)
            audit.record(actor, "opportunity", opportunity.id, audit.CREATE,
                         {"customer": (None, customer.id)} if customer else None)
        return opportunity

    def update_by(self, actor: User, values: dict[str, Any]) -> "Opportunity":
        """Save edited fields; only while unassigned."""
        self.check_editable_by(actor)
        data = clean(OPPORTUNITY_FIELDS, values, partial=True)
        if data.get("stage") is not None:
            data["stage"] = _stage(data["stage"]).id
        elif "stage" in data:
            data.pop("stage")  # blank: the stage stays
        with database.atomic():
            changes = audit.diff(self, data)
            self._change_state("edit", data, *self._own_unless_supervisor(actor),
                               why=self._not_creator(actor))
            audit.record(actor, "opportunity", self.id, audit.UPDATE, changes)
        return Opportunity.get_by_id(self.id)

    def delete_by(self, actor: User) -> None:
        """Delete an unassigned opportunity (nothing has been done on it yet)."""
        self.check_editable_by(actor, "delete")
        with database.atomic():
            self._delete_in_state("delete", *self._own_unless_supervisor(actor),
                                  why=self._not_creator(actor))
            audit.record(actor, "opportunity", self.id, audit.DELETE,
                         {"summary": (self.summary, "")})

    def assign_by(self, actor: User, manager: User | int | str) -> "Opportunity":
        """A supervisor gives the opportunity to an active account manager."""
        self._check_assignable_by(actor)
        manager_id = active_manager(manager).id
        now = clock.now()
        with database.atomic():
            self._change_state("assign",
                               {"status": ASSIGNED, "assigned_to": manager_id, "assigned_at": now})
            audit.record(actor, "opportunity", self.id, "assign",
                         {"status": (self.status, ASSIGNED), "assigned_to": (None, manager_id),
                          "assigned_at": (None, now)})
        return Opportunity.get_by_id(self.id)

    def set_stage_by(self, actor: User, values: dict[str, Any]) -> "Opportunity":
        """While developing: the stage, success rate, expected amount and
        close date. Moving to another stage brings that stage's default
        success rate, unless another rate is typed in the same change; a
        blank rate is the stage's too."""
        self.check_stage_editable_by(actor)
        data = clean(FORECAST_FIELDS, values, partial=True)
        stage = _stage(data["stage"]) if "stage" in data else _stage(self.stage_id)
        data["stage"] = stage.id
        rate = data.get("success_rate", self.success_rate)
        moved = stage.id != self.stage_id and rate == self.success_rate
        if rate is None or moved:
            data["success_rate"] = stage_rate(stage)
        with database.atomic():
            changes = audit.diff(self, data)
            self._change_state("stage", data, *self._assignee_unless_supervisor(actor),
                               why=self._not_assignee(actor))
            audit.record(actor, "opportunity", self.id, "stage", changes)
        return Opportunity.get_by_id(self.id)

    def _not_assignee(self, actor: User):
        def why(current: "Opportunity") -> Exception | None:
            if current.assigned_to_id != actor.id and not actor.has_perm(perm.OPPORTUNITY_ASSIGN):
                return PermissionDenied(t("plan.error.not_assignee"))
            return None
        return why

    def add_plan_item(self, actor: User, values: dict[str, Any]) -> "PlanItem":
        self.check_plan_open_for(actor)
        data = clean(PLAN_ITEM_FIELDS, values)
        with database.atomic():
            self.hold("plan", Opportunity.assigned_to == actor.id)
            item = PlanItem.create(opportunity=self.id, created_at=clock.now(), **data)
            audit.record(actor, "plan_item", item.id, audit.CREATE,
                         {"opportunity": (None, self.id), "date": (None, item.date),
                          "content": ("", item.content)})
        return item

    def succeed_by(self, actor: User, values: dict[str, Any]) -> Customer:
        """开发成功: the opportunity becomes succeeded and its customer is
        created, in one transaction. `values` holds the customer's fields the
        opportunity lacks (SUCCESS_CUSTOMER_FIELDS) and, when it names a
        contact, the contact person's (SUCCESS_CONTACT_FIELDS)."""
        self.check_plan_open_for(actor)
        if self.customer_id is not None:
            return self._succeed_for_customer(actor)
        fields = self.success_fields()
        # Check the whole form first, so every wrong field is named at once;
        # the customer's and the contact's own rules check again on create.
        clean(fields, values)
        customer_values = {field.name: values.get(field.name) for field in SUCCESS_CUSTOMER_FIELDS}
        customer_values.update(name=self.customer_name, manager=actor.id)
        contact_values = {field.name[len("contact_"):]: values.get(field.name)
                          for field in SUCCESS_CONTACT_FIELDS}
        now = clock.now()
        with database.atomic():
            self._change_state("succeed", {"status": SUCCEEDED, "ended_at": now},
                               Opportunity.assigned_to == actor.id)
            customer = Customer.create_by(actor, customer_values)
            if self.contact:
                try:
                    Contact.create_by(actor, customer, contact_values)
                except ValidationError as error:
                    raise ValidationError({f"contact_{name}": message
                                           for name, message in error.errors.items()}) from None
            Opportunity.update(customer=customer.id).where(Opportunity.id == self.id).execute()
            audit.record(actor, "opportunity", self.id, "succeed",
                         {"status": (self.status, SUCCEEDED), "customer": (None, customer.id)})
        return customer

    def _succeed_for_customer(self, actor: User) -> Customer:
        """开发成功 of an opportunity of a customer already on file: the
        plan ends; no customer is made."""
        with database.atomic():
            self._change_state("succeed", {"status": SUCCEEDED, "ended_at": clock.now()},
                               Opportunity.assigned_to == actor.id)
            audit.record(actor, "opportunity", self.id, "succeed",
                         {"status": (self.status, SUCCEEDED)})
        return Customer.get_by_id(self.customer_id)

    def fail_by(self, actor: User) -> "Opportunity":
        """终止开发: development ends without a customer."""
        self.check_plan_open_for(actor)
        with database.atomic():
            self._change_state("fail", {"status": FAILED, "ended_at": clock.now()},
                               Opportunity.assigned_to == actor.id)
            audit.record(actor, "opportunity", self.id, "fail", {"status": (self.status, FAILED)})
        return Opportunity.get_by_id(self.id)

    # ----- the 开发成功 form ------------------------------------------
    def success_fields(self) -> tuple[Field, ...]:
        if self.customer_id is not None:
            return ()  # the customer is on file already
        if self.contact:
            return SUCCESS_CUSTOMER_FIELDS + SUCCESS_CONTACT_FIELDS
        return SUCCESS_CUSTOMER_FIELDS

    def success_prefill(self) -> dict[str, Any]:
        """What the opportunity already tells about the customer to be."""
        values: dict[str, Any] = {"phone": self.contact_phone}
        if self.contact:
            values.update(contact_name=self.contact, contact_office_phone=self.contact_phone)
        return values


class PlanItem(BaseModel):
    opportunity = ForeignKeyField(Opportunity, backref="plan_items", on_delete="CASCADE")
    date = DateField()
    content = TextField()
    result = TextField(default="")
    created_at = DateTimeField(default=clock.now)
    # Raised by every change; a save that finds another version is stale.
    version = IntegerField(default=1)

    @classmethod
    def of(cls, opportunity: Opportunity | int):
        return cls.select().where(cls.opportunity == opportunity).order_by(cls.date, cls.id)

    def update_content_by(self, actor: User, values: dict[str, Any]) -> "PlanItem":
        """Change the content (计划内容); the date stays as planned."""
        if "date" in values:
            raise ValidationError({"date": t("plan.error.date_fixed")})
        data = clean(PLAN_CONTENT_FIELDS, values)
        return self._change(actor, "content", data["content"])

    def record_result_by(self, actor: User, values: dict[str, Any]) -> "PlanItem":
        """Record what came of this item (执行效果)."""
        data = clean(PLAN_RESULT_FIELDS, values)
        return self._change(actor, "result", data["result"])

    def delete_by(self, actor: User) -> None:
        opportunity = Opportunity.get_by_id(self.opportunity_id)
        opportunity.check_plan_open_for(actor)
        with database.atomic():
            opportunity.hold("plan", Opportunity.assigned_to == actor.id)
            delete_as_read(self, PlanItem.opportunity == opportunity.id,
                           why=self._outside(opportunity))
            audit.record(actor, "plan_item", self.id, audit.DELETE,
                         {"content": (self.content, "")})

    def _change(self, actor: User, name: str, value: str) -> "PlanItem":
        opportunity = Opportunity.get_by_id(self.opportunity_id)
        opportunity.check_plan_open_for(actor)
        with database.atomic():
            opportunity.hold("plan", Opportunity.assigned_to == actor.id)
            update_as_read(self, {name: value}, PlanItem.opportunity == opportunity.id,
                           why=self._outside(opportunity))
            audit.record(actor, "plan_item", self.id, audit.UPDATE,
                         {name: (getattr(self, name), value)})
        return PlanItem.get_by_id(self.id)

    @staticmethod
    def _outside(opportunity: Opportunity):
        """The refusal for an item the database files under another plan
        than the one checked (its opportunity changed in memory)."""
        def why(current: "PlanItem") -> Exception | None:
            if current.opportunity_id != opportunity.id:
                return PermissionDenied(t("plan.error.not_assignee"))
            return None
        return why


def opportunity_list_query(user: User, search: str = ""):
    """Opportunities visible to `user`, with the assignee's name, filtered by
    customer name, summary or contact containing `search`."""
    assignee = User.alias("assignee")
    query = (Opportunity.visible_to(user)
             .select_extend(assignee.display_name.alias("assignee_name"))
             .join_from(Opportunity, assignee, JOIN.LEFT_OUTER,
                        on=(Opportunity.assigned_to == assignee.id))
             .objects())
    search = search.strip()
    if search:
        query = query.where(Opportunity.customer_name.contains(search)
                            | Opportunity.summary.contains(search)
                            | Opportunity.contact.contains(search))
    return query


# ----- the record kinds ----------------------------------------------------
def _opportunity_rows(opportunity: Opportunity) -> list[tuple[str, Any]]:
    rows = [
        ("opportunity.customer_name", opportunity.customer_name),
        ("opportunity.status", status_label(opportunity.status)),
        ("opportunity.success_rate", f"{opportunity.success_rate}%"),
        ("opportunity.stage", _stage_name(opportunity.stage_id)),
        ("opportunity.expected", _expected_text(opportunity)),
        ("opportunity.source", opportunity.source),
        ("opportunity.summary", opportunity.summary),
        ("opportunity.contact", f"{opportunity.contact}  {opportunity.contact_phone}"),
        ("opportunity.description", opportunity.description.replace("\n", " ")),
        ("opportunity.created_by", f"{user_name(opportunity.created_by_id)}  "
                                   f"{moment_text(opportunity.created_at)}"),
        ("opportunity.assigned_to", f"{user_name(opportunity.assigned_to_id)}  "
                                    f"{moment_text(opportunity.assigned_at)}"),
    ]
    if opportunity.ended_at:
        rows.append(("opportunity.ended_at", moment_text(opportunity.ended_at)))
    # The customer its success created, or the one on file it is for.
    customer = Customer.get_or_none(Customer.id == opportunity.customer_id)
    if customer is not None:
        rows.append(("opportunity.customer", f"{customer.name} {customer.number}"))
    return rows


def _stage_name(stage_id: int | None) -> str:
    stage = DictionaryEntry.get_or_none(DictionaryEntry.id == stage_id) if stage_id else None
    return f"{stage.item} ({stage_rate(stage)}%)" if stage else ""


def _expected_text(opportunity: Opportunity) -> str:
    """Expected amount, weighted amount and close date on one line."""
    if opportunity.expected_amount is None and opportunity.expected_close is None:
        return ""
    return t("opportunity.expected_line", amount=money(opportunity.expected_amount),
             weighted=money(opportunity.weighted_amount()),
             close=day_text(opportunity.expected_close))


def _field_value(opportunity: Opportunity, name: str) -> Any:
    return opportunity.stage_id if name == "stage" else getattr(opportunity, name)


def _opportunity_form_values(opportunity: Opportunity) -> dict[str, Any]:
    return {field.name: _field_value(opportunity, field.name) for field in OPPORTUNITY_FIELDS}


def _forecast_form_values(opportunity: Opportunity) -> dict[str, Any]:
    return {field.name: _field_value(opportunity, field.name) for field in FORECAST_FIELDS}


def _new_form_values() -> dict[str, Any]:
    """A new opportunity starts at the first stage (its success rate stays
    to be typed: the SPEC asks for it on every new opportunity)."""
    stage = first_stage()
    return {"stage": stage.id} if stage else {}


def _succeeded(customer: Customer) -> str:
    return t("plan.succeeded", name=customer.name, number=customer.number)


def _opportunities_query(user: User, search: str, _within: dict[str, Any]):
    return opportunity_list_query(user, search).order_by(Opportunity.id.desc())


OPPORTUNITY_FILTERS = (
    FilterField("customer", ("客户", "客户名称"), TEXT, Opportunity.customer_name),
    FilterField("summary", ("概要",), TEXT, Opportunity.summary),
    FilterField("contact", ("联系人",), TEXT, Opportunity.contact),
    FilterField("source", ("来源", "机会来源"), TEXT, Opportunity.source),
    FilterField("rate", ("成功率", "成功机率"), NUMBER, Opportunity.success_rate),
    FilterField("status", ("状态",), CHOICE, Opportunity.status,
                choices=labelled_choices(OPPORTUNITY_STATUSES, "opportunity.status.")),
    FilterField("assignee", ("指派给", "经理"), LOOKUP, match=user_match(Opportunity.assigned_to)),
    FilterField("creator", ("创建人",), LOOKUP, match=user_match(Opportunity.created_by)),
    FilterField("created", ("创建", "创建时间"), DATE, Opportunity.created_at),
)

OPPORTUNITY = register(RecordKind(
    name="opportunity", title="opportunity.title", opens="opportunity", child="plan_item",
    columns=[
        Column("customer_name", "opportunity.customer_name", 16, Opportunity.customer_name,
               max_width=30),
        Column("summary", "opportunity.summary", 16, Opportunity.summary, max_width=60),
        Column("contact", "opportunity.contact", 8, Opportunity.contact),
        Column("success_rate", "opportunity.column.rate", 4, Opportunity.success_rate,
               format=lambda value: "" if value is None else f"{value}%"),
        Column("status", "opportunity.status", 10, Opportunity.status, format=status_label),
        Column("assignee_name", "opportunity.assigned_to", 8, SQL("assignee_name")),
        Column("created_at", "opportunity.column.created", 10, Opportunity.created_at,
               format=day_text),
    ],
    query=_opportunities_query, get=Opportunity.get_visible,
    filters=OPPORTUNITY_FILTERS,
    search=words_in(Opportunity.customer_name, Opportunity.summary, Opportunity.contact),
    transitions=OPPORTUNITY_TRANSITIONS, status_label=status_label,
    words=lambda opportunity: {"name": opportunity.customer_name,
                               "summary": opportunity.summary,
                               "whom": t("plan.whom.on_file" if opportunity.customer_id
                                         else "plan.whom.new")},
    heading=lambda opportunity: t("plan.title", name=opportunity.customer_name,
                                  status=status_label(opportunity.status)),
    rows=_opportunity_rows, changes=("customer",),
    actions=[
        Action("new", "n", "opportunity.action.new", on_row=False,
               check=lambda _parent, actor: require(actor, perm.OPPORTUNITY_CREATE),
               form=lambda _parent, _actor: OPPORTUNITY_FIELDS,
               prefill=lambda _parent, _actor: _new_form_values(),
               title="opportunity.new_title", done="opportunity.created",
               run=lambda _parent, actor, values: Opportunity.create_by(actor, values)),
        Action("edit", "e", "opportunity.action.edit",
               check=lambda opportunity, actor: opportunity.check_editable_by(actor),
               form=lambda _opportunity, _actor: OPPORTUNITY_FIELDS,
               prefill=lambda opportunity, _actor: _opportunity_form_values(opportunity),
               title="opportunity.edit_title", done="opportunity.saved",
               run=lambda opportunity, actor, values: opportunity.update_by(actor, values)),
        Action("assign", "a", "opportunity.action.assign",
               check=lambda opportunity, actor: opportunity._check_assignable_by(actor),
               form=lambda _opportunity, _actor: ASSIGN_FIELDS,
               title="opportunity.assign_title", done="opportunity.assigned",
               run=lambda opportunity, actor, values: opportunity.assign_by(
                   actor, values.get("manager"))),
        # While developing: where it stands in the funnel, what and when.
        Action("stage", "g", "opportunity.action.stage", in_list=False,
               check=lambda opportunity, actor: opportunity.check_stage_editable_by(actor),
               form=lambda _opportunity, _actor: FORECAST_FIELDS,
               prefill=lambda opportunity, _actor: _forecast_form_values(opportunity),
               title="opportunity.stage_title", done="opportunity.saved",
               run=lambda opportunity, actor, values: opportunity.set_stage_by(actor, values)),
        # 开发成功: a form for what the new customer needs beyond what the
        # opportunity tells; saving creates the customer and ends the plan.
        Action("succeed", "c", "plan.action.succeed", in_list=False,
               check=lambda opportunity, actor: opportunity.check_plan_open_for(actor),
               form=lambda opportunity, _actor: opportunity.success_fields(),
               prefill=lambda opportunity, _actor: opportunity.success_prefill(),
               title="plan.succeed_title", done=_succeeded,
               run=lambda opportunity, actor, values: opportunity.succeed_by(actor, values)),
        # 终止开发
        Action("fail", "f", "plan.action.fail", in_list=False,
               check=lambda opportunity, actor: opportunity.check_plan_open_for(actor),
               ask="plan.fail_question", done="plan.failed",
               run=lambda opportunity, actor, _values: opportunity.fail_by(actor)),
        Action("delete", "d", "opportunity.action.delete", leaves=True,
               check=lambda opportunity, actor: opportunity.check_editable_by(actor, "delete"),
               ask="opportunity.delete_question", done="opportunity.deleted",
               run=lambda opportunity, actor, _values: opportunity.delete_by(actor)),
    ],
))


def _plan_items(_user: User, search: str, within: dict[str, Any]):
    items = PlanItem.of(within.get("parent"))
    search = search.strip()
    if search:
        items = items.where(PlanItem.content.contains(search) | PlanItem.result.contains(search))
    return items


def _check_plan_item(item: PlanItem, actor: User) -> None:
    Opportunity.get_by_id(item.opportunity_id).check_plan_open_for(actor)


PLAN_ITEM = register(RecordKind(
    name="plan_item", title="plan.items", parent="opportunity", changes=("opportunity",),
    columns=[
        Column("date", "plan.date", 10, PlanItem.date, format=day_text),
        Column("content", "plan.content", 34, PlanItem.content, max_width=70),
        Column("result", "plan.result", 30, PlanItem.result, max_width=70),
    ],
    query=_plan_items, get=visible_through(PlanItem.opportunity),
    words=lambda item: {"date": day_text(item.date), "content": item.content},
    actions=[
        Action("add", "a", "plan.action.add", on_row=False,
               check=lambda opportunity, actor: opportunity.check_plan_open_for(actor),
               form=lambda _opportunity, _actor: PLAN_ITEM_FIELDS,
               title="plan.add_title", done="plan.item_added",
               run=lambda opportunity, actor, values: opportunity.add_plan_item(actor, values)),
        Action("edit", "e", "plan.action.edit", check=_check_plan_item,
               form=lambda _item, _actor: PLAN_CONTENT_FIELDS,
               prefill=lambda item, _actor: {"content": item.content},
               title="plan.edit_title", done="plan.item_saved",
               run=lambda item, actor, values: item.update_content_by(actor, values)),
        Action("result", "r", "plan.action.result", check=_check_plan_item,
               form=lambda _item, _actor: PLAN_RESULT_FIELDS,
               prefill=lambda item, _actor: {"result": item.result},
               title="plan.result_title", done="plan.item_saved",
               run=lambda item, actor, values: item.record_result_by(actor, values)),
        Action("delete", "d", "plan.action.delete", check=_check_plan_item,
               ask="plan.delete_question", done="plan.item_deleted",
               run=lambda item, actor, _values: item.delete_by(actor)),
    ],
))

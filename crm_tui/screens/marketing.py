"""Marketing (营销管理): the sales opportunity list, and one opportunity with
its customer development plan.

The keys for an action show in the footer only when the signed-in user may
take it on the record under the cursor (the model answers: `can_edit`,
`can_assign`, `can_plan`); the model checks again when saving, so a record
changed by someone else meanwhile is refused with its reason.
"""
from __future__ import annotations

from peewee import SQL
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from crm_tui.i18n import t
from crm_tui.models import permissions as perm
from crm_tui.models.customers import Customer
from crm_tui.models.errors import CrmError
from crm_tui.models.sales import (ASSIGN_FIELDS, OPPORTUNITY_FIELDS, PLAN_CONTENT_FIELDS,
                                  PLAN_ITEM_FIELDS, PLAN_RESULT_FIELDS, Opportunity, PlanItem,
                                  opportunity_list_query, status_label)
from crm_tui.screens.record_actions import (RecordActions, RecordList, WatchedTable, day_text,
                                            moment_text, user_name)
from crm_tui.widgets.lazy_table import Column, QuerySource


# ----- the list ---------------------------------------------------------------

OPPORTUNITY_COLUMNS = [
    Column("customer_name", "opportunity.customer_name", 16, Opportunity.customer_name),
    Column("summary", "opportunity.summary", 16, Opportunity.summary),
    Column("contact", "opportunity.contact", 8, Opportunity.contact),
    Column("success_rate", "opportunity.column.rate", 4, Opportunity.success_rate,
           format=lambda value: "" if value is None else f"{value}%"),
    Column("status", "opportunity.status", 10, Opportunity.status, format=status_label),
    Column("assignee_name", "opportunity.assigned_to", 8, SQL("assignee_name")),
    Column("created_at", "opportunity.column.created", 10, Opportunity.created_at,
           format=day_text),
]


class OpportunityListScreen(RecordList, Screen):
    """销售机会: the opportunities the user may see, newest first; filter
    ("/") by customer name, summary or contact."""

    ACTIONS = {"new", "edit", "delete", "assign"}
    BINDINGS = [
        Binding("n", "new", t("opportunity.action.new"), id="opportunity.new"),
        Binding("e", "edit", t("opportunity.action.edit"), id="opportunity.edit"),
        Binding("d", "delete", t("opportunity.action.delete"), id="opportunity.delete"),
        Binding("a", "assign", t("opportunity.action.assign"), id="opportunity.assign"),
    ]

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(
            lambda text: opportunity_list_query(user, text).order_by(Opportunity.id.desc()),
            OPPORTUNITY_COLUMNS)
        yield Static(t("opportunity.title"), classes="screen-title")
        yield WatchedTable(source, id="opportunity-table")
        yield Footer()

    def on_mount(self) -> None:
        self.table.focus()
        self.refresh_allowed()

    def record_screen(self, record_id: int) -> Screen:
        return OpportunityPlanScreen(record_id)

    def selected(self) -> Opportunity | None:
        row_id = self.table.current_row_id
        if row_id is None:
            return None
        return Opportunity.visible_to(self.app.user).where(Opportunity.id == row_id).first()

    def allowed_actions(self) -> set[str]:
        user = self.app.user
        allowed = {"new"} if user.has_perm(perm.OPPORTUNITY_CREATE) else set()
        opportunity = self.selected()
        if opportunity is not None:
            if opportunity.can_edit(user):
                allowed |= {"edit", "delete"}
            if opportunity.can_assign(user):
                allowed.add("assign")
        return allowed

    def action_new(self) -> None:
        user = self.app.user
        self.open_form(t("opportunity.new_title"), OPPORTUNITY_FIELDS, {},
                       lambda values: Opportunity.create_by(user, values), "opportunity.created")

    def action_edit(self) -> None:
        opportunity, user = self.selected(), self.app.user
        if opportunity is None:
            return
        values = {field.name: getattr(opportunity, field.name) for field in OPPORTUNITY_FIELDS}
        self.open_form(t("opportunity.edit_title", name=opportunity.customer_name),
                       OPPORTUNITY_FIELDS, values,
                       lambda changed: opportunity.update_by(user, changed), "opportunity.saved")

    def action_delete(self) -> None:
        opportunity, user = self.selected(), self.app.user
        if opportunity is None:
            return
        self.ask_then_run(t("opportunity.delete_question", name=opportunity.customer_name,
                            summary=opportunity.summary),
                          lambda: opportunity.delete_by(user), t("opportunity.deleted"))

    def action_assign(self) -> None:
        opportunity, user = self.selected(), self.app.user
        if opportunity is None:
            return
        self.open_form(t("opportunity.assign_title", name=opportunity.customer_name),
                       ASSIGN_FIELDS, {},
                       lambda values: opportunity.assign_by(user, values.get("manager")),
                       "opportunity.assigned")


# ----- one opportunity and its plan ------------------------------------------

PLAN_COLUMNS = [
    Column("date", "plan.date", 10, PlanItem.date, format=day_text),
    Column("content", "plan.content", 34, PlanItem.content),
    Column("result", "plan.result", 30, PlanItem.result),
]


class OpportunityPlanScreen(RecordActions, Screen):
    """客户开发计划: the opportunity's details above its plan items. Its
    account manager adds, edits (the content) and deletes items, records
    each item's result (执行效果), and ends the plan with 开发成功 or 终止开发;
    for everyone else, and once ended, the screen is read only."""

    ACTIONS = {"add_item", "edit_item", "record_result", "delete_item", "succeed", "fail"}
    BINDINGS = [
        Binding("a", "add_item", t("plan.action.add"), id="plan.add"),
        Binding("e", "edit_item", t("plan.action.edit"), id="plan.edit"),
        Binding("r", "record_result", t("plan.action.result"), id="plan.result"),
        Binding("d", "delete_item", t("plan.action.delete"), id="plan.delete"),
        Binding("c", "succeed", t("plan.action.succeed"), id="plan.succeed"),
        Binding("f", "fail", t("plan.action.fail"), id="plan.fail"),
    ]

    def __init__(self, opportunity_id: int):
        super().__init__()
        self.opportunity_id = opportunity_id
        self.opportunity: Opportunity | None = None

    def compose(self) -> ComposeResult:
        source = QuerySource(lambda text: plan_items(self.opportunity_id, text), PLAN_COLUMNS)
        yield Static("", id="plan-title", classes="screen-title")
        yield Static("", id="plan-details")
        yield Static(t("plan.items"), classes="section-title")
        yield WatchedTable(source, id="plan-table")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(WatchedTable).focus()
        self.record_changed(reload_items=False)

    @property
    def table(self) -> WatchedTable:
        return self.query_one(WatchedTable)

    def record_changed(self, reload_items: bool = True) -> None:
        """Read the opportunity again and show it as it is now."""
        try:
            self.opportunity = Opportunity.get_visible(self.app.user, self.opportunity_id)
        except CrmError as error:
            self.opportunity = None
            self.query_one("#plan-details", Static).update(str(error))
        else:
            opportunity = self.opportunity
            self.query_one("#plan-title", Static).update(Text(t(
                "plan.title", name=opportunity.customer_name,
                status=status_label(opportunity.status))))
            self.query_one("#plan-details", Static).update(details_text(opportunity))
        if reload_items:
            self.table.reload()
        self.refresh_allowed()

    def allowed_actions(self) -> set[str]:
        opportunity = self.opportunity
        if opportunity is None or not opportunity.can_plan(self.app.user):
            return set()
        allowed = {"add_item", "succeed", "fail"}
        if self.table.current_row_id is not None:
            allowed |= {"edit_item", "record_result", "delete_item"}
        return allowed

    def selected_item(self) -> PlanItem | None:
        row_id = self.table.current_row_id
        if row_id is None:
            return None
        return PlanItem.get_or_none((PlanItem.id == row_id)
                                    & (PlanItem.opportunity == self.opportunity_id))

    def action_add_item(self) -> None:
        opportunity, user = self.opportunity, self.app.user
        if opportunity is None:
            return
        self.open_form(t("plan.add_title"), PLAN_ITEM_FIELDS, {},
                       lambda values: opportunity.add_plan_item(user, values), "plan.item_added")

    def action_edit_item(self) -> None:
        item, user = self.selected_item(), self.app.user
        if item is None:
            return
        self.open_form(t("plan.edit_title", date=day_text(item.date)), PLAN_CONTENT_FIELDS,
                       {"content": item.content},
                       lambda values: item.update_content_by(user, values), "plan.item_saved")

    def action_record_result(self) -> None:
        item, user = self.selected_item(), self.app.user
        if item is None:
            return
        self.open_form(t("plan.result_title", date=day_text(item.date), content=item.content),
                       PLAN_RESULT_FIELDS, {"result": item.result},
                       lambda values: item.record_result_by(user, values), "plan.item_saved")

    def action_delete_item(self) -> None:
        item, user = self.selected_item(), self.app.user
        if item is None:
            return
        self.ask_then_run(t("plan.delete_question", date=day_text(item.date),
                            content=item.content),
                          lambda: item.delete_by(user), t("plan.item_deleted"))

    def action_succeed(self) -> None:
        """开发成功: a form for what the new customer needs beyond what the
        opportunity tells; saving creates the customer and ends the plan."""
        opportunity, user = self.opportunity, self.app.user
        if opportunity is None:
            return
        self.open_form(t("plan.succeed_title", name=opportunity.customer_name),
                       opportunity.success_fields(), opportunity.success_prefill(),
                       lambda values: opportunity.succeed_by(user, values),
                       lambda customer: t("plan.succeeded", name=customer.name,
                                          number=customer.number))

    def action_fail(self) -> None:
        opportunity, user = self.opportunity, self.app.user
        if opportunity is None:
            return
        self.ask_then_run(t("plan.fail_question", name=opportunity.customer_name),
                          lambda: opportunity.fail_by(user), t("plan.failed"))


def plan_items(opportunity_id: int, search: str):
    items = PlanItem.of(opportunity_id)
    if search:
        items = items.where(PlanItem.content.contains(search) | PlanItem.result.contains(search))
    return items


def details_text(opportunity: Opportunity) -> Text:
    """The opportunity's fields, a few to a line, for above the plan."""
    lines = [
        [("opportunity.customer_name", opportunity.customer_name),
         ("opportunity.success_rate", f"{opportunity.success_rate}%"),
         ("opportunity.source", opportunity.source)],
        [("opportunity.summary", opportunity.summary)],
        [("opportunity.contact", opportunity.contact),
         ("opportunity.contact_phone", opportunity.contact_phone)],
        [("opportunity.description", opportunity.description)],
        [("opportunity.created_by", user_name(opportunity.created_by_id)),
         ("opportunity.created_at", moment_text(opportunity.created_at))],
        [("opportunity.assigned_to", user_name(opportunity.assigned_to_id)),
         ("opportunity.assigned_at", moment_text(opportunity.assigned_at))],
    ]
    if opportunity.ended_at:
        ended = [("opportunity.ended_at", moment_text(opportunity.ended_at))]
        customer = Customer.get_or_none(Customer.id == opportunity.customer_id)
        if customer is not None:
            ended.append(("opportunity.customer", f"{customer.name} {customer.number}"))
        lines.append(ended)
    text = Text()
    for line in lines:
        for position, (label_key, value) in enumerate(line):
            if position:
                text.append("  ")
            text.append(f"{t(label_key)}: ", style="bold")
            text.append(str(value or "").replace("\n", " "))
        text.append("\n")
    text.rstrip()
    return text

"""Contracts (合同管理: 录入, 审批, 执行): entry, approval, the payment plan
(回款计划) and the payments received (回款).

States: draft → submitted → approved → in force → completed | terminated;
a submitted contract may be rejected (with a comment) and is then revised
and submitted again. A supervisor approves; above the executive approval
amount an executive approves after the supervisor. Nobody approves a
contract they created, and every step is kept with who, when and comment.

The instalments of the plan must add up to the amount before submitting.
Payments are recorded against an instalment while the contract is in
force; a payment beyond what is still due is refused; once everything is
paid the contract is completed.

Every transition is one method: it checks the actor's right and the
contract's state (the state graph below), then writes with a conditional
UPDATE on status and version, with an audit row, in one transaction.
Money is Decimal throughout.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from peewee import (JOIN, SQL, CharField, DateField, DateTimeField, DecimalField,
                    ForeignKeyField, IntegerField, TextField, fn)

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.base import BaseModel, database, is_postgres
from crm_tui.models.customers import Contact, Customer, customer_text_match
from crm_tui.models.dictionary import DictionaryEntry
from crm_tui.models.errors import NotFound, PermissionDenied, ValidationError
from crm_tui.models.filters import user_match, words_in
from crm_tui.models.kinds import (CHOICE, DATE, LOOKUP, NUMBER, TEXT, Action, Column, FilterField,
                                  RecordKind, Transitions, day_text, labelled_choices, moment_text,
                                  money, register, user_name)
from crm_tui.models.numbering import next_number
from crm_tui.models.users import User, require, scoped
from crm_tui.models.validation import Field, cents, clean
from crm_tui.models.workflow import (StateMachine, Visible, record_id, visible_through,
                                     within_scope)

DRAFT, SUBMITTED, REJECTED, APPROVED = "draft", "submitted", "rejected", "approved"
IN_FORCE, COMPLETED, TERMINATED = "in_force", "completed", "terminated"
CONTRACT_STATUSES = (DRAFT, SUBMITTED, REJECTED, APPROVED, IN_FORCE, COMPLETED, TERMINATED)
# The dictionary type of the ways a payment arrives.
PAYMENT_METHOD = "回款方式"
# Above this amount an executive approves after the supervisor
# (config.yaml: contracts.executive_approval_amount).
executive_approval_amount = Decimal("1000000")

# The state graph: (from, action, to). "approve" by the supervisor of a
# large contract leaves it submitted, waiting for the executive.
CONTRACT_TRANSITIONS = Transitions([
    (DRAFT, "edit", DRAFT), (REJECTED, "edit", REJECTED),
    (DRAFT, "plan", DRAFT), (REJECTED, "plan", REJECTED),
    (DRAFT, "delete", None),
    (DRAFT, "submit", SUBMITTED), (REJECTED, "submit", SUBMITTED),
    (SUBMITTED, "approve", SUBMITTED), (SUBMITTED, "approve", APPROVED),
    (SUBMITTED, "reject", REJECTED),
    (APPROVED, "sign", IN_FORCE),
    (IN_FORCE, "pay", IN_FORCE), (IN_FORCE, "pay", COMPLETED),
    (APPROVED, "terminate", TERMINATED), (IN_FORCE, "terminate", TERMINATED),
])


def status_label(status: str) -> str:
    return t(f"contract.status.{status}")


def set_executive_approval_amount(amount: Decimal) -> None:
    global executive_approval_amount
    executive_approval_amount = Decimal(amount)


def _customer_choices(user: User) -> list[tuple[int, str]]:
    query = (Customer.visible_to(user).select(Customer.id, Customer.name)
             .order_by(Customer.name))
    return [(customer_id, name) for customer_id, name in query.tuples()]


def _signer_choices(customer_id: int | None) -> list[tuple[int, str]]:
    query = (Contact.select(Contact.id, Contact.name).where(Contact.customer == customer_id)
             .order_by(Contact.name))
    return [(contact_id, name) for contact_id, name in query.tuples()]


def _user_choices() -> list[tuple[int, str]]:
    query = User.select(User.id, User.display_name).where(User.active == True)  # noqa: E712
    return [(user_id, name) for user_id, name in query.order_by(User.display_name).tuples()]


def contract_fields(actor: User, customer_id: int | None = None) -> tuple[Field, ...]:
    """The contract form; a new contract picks its customer, an existing one
    keeps it (its signer is a contact of that customer)."""
    fields = [
        Field("title", "contract.title", required=True, max_length=200),
        Field("amount", "contract.amount", kind="decimal", required=True, minimum=0),
        Field("start_date", "contract.start_date", kind="date", required=True),
        Field("end_date", "contract.end_date", kind="date", required=True),
        Field("payment_terms", "contract.payment_terms", max_length=500),
        Field("our_signer", "contract.our_signer", kind="choice", choices=_user_choices),
        Field("customer_signer", "contract.customer_signer", kind="choice",
              choices=lambda: _signer_choices(customer_id)),
        Field("note", "contract.note", max_length=2000, multiline=True),
    ]
    if customer_id is None:
        fields.insert(1, Field("customer", "contract.customer", kind="choice", required=True,
                               choices=lambda: _customer_choices(actor)))
    return tuple(fields)


CONTRACT_FIELDS = contract_fields(None, None)
COMMENT_FIELDS = (Field("comment", "contract.comment", max_length=1000, multiline=True),)
REJECT_FIELDS = (Field("comment", "contract.comment", required=True, max_length=1000,
                       multiline=True),)
SIGN_FIELDS = (Field("sign_date", "contract.sign_date", kind="date", required=True),)
TERMINATE_FIELDS = (Field("reason", "contract.reason", required=True, max_length=1000,
                          multiline=True),)
INSTALMENT_FIELDS = (
    Field("due_date", "instalment.due_date", kind="date", required=True),
    Field("amount", "instalment.amount", kind="decimal", required=True, minimum=0),
    Field("note", "instalment.note", max_length=200),
)
PAYMENT_FIELDS = (
    Field("date", "payment.date", kind="date", required=True),
    Field("amount", "payment.amount", kind="decimal", required=True, minimum=0),
    Field("method", "payment.method", kind="choice", required=True,
          choices=lambda: DictionaryEntry.choices(PAYMENT_METHOD)),
    Field("reference", "payment.reference", max_length=100),
)


class Contract(Visible, StateMachine, BaseModel):
    number = CharField(max_length=20, unique=True)
    title = CharField(max_length=200)
    customer = ForeignKeyField(Customer, backref="contracts", on_delete="RESTRICT")
    amount = DecimalField(max_digits=14, decimal_places=2)
    start_date = DateField()
    end_date = DateField()
    sign_date = DateField(null=True)
    payment_terms = CharField(max_length=500, default="")
    our_signer = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    customer_signer = ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
    note = TextField(default="")
    status = CharField(max_length=12, default=DRAFT, index=True)
    created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField(default=clock.now)
    # Set when the supervisor approved a contract that an executive must
    # approve too.
    supervisor_approved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    termination_reason = TextField(default="")
    version = IntegerField(default=1)

    i18n_prefix = "contract"
    status_label = staticmethod(status_label)
    transitions = CONTRACT_TRANSITIONS

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    # ----- scope -------------------------------------------------------
    @classmethod
    def visible_to(cls, user: User | None):
        """All contracts with contract.view_all; else those of own customers."""
        query = cls.select().join(Customer, on=(cls.customer == Customer.id))
        return scoped(query, user, perm.CONTRACT_VIEW_ALL, {perm.CONTRACT_CREATE},
                      lambda own: Customer.manager == own.id)

    # ----- figures -----------------------------------------------------
    def planned_total(self) -> Decimal:
        return cents(Instalment.select(fn.SUM(Instalment.amount))
                     .where(Instalment.contract == self.id).scalar())

    def received_total(self) -> Decimal:
        return cents(Payment.select(fn.SUM(Payment.amount))
                     .where(Payment.contract == self.id).scalar())

    def needs_executive(self) -> bool:
        return Decimal(self.amount) > executive_approval_amount

    # ----- checks (the screens ask these too) ---------------------------
    def check_owner(self, actor: User, action: str) -> None:
        """The right to draft contracts, on an own customer's contract
        (read in the database, not from this copy)."""
        require(actor, perm.CONTRACT_CREATE)
        self._check_state(action)
        manager_id = (Customer.select(Customer.manager).where(Customer.id == self.customer_id)
                      .scalar())
        if manager_id != actor.id and not actor.has_perm(perm.CONTRACT_VIEW_ALL):
            raise PermissionDenied(t("error.not_your_customer"))

    def check_approvable_by(self, actor: User) -> None:
        """A supervisor first; an executive second when the amount needs
        one; never the contract's creator."""
        self._check_state("approve")
        if self.created_by_id == actor.id:
            raise PermissionDenied(t("contract.error.own_contract"))
        if self.supervisor_approved_by_id is None:
            require(actor, perm.CONTRACT_APPROVE)
        else:
            require(actor, perm.CONTRACT_APPROVE_LARGE)
            if self.supervisor_approved_by_id == actor.id:
                raise PermissionDenied(t("contract.error.approved_already"))

    def check_rejectable_by(self, actor: User) -> None:
        self._check_state("reject")
        if self.created_by_id == actor.id:
            raise PermissionDenied(t("contract.error.own_contract"))
        needed = (perm.CONTRACT_APPROVE if self.supervisor_approved_by_id is None
                  else perm.CONTRACT_APPROVE_LARGE)
        require(actor, needed)

    # ----- writes ------------------------------------------------------
    @classmethod
    def create_by(cls, actor: User, values: dict[str, Any]) -> "Contract":
        require(actor, perm.CONTRACT_CREATE)
        data = _clean_contract(actor, values, contract_fields(actor))
        customer = Customer.visible_to(actor).where(Customer.id == data["customer"]).first()
        if customer is None:
            raise ValidationError({"customer": t("error.not_a_choice")})
        if customer.manager_id != actor.id and not actor.has_perm(perm.CONTRACT_VIEW_ALL):
            raise ValidationError({"customer": t("error.not_your_customer")})
        _check_signer(data, customer.id)
        return cls._draft(actor, actor.id, data)

    @classmethod
    def draft_for_quote(cls, actor: User, values: dict[str, Any]) -> "Contract":
        """The draft an accepted quote becomes. Accepting is the quote's
        right (a supervisor accepts any quote); the draft is the customer's
        account manager's, who adds the plan and submits it, so that the
        supervisor can still approve it. Called by `Quote.accept_by` only,
        after its own checks."""
        data = _clean_contract(actor, values, contract_fields(actor))
        manager_id = (Customer.select(Customer.manager).where(Customer.id == data["customer"])
                      .scalar())
        return cls._draft(actor, manager_id, data)

    @classmethod
    def _draft(cls, actor: User, owner_id: int, data: dict[str, Any]) -> "Contract":
        with database.atomic():
            contract = cls.create(number=next_number(Contract.number, "HT"), created_by=owner_id,
                                  created_at=clock.now(), status=DRAFT, **data)
            audit.record(actor, "contract", contract.id, audit.CREATE)
        return contract

    def update_by(self, actor: User, values: dict[str, Any]) -> "Contract":
        self.check_owner(actor, "edit")
        data = _clean_contract(actor, values, contract_fields(actor, self.customer_id),
                               partial=True)
        _check_signer(data, self.customer_id)
        with database.atomic():
            changes = audit.diff(self, data)
            self._change_state("edit", data)
            audit.record(actor, "contract", self.id, audit.UPDATE, changes)
        return Contract.get_by_id(self.id)

    def delete_by(self, actor: User) -> None:
        self.check_owner(actor, "delete")
        with database.atomic():
            Instalment.delete().where(Instalment.contract == self.id).execute()
            self._delete_in_state("delete")
            audit.record(actor, "contract", self.id, audit.DELETE, {"title": (self.title, "")})

    def submit_by(self, actor: User) -> "Contract":
        """待审批: only with a payment plan that adds up to the amount."""
        self.check_owner(actor, "submit")
        with database.atomic():
            # The row is held first, so no instalment changes while summing.
            self._change_state("submit", {"status": SUBMITTED,
                                          "supervisor_approved_by": None})
            planned = self.planned_total()
            if planned != Decimal(self.amount):
                raise ValidationError({"plan": t("contract.error.plan_total",
                                                 planned=money(planned),
                                                 amount=money(self.amount))})
            self._step(actor, "submit", "")
        return Contract.get_by_id(self.id)

    def approve_by(self, actor: User, values: dict[str, Any]) -> "Contract":
        self.check_approvable_by(actor)
        comment = clean(COMMENT_FIELDS, values)["comment"]
        first_of_two = self.supervisor_approved_by_id is None and self.needs_executive()
        with database.atomic():
            if first_of_two:
                # Waits for the executive; the version check keeps two
                # supervisors from both approving.
                self._change_state("approve", {"supervisor_approved_by": actor.id},
                                   Contract.supervisor_approved_by.is_null())
            else:
                self._change_state("approve", {"status": APPROVED})
            self._step(actor, "approve", comment)
        return Contract.get_by_id(self.id)

    def reject_by(self, actor: User, values: dict[str, Any]) -> "Contract":
        self.check_rejectable_by(actor)
        comment = clean(REJECT_FIELDS, values)["comment"]
        with database.atomic():
            self._change_state("reject", {"status": REJECTED, "supervisor_approved_by": None})
            self._step(actor, "reject", comment)
        return Contract.get_by_id(self.id)

    def sign_by(self, actor: User, values: dict[str, Any]) -> "Contract":
        """执行中: signed on the date given, the contract is in force."""
        self.check_owner(actor, "sign")
        sign_date = clean(SIGN_FIELDS, values)["sign_date"]
        if sign_date > clock.today():
            raise ValidationError({"sign_date": t("contract.error.future_sign_date")})
        with database.atomic():
            self._change_state("sign", {"status": IN_FORCE, "sign_date": sign_date})
            self._step(actor, "sign", "")
        return Contract.get_by_id(self.id)

    def terminate_by(self, actor: User, values: dict[str, Any]) -> "Contract":
        self.check_owner(actor, "terminate")
        reason = clean(TERMINATE_FIELDS, values)["reason"]
        with database.atomic():
            self._change_state("terminate", {"status": TERMINATED,
                                             "termination_reason": reason})
            self._step(actor, "terminate", reason)
        return Contract.get_by_id(self.id)

    def add_instalment_by(self, actor: User, values: dict[str, Any]) -> "Instalment":
        self.check_owner(actor, "plan")
        data = _clean_instalment(values)
        with database.atomic():
            self.hold("plan")
            instalment = Instalment.create(contract=self.id, **data)
            audit.record(actor, "instalment", instalment.id, audit.CREATE,
                         {"amount": (None, data["amount"]), "due_date": (None, data["due_date"])})
        return instalment

    def _step(self, actor: User, step: str, comment: str) -> None:
        ContractStep.create(contract=self.id, step=step, actor=actor.id, at=clock.now(),
                            comment=comment)
        audit.record(actor, "contract", self.id, step, {"comment": ("", comment)})

    def steps(self):
        return (ContractStep.select(ContractStep, User)
                .join(User, JOIN.LEFT_OUTER, on=(ContractStep.actor == User.id))
                .where(ContractStep.contract == self.id)
                .order_by(ContractStep.at, ContractStep.id))


class ContractStep(BaseModel):
    """One step of a contract's way: submit, approve, reject, sign, terminate."""

    contract = ForeignKeyField(Contract, backref="steps_taken", on_delete="CASCADE")
    step = CharField(max_length=12)
    actor = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    at = DateTimeField(default=clock.now)
    comment = TextField(default="")


class Instalment(BaseModel):
    """回款计划: one instalment of a contract's payment plan."""

    contract = ForeignKeyField(Contract, backref="instalments", on_delete="CASCADE")
    due_date = DateField(index=True)
    amount = DecimalField(max_digits=14, decimal_places=2)
    note = CharField(max_length=200, default="")
    # The first day the worker found it past due and unpaid (the screens
    # work it out live; this keeps when it began, with an audit row).
    overdue_since = DateField(null=True)
    # What its payments add up to, kept in step by `pay` (in the payment's
    # own transaction), so that finding the unpaid instalments reads no
    # payment: the home figures and the agenda ask for them every minute.
    paid = DecimalField(max_digits=14, decimal_places=2, default=0)

    def received(self) -> Decimal:
        return cents(Payment.select(fn.SUM(Payment.amount))
                     .where(Payment.instalment == self.id).scalar())

    def outstanding(self) -> Decimal:
        return Decimal(self.amount) - self.received()

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.due_date < (today or clock.today()) and self.outstanding() > 0

    def contract_of(self) -> Contract:
        return Contract.get_by_id(self.contract_id)

    def update_by(self, actor: User, values: dict[str, Any]) -> "Instalment":
        contract = self.contract_of()
        contract.check_owner(actor, "plan")
        data = _clean_instalment(values)
        with database.atomic():
            contract.hold("plan")
            changes = audit.diff(self, data)
            Instalment.update(**data).where(Instalment.id == self.id).execute()
            audit.record(actor, "instalment", self.id, audit.UPDATE, changes)
        return Instalment.get_by_id(self.id)

    def delete_by(self, actor: User) -> None:
        contract = self.contract_of()
        contract.check_owner(actor, "plan")
        with database.atomic():
            contract.hold("plan")
            if Instalment.delete().where(Instalment.id == self.id).execute() != 1:
                raise NotFound(t("error.not_found"))
            audit.record(actor, "instalment", self.id, audit.DELETE,
                         {"amount": (self.amount, None)})

    def pay_by(self, actor: User, values: dict[str, Any]) -> "Payment":
        """回款: a payment against this instalment, at most what is still
        due; the contract is completed once everything is paid."""
        contract = self.contract_of()
        contract.check_owner(actor, "pay")
        data = clean(PAYMENT_FIELDS, values)
        method_id = record_id(data["method"])
        if not DictionaryEntry.select().where((DictionaryEntry.id == method_id) & (
                DictionaryEntry.type == PAYMENT_METHOD)).exists():
            raise ValidationError({"method": t("error.not_a_choice")})
        amount = data["amount"]
        if amount <= 0:
            raise ValidationError({"amount": t("contract.error.positive")})
        with database.atomic():
            # The version check holds the contract: two payments at once
            # cannot both pass the "still due" test.
            left = self.outstanding()
            if amount > left:
                raise ValidationError({"amount": t("payment.error.too_much", left=money(left))})
            paid_in_full = contract.received_total() + amount >= Decimal(contract.amount)
            contract._change_state("pay", {"status": COMPLETED} if paid_in_full else {})
            payment = Payment.create(contract=contract.id, instalment=self.id,
                                     date=data["date"], amount=amount, method=method_id,
                                     reference=data["reference"], recorded_by=actor.id,
                                     recorded_at=clock.now())
            Instalment.update(paid=Instalment.paid + amount).where(
                Instalment.id == self.id).execute()
            audit.record(actor, "payment", payment.id, audit.CREATE, {"amount": (None, amount)})
            if paid_in_full:
                contract._step(actor, "complete", "")
        return payment


# An instalment not paid in full (the condition of its partial index).
UNPAID = Instalment.amount > Instalment.paid
Instalment.add_index(Instalment.index(Instalment.due_date, where=UNPAID,
                                      name="instalment_unpaid_due_date"))


class Payment(BaseModel):
    """回款: money received against an instalment."""

    contract = ForeignKeyField(Contract, backref="payments", on_delete="CASCADE")
    instalment = ForeignKeyField(Instalment, backref="payments", on_delete="CASCADE")
    date = DateField()
    amount = DecimalField(max_digits=14, decimal_places=2)
    method = ForeignKeyField(DictionaryEntry, backref="+", on_delete="RESTRICT")
    reference = CharField(max_length=100, default="")
    recorded_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    recorded_at = DateTimeField(default=clock.now)


# ----- rules shared by the writes ---------------------------------------------

def _clean_contract(actor: User, values: dict[str, Any], fields: tuple[Field, ...],
                    partial: bool = False) -> dict[str, Any]:
    data = clean(fields, values, partial=partial)
    errors = {}
    if "amount" in data and data["amount"] is not None and data["amount"] <= 0:
        errors["amount"] = t("contract.error.positive")
    start, end = data.get("start_date"), data.get("end_date")
    if start and end and end < start:
        errors["end_date"] = t("contract.error.end_before_start")
    if "customer" in data:
        data["customer"] = record_id(data["customer"])
    if data.get("our_signer") is not None:
        signer = record_id(data["our_signer"])
        if not User.select().where((User.id == signer) & (User.active == True)).exists():  # noqa: E712
            errors["our_signer"] = t("error.not_a_choice")
        data["our_signer"] = signer
    if errors:
        raise ValidationError(errors)
    return data


def _check_signer(data: dict[str, Any], customer_id: int) -> None:
    """The customer's signer is a contact of that customer."""
    if data.get("customer_signer") is None:
        return
    signer = record_id(data["customer_signer"])
    if not Contact.select().where((Contact.id == signer)
                                  & (Contact.customer == customer_id)).exists():
        raise ValidationError({"customer_signer": t("contract.error.signer")})
    data["customer_signer"] = signer


def _clean_instalment(values: dict[str, Any]) -> dict[str, Any]:
    data = clean(INSTALMENT_FIELDS, values)
    if data["amount"] <= 0:
        raise ValidationError({"amount": t("contract.error.positive")})
    return data


# ----- what the home screen and the reports ask --------------------------------

def waiting_for_approval(user: User):
    """Submitted contracts `user` may approve now."""
    query = Contract.visible_to(user).where(Contract.status == SUBMITTED,
                                            Contract.created_by != user.id)
    first = Contract.supervisor_approved_by.is_null()
    second = ~first & (Contract.supervisor_approved_by != user.id)
    condition = None
    if user.has_perm(perm.CONTRACT_APPROVE):
        condition = first
    if user.has_perm(perm.CONTRACT_APPROVE_LARGE):
        condition = second if condition is None else (condition | second)
    return query.where(condition) if condition is not None else query.where(SQL("1 = 0"))


def overdue_instalments(user: User, today: dt.date | None = None):
    """Instalments of contracts in force that `user` may see, past due and
    not paid in full."""
    return within_scope(_overdue(today or clock.today()), Instalment.contract, user)


def _overdue(today: dt.date):
    """Every instalment of a contract in force past due and not paid in full."""
    # Through the partial index of the unpaid instalments by due date
    # (migration 0018): the paid ones, most of them, are never read.
    return (Instalment.select(Instalment, Contract.number.alias("contract_number"))
            .join(Contract, on=(Instalment.contract == Contract.id))
            .where(Contract.status == IN_FORCE, Instalment.due_date < today,
                   UNPAID)
            .order_by(Instalment.due_date))


def mark_overdue_instalments(today: dt.date | None = None) -> int:
    """The worker's check (SPEC M11: overdue detection on its schedule):
    each instalment newly found past due and unpaid gets the day it fell
    overdue and an audit row; how many there were."""
    today = today or clock.today()
    with database.atomic():
        newly = list(_overdue(today).where(Instalment.overdue_since.is_null()).objects())
        for instalment in newly:
            since = instalment.due_date + dt.timedelta(days=1)
            Instalment.update(overdue_since=since).where(Instalment.id == instalment.id).execute()
            audit.record(None, "instalment", instalment.id, "overdue",
                         {"overdue_since": ("", since), "contract": ("", instalment.contract_number)})
    return len(newly)


# ----- reports -----------------------------------------------------------------
# Overdue age buckets in days: 1–30, 31–90, over 90.
AGE_BUCKETS = ((1, 30), (31, 90), (91, None))
SIGNED = (IN_FORCE, COMPLETED, TERMINATED)


@dataclass(frozen=True)
class SignedRow:
    month: int
    manager: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class ReceivableRow:
    contract_id: int
    number: str
    customer: str
    amount: Decimal
    due: Decimal
    received: Decimal
    outstanding: Decimal
    overdue: tuple[Decimal, ...]


def signed_by_month(user: User, year: int) -> list[SignedRow]:
    """Contracts signed in `year` that `user` may see: count and amount by
    month and account manager (the customer's)."""
    month = Contract.sign_date.month
    manager = User.alias("manager")
    query = (Contract.visible_to(user)
             .select(month.alias("month"), manager.display_name.alias("manager"),
                     fn.COUNT(Contract.id).alias("count"), fn.SUM(Contract.amount).alias("amount"))
             .join_from(Customer, manager, on=(Customer.manager == manager.id))
             .where(Contract.status.in_(SIGNED), Contract.sign_date.year == year)
             .group_by(month, manager.display_name)
             .order_by(month, manager.display_name))
    return [SignedRow(int(row_month), name, count, Decimal(amount))
            for row_month, name, count, amount in query.tuples()]


def receivables(user: User, today: dt.date | None = None) -> list[ReceivableRow]:
    """Per contract in force that `user` may see: the amount due by today,
    what was received, what is outstanding, and what is overdue by age:
    one GROUP BY in the database, whatever the number of instalments."""
    day = (today or clock.today()).isoformat()  # a date's own text: safe in SQL
    if is_postgres():
        due_by, days_late = f"DATE '{day}'", f"(DATE '{day}' - i.due_date)"
    else:
        due_by, days_late = f"'{day}'", f"CAST(julianday('{day}') - julianday(i.due_date) AS INTEGER)"
    unpaid = "i.amount - i.paid"
    buckets = ", ".join(
        f"SUM(CASE WHEN {days_late} >= {low}"
        + (f" AND {days_late} <= {high}" if high is not None else "")
        + f" AND {unpaid} > 0 THEN {unpaid} ELSE 0 END)"
        for low, high in AGE_BUCKETS)
    scope_sql, scope_params = Contract.visible_to(user).select(Contract.id).sql()
    sql = f"""
        SELECT c.id, c.number, cu.name, c.amount,
               SUM(CASE WHEN i.due_date <= {due_by} THEN i.amount ELSE 0 END),
               SUM(i.paid), {buckets}
        FROM instalment i
        JOIN contract c ON c.id = i.contract_id
        JOIN customer cu ON cu.id = c.customer_id
        WHERE c.status = '{IN_FORCE}' AND c.id IN ({scope_sql})
        GROUP BY c.id, c.number, cu.name, c.amount
        ORDER BY c.number"""
    rows = []
    for contract_id, number, customer, amount, due, received, *overdue in database.execute_sql(
            sql, scope_params):
        due, received = cents(due), cents(received)
        rows.append(ReceivableRow(contract_id, number, customer, cents(amount), due, received,
                                  due - received, tuple(cents(value) for value in overdue)))
    return rows


# ----- the record kinds --------------------------------------------------------

def _contract_rows(contract: Contract) -> list[tuple[str, Any]]:
    customer = Customer.get_by_id(contract.customer_id)
    signer = Contact.get_or_none(Contact.id == contract.customer_signer_id)
    rows = [
        ("contract.number", contract.number),
        ("contract.customer", customer.name),
        ("contract.status", status_label(contract.status)),
        ("contract.amount", money(contract.amount)),
        ("contract.planned", money(contract.planned_total())),
        ("contract.received", money(contract.received_total())),
        ("contract.period", f"{day_text(contract.start_date)} – {day_text(contract.end_date)}"),
        ("contract.sign_date", day_text(contract.sign_date)),
        ("contract.payment_terms", contract.payment_terms),
        ("contract.our_signer", user_name(contract.our_signer_id)),
        ("contract.customer_signer", signer.name if signer else ""),
        ("contract.created_by", f"{user_name(contract.created_by_id)}  "
                                f"{moment_text(contract.created_at)}"),
        ("contract.note", contract.note.replace("\n", " ")),
    ]
    if contract.status == SUBMITTED and contract.supervisor_approved_by_id:
        rows.append(("contract.waiting", t("contract.waiting_executive")))
    if contract.status == TERMINATED:
        rows.append(("contract.reason", contract.termination_reason))
    return rows


def _contract_steps(contract: Contract) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    entries = []
    for step in contract.steps():
        author = step.actor.display_name if step.actor_id else ""
        heading = f"{moment_text(step.at)}  {t('contract.step.' + step.step)}  {author}"
        entries.append((heading, step.comment.splitlines()))
    payments = []
    for payment in (Payment.select().where(Payment.contract == contract.id)
                    .order_by(Payment.date, Payment.id)):
        method = DictionaryEntry.get_or_none(DictionaryEntry.id == payment.method_id)
        payments.append((f"{day_text(payment.date)}  {money(payment.amount)}  "
                         f"{method.item if method else ''}  {payment.reference}", []))
    return [("contract.steps", entries), ("contract.payments", payments)]


def _contracts_query(user: User, search: str, within: dict[str, Any]):
    query = (Contract.visible_to(user)
             .select_extend(Customer.name.alias("customer_name"))
             .order_by(Contract.id.desc()))
    if within.get("status"):
        query = query.where(Contract.status == within["status"])
    if within.get("parent") is not None:
        query = query.where(Contract.customer == within["parent"])
    for word in search.split():
        query = query.where(Contract.number.contains(word) | Contract.title.contains(word)
                            | Customer.name.contains(word))
    return query


def find_contracts(user: User, text: str, limit: int) -> list[tuple[int, str, str]]:
    """Contracts whose number or title contains `text`, for the palette."""
    text = text.strip()
    if not text:
        return []
    query = (Contract.visible_to(user)
             .where(Contract.number.contains(text) | Contract.title.contains(text))
             .order_by(Contract.id.desc()).limit(limit))
    return [(contract.id, f"{contract.number} {contract.title}",
             t("contract.palette", status=status_label(contract.status))) for contract in query]


def _contract_form_values(contract: Contract, _actor: User) -> dict[str, Any]:
    return {field.name: contract.__data__.get(field.name)
            for field in contract_fields(None, contract.customer_id)}


CONTRACT_FILTERS = (
    FilterField("number", ("编号", "合同编号"), TEXT, Contract.number),
    FilterField("title", ("标题", "名称"), TEXT, Contract.title),
    FilterField("customer", ("客户",), TEXT, Customer.name, match=customer_text_match("name")),
    FilterField("amount", ("金额",), NUMBER, Contract.amount),
    FilterField("status", ("状态",), CHOICE, Contract.status,
                choices=labelled_choices(CONTRACT_STATUSES, "contract.status.")),
    FilterField("start", ("开始", "开始日期"), DATE, Contract.start_date),
    FilterField("end", ("结束", "到期", "结束日期"), DATE, Contract.end_date),
    FilterField("signed", ("签订", "签订日期"), DATE, Contract.sign_date),
    FilterField("created", ("创建", "创建时间"), DATE, Contract.created_at),
    FilterField("manager", ("经理", "客户经理"), LOOKUP, match=user_match(Customer.manager)),
)

CONTRACT = register(RecordKind(
    name="contract", title="contract.list_title", opens="contract", child="instalment",
    documents=lambda contract: (contract.customer_id, contract.id),
    parent="customer", status_filters=CONTRACT_STATUSES, status_label=status_label,
    transitions=CONTRACT_TRANSITIONS,
    columns=[
        # 76 cells in all: every column in sight at 80x24.
        Column("number", "contract.number", 13, Contract.number),
        Column("title", "contract.title", 14, Contract.title, max_width=40),
        Column("customer_name", "contract.customer", 12, SQL("customer_name"), max_width=30),
        Column("amount", "contract.amount", 13, Contract.amount, format=money),
        Column("status", "contract.status", 8, Contract.status, format=status_label),
        Column("end_date", "contract.end_date", 10, Contract.end_date, format=day_text),
    ],
    query=_contracts_query, get=Contract.get_visible,
    filters=CONTRACT_FILTERS, search=words_in(Contract.number, Contract.title, Customer.name),
    words=lambda contract: {"number": contract.number, "title": contract.title},
    heading=lambda contract: t("contract.heading", number=contract.number,
                               title=contract.title, status=status_label(contract.status)),
    rows=_contract_rows, sections=_contract_steps, find=find_contracts,
    actions=[
        Action("new", "n", "contract.action.new", on_row=False,
               check=lambda _parent, actor: require(actor, perm.CONTRACT_CREATE),
               form=lambda parent, actor: contract_fields(actor, None),
               prefill=lambda parent, _actor: {"customer": parent.id} if parent else {},
               title="contract.new_title",
               done=lambda contract: t("contract.created", number=contract.number),
               run=lambda _parent, actor, values: Contract.create_by(actor, values)),
        Action("edit", "e", "contract.action.edit",
               check=lambda contract, actor: contract.check_owner(actor, "edit"),
               form=lambda contract, actor: contract_fields(actor, contract.customer_id),
               prefill=_contract_form_values, title="contract.edit_title",
               done="contract.saved",
               run=lambda contract, actor, values: contract.update_by(actor, values)),
        Action("submit", "u", "contract.action.submit",
               check=lambda contract, actor: contract.check_owner(actor, "submit"),
               ask="contract.submit_question", done="contract.submitted",
               run=lambda contract, actor, _values: contract.submit_by(actor)),
        Action("approve", "a", "contract.action.approve",
               check=lambda contract, actor: contract.check_approvable_by(actor),
               form=lambda _contract, _actor: COMMENT_FIELDS, title="contract.approve_title",
               done="contract.approved",
               run=lambda contract, actor, values: contract.approve_by(actor, values)),
        Action("reject", "r", "contract.action.reject",
               check=lambda contract, actor: contract.check_rejectable_by(actor),
               form=lambda _contract, _actor: REJECT_FIELDS, title="contract.reject_title",
               done="contract.rejected",
               run=lambda contract, actor, values: contract.reject_by(actor, values)),
        Action("sign", "g", "contract.action.sign",
               check=lambda contract, actor: contract.check_owner(actor, "sign"),
               form=lambda _contract, _actor: SIGN_FIELDS, title="contract.sign_title",
               prefill=lambda _contract, _actor: {"sign_date": clock.today().isoformat()},
               done="contract.signed",
               run=lambda contract, actor, values: contract.sign_by(actor, values)),
        Action("terminate", "t", "contract.action.terminate", in_list=False,
               check=lambda contract, actor: contract.check_owner(actor, "terminate"),
               form=lambda _contract, _actor: TERMINATE_FIELDS, title="contract.terminate_title",
               done="contract.terminated",
               run=lambda contract, actor, values: contract.terminate_by(actor, values)),
        Action("delete", "d", "contract.action.delete", leaves=True,
               check=lambda contract, actor: contract.check_owner(actor, "delete"),
               ask="contract.delete_question", done="contract.deleted",
               run=lambda contract, actor, _values: contract.delete_by(actor)),
    ],
))


def _instalments(_user: User, search: str, within: dict[str, Any]):
    received = (Payment.select(fn.COALESCE(fn.SUM(Payment.amount), 0))
                .where(Payment.instalment == Instalment.id))
    query = (Instalment.select(Instalment, received.alias("received"))
             .where(Instalment.contract == within.get("parent"))
             .order_by(Instalment.due_date, Instalment.id))
    for word in search.split():
        query = query.where(Instalment.note.contains(word))
    return query


def _check_instalment(action: str):
    def check(instalment: Instalment, actor: User) -> None:
        instalment.contract_of().check_owner(actor, action)
        if action == "pay" and instalment.outstanding() <= 0:
            raise PermissionDenied(t("payment.error.paid"))
    return check


INSTALMENT = register(RecordKind(
    name="instalment", title="instalment.title", parent="contract", changes=("contract",),
    columns=[
        Column("due_date", "instalment.due_date", 10, Instalment.due_date, format=day_text),
        Column("amount", "instalment.amount", 14, Instalment.amount, format=money),
        Column("received", "instalment.received", 14, SQL("received"), format=money),
        Column("note", "instalment.note", 30, Instalment.note, max_width=80),
    ],
    query=_instalments, get=visible_through(Instalment.contract),
    words=lambda instalment: {"date": day_text(instalment.due_date),
                              "amount": money(instalment.amount),
                              "left": money(instalment.outstanding())},
    actions=[
        Action("add", "i", "instalment.action.add", on_row=False,
               check=lambda contract, actor: contract.check_owner(actor, "plan"),
               form=lambda _contract, _actor: INSTALMENT_FIELDS, title="instalment.add_title",
               done="instalment.saved",
               run=lambda contract, actor, values: contract.add_instalment_by(actor, values)),
        Action("edit", "o", "instalment.action.edit", check=_check_instalment("plan"),
               form=lambda _instalment, _actor: INSTALMENT_FIELDS,
               prefill=lambda instalment, _actor: {"due_date": instalment.due_date,
                                                   "amount": instalment.amount,
                                                   "note": instalment.note},
               title="instalment.edit_title", done="instalment.saved",
               run=lambda instalment, actor, values: instalment.update_by(actor, values)),
        Action("delete", "x", "instalment.action.delete", check=_check_instalment("plan"),
               ask="instalment.delete_question", done="instalment.deleted",
               run=lambda instalment, actor, _values: instalment.delete_by(actor)),
        Action("pay", "p", "instalment.action.pay", check=_check_instalment("pay"),
               form=lambda _instalment, _actor: PAYMENT_FIELDS, title="payment.title",
               prefill=lambda instalment, _actor: {"date": clock.today().isoformat(),
                                                   "amount": instalment.outstanding()},
               done="payment.saved",
               run=lambda instalment, actor, values: instalment.pay_by(actor, values)),
    ],
))

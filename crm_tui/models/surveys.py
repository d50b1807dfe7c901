"""Satisfaction surveys (客户满意度调查, M13).

A survey has a title and numbered questions, each scored 1–5 or answered in
free text. States: draft → open → closed; questions change only in draft.

Answers come two ways:
- by mail: an open survey is sent to the contacts (with an e-mail address)
  of chosen customers, one invitation per contact with its own reply code
  (DY-XXXXXXXX) in the subject and the body. A received mail carrying a
  code is read by `read_survey_reply` (mail fetch calls it for every stored
  message): its lines "<question number>: <answer>" are filed as the
  contact's response. Lines quoted with ">" are skipped, lines that are not
  of that form are ignored, and answer lines that cannot be used (no such
  question, a score outside 1–5, a second answer to a question) are kept as
  the reply's problems. A reply with an unknown code, for a survey that is
  not open, already answered, or with no usable answer, is kept unmatched
  with the reason. Nothing in a reply stops a fetch.
- typed in after a call, by the customer's account manager (or anyone who
  sees every survey's results).

A customer whose average score in a survey falls below 3 gets a follow-up
item for its account manager (`SurveyFollowUp`, done or not).

Rights: survey.manage (supervisors, administrators) builds, opens, closes
and sends surveys; survey.answer (account managers, supervisors,
administrators) types answers for own customers; survey.view_all
(executives, supervisors, administrators) sees every response and result,
an account manager the results of own customers.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from peewee import (BooleanField, CharField, DataError, DateTimeField, DecimalField,
                    ForeignKeyField, IntegerField, IntegrityError, TextField, fn)

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.base import BaseModel, database, is_postgres
from crm_tui.models.customers import DELETED, Contact, Customer
from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION, DictionaryEntry
from crm_tui.models.errors import (CrmError, InvalidTransition, NotFound, PermissionDenied,
                                   ValidationError)
from crm_tui.models.kinds import (Action, Column, RecordKind, Transitions, moment_text,
                                  register, user_name)
from crm_tui.models.mail import OUT, SENT, MailMessage, RECEIVED_MAIL_READERS
from crm_tui.models.users import User, require, scoped
from crm_tui.models.validation import Field, clean
from crm_tui.models.workflow import (StateMachine, Visible, record_id, update_as_read,
                                     visible_through)
from crm_tui.plain_text import without_refused

DRAFT, OPEN, CLOSED = "draft", "open", "closed"
SURVEY_STATUSES = (DRAFT, OPEN, CLOSED)
SCORE, TEXT = "score", "text"
QUESTION_KINDS = (SCORE, TEXT)
MIN_SCORE, MAX_SCORE = 1, 5
# A customer whose average score falls below this gets a follow-up item.
FOLLOW_UP_BELOW = Decimal(3)
# Invitations: waiting to be sent, sent, refused by the mail server, answered.
PENDING, INVITED, FAILED, ANSWERED = "pending", "sent", "failed", "answered"
# Responses: from a mail reply, typed in after a call.
BY_MAIL, BY_CALL = "mail", "call"
# Survey replies (received mail with a code): filed as answers, or not.
REPLY_FILED, REPLY_UNMATCHED = "filed", "unmatched"
CODE_PREFIX = "DY-"
# Letters and digits that cannot be mistaken for one another when typed.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
REPLY_CODE = re.compile(r"\bDY-([A-Z0-9]{%d})\b" % CODE_LENGTH, re.IGNORECASE)
# "3: 4", "Q3：很好", "３：５" (the number and the score in full-width forms too).
ANSWER_LINE = re.compile(r"^\s*[QqＱｑ]?([0-9０-９]{1,3})\s*[:：]\s*(.*?)\s*$")
# A reply is read this far: a reply is a few lines, not a book.
REPLY_LINES_READ = 500
PROBLEMS_KEPT = 20
TEXT_ANSWER_LIMIT = 1000
CENT = Decimal("0.01")

SURVEY_TRANSITIONS = Transitions([
    (DRAFT, "edit", DRAFT), (DRAFT, "questions", DRAFT), (DRAFT, "delete", None),
    (DRAFT, "open", OPEN),
    (OPEN, "send", OPEN), (OPEN, "answer", OPEN),
    (OPEN, "close", CLOSED),
])


def status_label(status: str) -> str:
    return t(f"survey.status.{status}")


def kind_label(kind: str) -> str:
    return t(f"survey_question.kind.{kind}")


def average(total: Any, count: Any) -> Decimal | None:
    """The mean to two decimals, half up; None for no scores."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(CENT, ROUND_HALF_UP)


SURVEY_FIELDS = (Field("title", "survey.title", required=True, max_length=100),)
QUESTION_FIELDS = (
    Field("text", "survey_question.text", required=True, max_length=200),
    Field("kind", "survey_question.kind", kind="choice", required=True,
          choices=lambda: [(kind, kind_label(kind)) for kind in QUESTION_KINDS]),
)


def _level_choices() -> list[tuple[int, str]]:
    return DictionaryEntry.choices(CUSTOMER_LEVEL)


def _region_choices() -> list[tuple[int, str]]:
    return DictionaryEntry.choices(REGION)


def search_customers(user: User) -> Callable[[str, int], list[tuple[int, str]]]:
    """The customers `user` may see whose name holds every word typed."""
    def search(text: str, limit: int) -> list[tuple[int, str]]:
        query = (Customer.visible_to(user).select(Customer.id, Customer.name)
                 .order_by(Customer.name, Customer.id).limit(limit))
        for word in text.split():
            query = query.where(Customer.name.contains(word))
        return list(query.tuples())
    return search


def describe_customer(value: Any) -> str:
    customer = Customer.get_or_none(Customer.id == record_id(value))
    return customer.name if customer else ""


def send_fields(actor: User) -> tuple[Field, ...]:
    """Who a survey goes to: one customer, or every customer of a level
    and/or a region (at least one of them)."""
    return (
        Field("customer", "survey.send.customer", kind="choice",
              search=search_customers(actor), describe=describe_customer),
        Field("level", "survey.send.level", kind="choice", choices=_level_choices),
        Field("region", "survey.send.region", kind="choice", choices=_region_choices),
    )


def answer_fields(survey: "Survey", actor: User) -> tuple[Field, ...]:
    """The call form: the customer, then one field per question."""
    fields = [Field("customer", "survey.answer.customer", kind="choice", required=True,
                    search=search_customers(actor), describe=describe_customer),
              Field("note", "survey.answer.note", max_length=200)]
    for question in survey.questions():
        label = _within_cells(f"{question.number}. {question.text}", FORM_LABEL_CELLS)
        if question.kind == SCORE:
            fields.append(Field(f"q{question.id}", label, kind="int",
                                minimum=MIN_SCORE, maximum=MAX_SCORE))
        else:
            fields.append(Field(f"q{question.id}", label, max_length=TEXT_ANSWER_LIMIT))
    return tuple(fields)


# A form's labels have this many terminal cells (see the forms' style).
FORM_LABEL_CELLS = 21


def _within_cells(text: str, cells: int) -> str:
    """`text` cut to `cells` terminal cells (Chinese characters take two),
    with "…" where it was cut."""
    def width(char: str) -> int:
        return 2 if unicodedata.east_asian_width(char) in "WF" else 1

    if sum(width(char) for char in text) <= cells:
        return text
    kept, used = [], 1
    for char in text:
        if used + width(char) > cells:
            break
        kept.append(char)
        used += width(char)
    return "".join(kept) + "…"


class Survey(Visible, StateMachine, BaseModel):
    title = CharField(max_length=100)
    status = CharField(max_length=10, default=DRAFT, index=True)
    created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField(default=clock.now)
    opened_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    version = IntegerField(default=1)

    i18n_prefix = "survey"
    status_label = staticmethod(status_label)
    transitions = SURVEY_TRANSITIONS

    def __str__(self) -> str:
        return self.title

    # ----- scope -------------------------------------------------------
    @classmethod
    def visible_to(cls, user: User | None):
        """Every survey for those who manage or read them all; the open and
        closed ones for those who type answers; none for anyone else."""
        query = cls.select()
        if user is None:
            return query.where(False)
        granted = user.permissions()
        if granted & {perm.SURVEY_MANAGE, perm.SURVEY_VIEW_ALL}:
            return query
        if perm.SURVEY_ANSWER in granted:
            return query.where(cls.status != DRAFT)
        return query.where(False)

    def questions(self):
        return (SurveyQuestion.select().where(SurveyQuestion.survey == self.id)
                .order_by(SurveyQuestion.number))

    # ----- checks ------------------------------------------------------
    def check_manageable_by(self, actor: User, action: str) -> None:
        require(actor, perm.SURVEY_MANAGE)
        self._check_state(action)

    def check_answerable_by(self, actor: User) -> None:
        require(actor, perm.SURVEY_ANSWER)
        self._check_state("answer")

    # ----- writes ------------------------------------------------------
    @classmethod
    def create_by(cls, actor: User, values: dict[str, Any]) -> "Survey":
        require(actor, perm.SURVEY_MANAGE)
        data = clean(SURVEY_FIELDS, values)
        with database.atomic():
            survey = cls.create(created_by=actor.id, created_at=clock.now(), status=DRAFT, **data)
            audit.record(actor, "survey", survey.id, audit.CREATE)
        return survey

    def update_by(self, actor: User, values: dict[str, Any]) -> "Survey":
        self.check_manageable_by(actor, "edit")
        data = clean(SURVEY_FIELDS, values)
        with database.atomic():
            changes = audit.diff(self, data)
            self._change_state("edit", data)
            audit.record(actor, "survey", self.id, audit.UPDATE, changes)
        return Survey.get_by_id(self.id)

    def delete_by(self, actor: User) -> None:
        self.check_manageable_by(actor, "delete")
        with database.atomic():
            SurveyQuestion.delete().where(SurveyQuestion.survey == self.id).execute()
            self._delete_in_state("delete")
            audit.record(actor, "survey", self.id, audit.DELETE, {"title": (self.title, "")})

    def open_by(self, actor: User) -> "Survey":
        """进行中: the questions are final; answers may come."""
        self.check_manageable_by(actor, "open")
        with database.atomic():
            self._change_state("open", {"status": OPEN, "opened_at": clock.now()})
            if not self.questions().exists():
                raise ValidationError({"questions": t("survey.error.no_questions")})
            audit.record(actor, "survey", self.id, "open", {"status": (DRAFT, OPEN)})
        return Survey.get_by_id(self.id)

    def close_by(self, actor: User) -> "Survey":
        """已结束: later replies are kept unmatched."""
        self.check_manageable_by(actor, "close")
        with database.atomic():
            self._change_state("close", {"status": CLOSED, "closed_at": clock.now()})
            audit.record(actor, "survey", self.id, "close", {"status": (OPEN, CLOSED)})
        return Survey.get_by_id(self.id)

    def add_question_by(self, actor: User, values: dict[str, Any]) -> "SurveyQuestion":
        self.check_manageable_by(actor, "questions")
        data = _clean_question(values)
        with database.atomic():
            self.hold("questions")
            last = (SurveyQuestion.select(fn.MAX(SurveyQuestion.number))
                    .where(SurveyQuestion.survey == self.id).scalar())
            question = SurveyQuestion.create(survey=self.id, number=(last or 0) + 1, **data)
            audit.record(actor, "survey_question", question.id, audit.CREATE,
                         {"text": (None, data["text"])})
        return question

    # ----- sending -----------------------------------------------------
    def invite_by(self, actor: User, values: dict[str, Any]) -> list["SurveyInvitation"]:
        """Invitations for the contacts with an e-mail address of the chosen
        customers, one per contact and survey: new ones, and earlier ones
        the mail server refused (to try again). Sending them is
        crm_tui.survey_mail's work."""
        self.check_manageable_by(actor, "send")
        data = clean(send_fields(actor), values)
        if not any(data.values()):
            raise ValidationError({"customer": t("survey.error.no_recipients")})
        customers = Customer.visible_to(actor).select(Customer.id)
        if data["customer"] is not None:
            customers = customers.where(Customer.id == record_id(data["customer"]))
        if data["level"] is not None:
            customers = customers.where(Customer.level == record_id(data["level"]))
        if data["region"] is not None:
            customers = customers.where(Customer.region == record_id(data["region"]))
        invited = SurveyInvitation.select(SurveyInvitation.contact).where(
            (SurveyInvitation.survey == self.id) & SurveyInvitation.contact.is_null(False))
        contacts = (Contact.select().where(Contact.customer.in_(customers)
                                           & (Contact.email != "")
                                           & Contact.id.not_in(invited))
                    .order_by(Contact.customer, Contact.id))
        with database.atomic():
            self.hold("send")
            for contact in contacts:
                invitation = SurveyInvitation.create(
                    survey=self.id, customer=contact.customer_id, contact=contact.id,
                    address=contact.email, code=_new_code(), status=PENDING,
                    created_by=actor.id, created_at=clock.now())
                audit.record(actor, "survey_invitation", invitation.id, audit.CREATE,
                             {"address": ("", contact.email)})
        return list(SurveyInvitation.select()
                    .where((SurveyInvitation.survey == self.id)
                           & SurveyInvitation.status.in_([PENDING, FAILED]))
                    .order_by(SurveyInvitation.id))

    # ----- typed answers -----------------------------------------------
    def answer_by(self, actor: User, values: dict[str, Any]) -> "SurveyResponse":
        """Answers typed in after a call with the customer."""
        self.check_answerable_by(actor)
        data = clean(answer_fields(self, actor), values)
        customer = Customer.visible_to(actor).where(
            Customer.id == record_id(data.pop("customer"))).first()
        if customer is None:
            raise ValidationError({"customer": t("error.not_a_choice")})
        if customer.manager_id != actor.id and not actor.has_perm(perm.SURVEY_VIEW_ALL):
            raise ValidationError({"customer": t("error.not_your_customer")})
        note = data.pop("note")
        answers = {int(name[1:]): value for name, value in data.items()
                   if value not in (None, "")}
        if not answers:
            raise ValidationError({"customer": t("survey.error.no_answers")})
        with database.atomic():
            self.hold("answer")
            response = _file_response(self, customer.id, None, BY_CALL, clock.now(), answers,
                                      entered_by=actor, note=note)
            audit.record(actor, "survey_response", response.id, audit.CREATE,
                         {"source": ("", BY_CALL)})
        return response


def _clean_question(values: dict[str, Any]) -> dict[str, Any]:
    data = clean(QUESTION_FIELDS, values)
    if data["kind"] not in QUESTION_KINDS:
        raise ValidationError({"kind": t("error.not_a_choice")})
    return data


def _new_code() -> str:
    """A reply code no invitation has (8 characters of 32: a guess hits one
    of a million invitations once in a million tries)."""
    while True:
        code = CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not SurveyInvitation.select().where(SurveyInvitation.code == code).exists():
            return code


class SurveyQuestion(BaseModel):
    survey = ForeignKeyField(Survey, backref="+", on_delete="CASCADE")
    # 1, 2, 3 ...: what a reply's answer lines name.
    number = IntegerField()
    text = CharField(max_length=200)
    kind = CharField(max_length=5, default=SCORE)

    class Meta:
        indexes = ((("survey", "number"), False),)

    def survey_of(self) -> Survey:
        return Survey.get_by_id(self.survey_id)

    def update_by(self, actor: User, values: dict[str, Any]) -> "SurveyQuestion":
        survey = self.survey_of()
        survey.check_manageable_by(actor, "questions")
        data = _clean_question(values)
        with database.atomic():
            survey.hold("questions")
            changes = audit.diff(self, data)
            SurveyQuestion.update(**data).where(SurveyQuestion.id == self.id).execute()
            audit.record(actor, "survey_question", self.id, audit.UPDATE, changes)
        return SurveyQuestion.get_by_id(self.id)

    def delete_by(self, actor: User) -> None:
        """Remove the question; the later ones move up a number."""
        survey = self.survey_of()
        survey.check_manageable_by(actor, "questions")
        with database.atomic():
            survey.hold("questions")
            if SurveyQuestion.delete().where(SurveyQuestion.id == self.id).execute() != 1:
                raise NotFound(t("error.not_found"))
            (SurveyQuestion.update(number=SurveyQuestion.number - 1)
             .where((SurveyQuestion.survey == survey.id)
                    & (SurveyQuestion.number > self.number)).execute())
            audit.record(actor, "survey_question", self.id, audit.DELETE,
                         {"text": (self.text, None)})


class SurveyInvitation(BaseModel):
    """One contact asked by mail, with the code a reply carries."""

    survey = ForeignKeyField(Survey, backref="+", on_delete="RESTRICT")
    customer = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
    contact = ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
    address = CharField(max_length=100)
    code = CharField(max_length=20, unique=True)
    status = CharField(max_length=10, default=PENDING, index=True)
    # Why the mail server refused it.
    problem = TextField(default="")
    mail_message = ForeignKeyField(MailMessage, null=True, backref="+", on_delete="SET NULL")
    sent_at = DateTimeField(null=True)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)

    def mail_text(self) -> tuple[str, str]:
        """The subject and body of the invitation mail."""
        survey = Survey.get_by_id(self.survey_id)
        contact = Contact.get_or_none(Contact.id == self.contact_id)
        lines = [t("survey.mail.greeting", name=contact.name if contact else ""), "",
                 t("survey.mail.intro", title=survey.title), ""]
        for question in survey.questions():
            lines.append(t(f"survey.mail.question.{question.kind}", number=question.number,
                           text=question.text))
        lines += ["", t("survey.mail.how"), ""]
        lines += [f"{question.number}: " for question in survey.questions()]
        lines += ["", t("survey.mail.code", code=self.code)]
        subject = t("survey.mail.subject", title=survey.title, code=self.code)
        return subject, "\n".join(lines)

    def record_sent(self, actor: User | None, message_id: str, sender: str,
                    subject: str, body: str) -> None:
        """The server took the invitation: kept as sent mail of the customer."""
        with database.atomic():
            message = MailMessage.create(
                message_id=message_id, direction=OUT, sender=sender[:250],
                recipients=self.address, subject=subject[:250], body=body, date=clock.now(),
                customer=self.customer_id, contact=self.contact_id, status=SENT,
                created_by=actor.id if actor else None)
            (SurveyInvitation.update(status=INVITED, sent_at=clock.now(), problem="",
                                     mail_message=message.id)
             .where(SurveyInvitation.id == self.id).execute())
            audit.record(actor, "survey_invitation", self.id, "send",
                         {"status": (self.status, INVITED)})

    def record_failed(self, actor: User | None, reason: str) -> None:
        with database.atomic():
            (SurveyInvitation.update(status=FAILED, problem=reason[:2000])
             .where(SurveyInvitation.id == self.id).execute())
            audit.record(actor, "survey_invitation", self.id, "send",
                         {"status": (self.status, FAILED)})


class SurveyResponse(BaseModel):
    """One customer's answers to a survey: a mail reply or a call."""

    survey = ForeignKeyField(Survey, backref="+", on_delete="RESTRICT")
    customer = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
    contact = ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
    invitation = ForeignKeyField(SurveyInvitation, null=True, unique=True, backref="+",
                                 on_delete="SET NULL")
    source = CharField(max_length=5)
    answered_at = DateTimeField(index=True)
    entered_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    mail_message = ForeignKeyField(MailMessage, null=True, backref="+", on_delete="SET NULL")
    note = CharField(max_length=200, default="")


class SurveyAnswer(BaseModel):
    response = ForeignKeyField(SurveyResponse, backref="+", on_delete="CASCADE")
    question = ForeignKeyField(SurveyQuestion, backref="+", on_delete="CASCADE")
    score = IntegerField(null=True)
    text = TextField(default="")


class SurveyReply(BaseModel):
    """A received mail that carried a reply code, and what became of it."""

    mail_message = ForeignKeyField(MailMessage, unique=True, backref="+", on_delete="CASCADE")
    code = CharField(max_length=20)
    survey = ForeignKeyField(Survey, null=True, backref="+", on_delete="SET NULL")
    status = CharField(max_length=10, index=True)
    # Unmatched: why. Filed: the answer lines that could not be used.
    reason = TextField(default="")
    response = ForeignKeyField(SurveyResponse, null=True, backref="+", on_delete="SET NULL")
    received_at = DateTimeField(default=clock.now)


class SurveyFollowUp(Visible, BaseModel):
    """A customer whose average in a survey fell below 3: its account
    manager follows it up. One per survey and customer."""

    survey = ForeignKeyField(Survey, backref="+", on_delete="RESTRICT")
    customer = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
    average = DecimalField(max_digits=4, decimal_places=2)
    done = BooleanField(default=False, index=True)
    done_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    done_at = DateTimeField(null=True)
    created_at = DateTimeField(default=clock.now)
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("survey", "customer"), True),)

    @classmethod
    def visible_to(cls, user: User | None):
        """All with survey.view_all; else those of own customers."""
        query = cls.select().join(Customer, on=(cls.customer == Customer.id))
        return scoped(query, user, perm.SURVEY_VIEW_ALL, {perm.SURVEY_ANSWER},
                      lambda own: Customer.manager == own.id)

    def check_settable_by(self, actor: User, done: bool) -> None:
        """The customer's account manager, or whoever manages surveys."""
        if self.done == done:
            raise InvalidTransition(t("survey_follow_up.error.already_done" if done
                                      else "survey_follow_up.error.not_done"))
        manager_id = (Customer.select(Customer.manager).where(Customer.id == self.customer_id)
                      .scalar())
        if actor is None or (manager_id != actor.id
                             and not actor.has_perm(perm.SURVEY_MANAGE)):
            raise PermissionDenied(t("error.not_your_customer"))

    def set_done_by(self, actor: User, done: bool = True) -> "SurveyFollowUp":
        self.check_settable_by(actor, done)
        values = {"done": done, "done_by": actor.id if done else None,
                  "done_at": clock.now() if done else None}
        with database.atomic():
            update_as_read(self, values, SurveyFollowUp.done == (not done),
                           why=lambda current: InvalidTransition(
                               t("survey_follow_up.error.already_done" if done
                                 else "survey_follow_up.error.not_done"))
                           if current.done == done else None)
            audit.record(actor, "survey_follow_up", self.id, "done" if done else "undone",
                         {"done": (not done, done)})
        return SurveyFollowUp.get_by_id(self.id)


def follow_ups_due(user: User | None):
    """The follow-ups not yet done of the customers `user` manages, oldest
    first (the agenda lists them)."""
    if user is None:
        return SurveyFollowUp.select().where(False)
    return (SurveyFollowUp.select(SurveyFollowUp, Customer.name.alias("customer_name"),
                                  Survey.title.alias("survey_title"))
            .join(Customer, on=(SurveyFollowUp.customer == Customer.id))
            .join_from(SurveyFollowUp, Survey, on=(SurveyFollowUp.survey == Survey.id))
            .where((Customer.manager == user.id) & (SurveyFollowUp.done == False)  # noqa: E712
                   & (Customer.status != DELETED))
            .order_by(SurveyFollowUp.created_at, SurveyFollowUp.id)
            .objects())


# ----- filing a response ----------------------------------------------------

def _file_response(survey: Survey, customer_id: int, invitation: SurveyInvitation | None,
                   source: str, answered_at: dt.datetime, answers: dict[int, Any],
                   entered_by: User | None = None, mail_message: MailMessage | None = None,
                   note: str = "") -> SurveyResponse:
    """Inside a transaction: the response, its answers (question id →
    score or text), and a follow-up when the customer's average in the
    survey is now below 3."""
    questions = {question.id: question for question in survey.questions()}
    response = SurveyResponse.create(
        survey=survey.id, customer=customer_id,
        contact=invitation.contact_id if invitation else None,
        invitation=invitation.id if invitation else None, source=source,
        answered_at=answered_at, entered_by=entered_by.id if entered_by else None,
        mail_message=mail_message.id if mail_message else None, note=note)
    for question_id, value in sorted(answers.items()):
        question = questions.get(question_id)
        if question is None:
            raise ValidationError({f"q{question_id}": t("error.not_a_choice")})
        if question.kind == SCORE:
            SurveyAnswer.create(response=response.id, question=question.id, score=int(value))
        else:
            SurveyAnswer.create(response=response.id, question=question.id, text=str(value))
    _follow_up_if_low(survey, customer_id)
    return response


def customer_average(survey_id: int, customer_id: int) -> Decimal | None:
    """The customer's mean score over every scored answer in the survey."""
    total, count = (SurveyAnswer.select(fn.SUM(SurveyAnswer.score), fn.COUNT(SurveyAnswer.score))
                    .join(SurveyResponse, on=(SurveyAnswer.response == SurveyResponse.id))
                    .where((SurveyResponse.survey == survey_id)
                           & (SurveyResponse.customer == customer_id)
                           & SurveyAnswer.score.is_null(False))
                    .tuples().get())
    return average(total, count)


def _follow_up_if_low(survey: Survey, customer_id: int) -> None:
    mean = customer_average(survey.id, customer_id)
    if mean is None or mean >= FOLLOW_UP_BELOW:
        return
    existing = SurveyFollowUp.get_or_none((SurveyFollowUp.survey == survey.id)
                                          & (SurveyFollowUp.customer == customer_id))
    if existing is not None:
        SurveyFollowUp.update(average=mean).where(SurveyFollowUp.id == existing.id).execute()
        return
    follow_up = SurveyFollowUp.create(survey=survey.id, customer=customer_id, average=mean,
                                      created_at=clock.now())
    audit.record(None, "survey_follow_up", follow_up.id, audit.CREATE,
                 {"average": (None, mean)})


# ----- reading a mail reply ---------------------------------------------------

@dataclass
class ParsedReply:
    """What a reply's body says: question id → score or text, and the
    lines that could not be used, as messages for people."""

    answers: dict[int, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def find_code(*texts: str) -> str | None:
    """The first reply code in the texts (subject first), upper case."""
    for text in texts:
        match = REPLY_CODE.search(unicodedata.normalize("NFKC", text or ""))
        if match:
            return CODE_PREFIX + match.group(1).upper()
    return None


def parse_answers(body: str, questions: list[SurveyQuestion]) -> ParsedReply:
    """Read answer lines "<number>: <answer>" from a reply's body.

    Full-width digits and colons count ("３：５"); quoted lines (">") and
    lines of another form are skipped; the first answer to a question
    counts. A score must be a whole number 1–5 (a trailing 分 is allowed).
    """
    by_number = {question.number: question for question in questions}
    parsed = ParsedReply()
    for position, raw_line in enumerate(body.splitlines()[:REPLY_LINES_READ], start=1):
        if raw_line.lstrip().startswith((">", "＞")):
            continue
        match = ANSWER_LINE.match(raw_line)
        if not match:
            continue
        number = int(unicodedata.normalize("NFKC", match.group(1)))
        value = without_refused(match.group(2), allow="").strip()
        if not value:
            continue  # the template's empty line
        problem = _answer_problem(by_number.get(number), number, value, parsed)
        if problem:
            if len(parsed.problems) < PROBLEMS_KEPT:
                parsed.problems.append(t("survey.reply.line", line=position, problem=problem))
            continue
        question = by_number[number]
        if question.kind == SCORE:
            parsed.answers[question.id] = int(_score_text(value))
        else:
            parsed.answers[question.id] = value[:TEXT_ANSWER_LIMIT]
    return parsed


def _score_text(value: str) -> str:
    """"５分" → "5": full-width digits folded, a trailing 分 dropped."""
    return unicodedata.normalize("NFKC", value).removesuffix("分").strip()


def _answer_problem(question: SurveyQuestion | None, number: int, value: str,
                    parsed: ParsedReply) -> str:
    if question is None:
        return t("survey.reply.no_question", number=number)
    if question.id in parsed.answers:
        return t("survey.reply.twice", number=number)
    if question.kind == SCORE:
        score = _score_text(value)
        if not (score.isascii() and score.isdigit()) or not MIN_SCORE <= int(score) <= MAX_SCORE:
            return t("survey.reply.bad_score", number=number, value=value[:40])
    return ""


def read_survey_reply(message: MailMessage, actor: User | None = None) -> SurveyReply | None:
    """File a received message that carries a reply code as the invited
    contact's answers, or keep it unmatched with the reason; None for a
    message without a code. Runs inside the mail's filing transaction, in a
    savepoint of its own: whatever a reply holds, the mail stays filed."""
    code = find_code(message.subject, message.body)
    if code is None:
        return None
    try:
        return _file_reply(message, code, actor)
    except (CrmError, DataError, IntegrityError, ValueError) as error:
        # The answers could not be stored (the savepoint is rolled back):
        # the reply is kept unmatched with the reason, the mail stays filed.
        reason = t("survey.reply.unstorable", reason=" ".join(str(error).split())[:300])
        reply = SurveyReply.create(mail_message=message.id, code=code, status=REPLY_UNMATCHED,
                                   reason=reason, received_at=clock.now())
        _note_on_mail(message, reason)
        audit.record(actor, "survey_reply", reply.id, "receive",
                     {"status": ("", REPLY_UNMATCHED)})
        return reply


def _note_on_mail(message: MailMessage, reason: str) -> None:
    """Say on the mail itself why its survey answers were not filed: whoever
    opens the message (the customer's mail, the unmatched list) sees it."""
    note = t("survey.reply.mail_problem", reason=reason)
    problem = f"{message.problem}\n{note}" if message.problem else note
    MailMessage.update(problem=problem[:2000]).where(MailMessage.id == message.id).execute()


def _file_reply(message: MailMessage, code: str, actor: User | None) -> SurveyReply:
    with database.atomic():
        invitation = SurveyInvitation.get_or_none(SurveyInvitation.code == code)
        survey = Survey.get_by_id(invitation.survey_id) if invitation else None
        reason, parsed = _reply_refusal(invitation, survey, message)
        reply = SurveyReply.create(mail_message=message.id, code=code,
                                   survey=survey.id if survey else None,
                                   status=REPLY_UNMATCHED if reason else REPLY_FILED,
                                   reason=reason, received_at=clock.now())
        if reason:
            _note_on_mail(message, reason)
        if not reason:
            # Held: a close at the same moment waits, or this refuses.
            survey.hold("answer")
            response = _file_response(survey, invitation.customer_id, invitation, BY_MAIL,
                                      message.date, parsed.answers, mail_message=message)
            (SurveyInvitation.update(status=ANSWERED)
             .where(SurveyInvitation.id == invitation.id).execute())
            (SurveyReply.update(response=response.id, reason="\n".join(parsed.problems))
             .where(SurveyReply.id == reply.id).execute())
        audit.record(actor, "survey_reply", reply.id, "receive",
                     {"status": ("", reply.status)})
    return SurveyReply.get_by_id(reply.id)


def _reply_refusal(invitation: SurveyInvitation | None, survey: Survey | None,
                   message: MailMessage) -> tuple[str, ParsedReply]:
    """Why a reply cannot be filed ("" when it can), and its answers."""
    parsed = ParsedReply()
    if invitation is None:
        return t("survey.reply.unknown_code"), parsed
    if survey.status != OPEN:
        return t("survey.reply.not_open", status=status_label(survey.status)), parsed
    if invitation.status == ANSWERED or SurveyResponse.select().where(
            SurveyResponse.invitation == invitation.id).exists():
        return t("survey.reply.answered"), parsed
    parsed = parse_answers(message.body, list(survey.questions()))
    if not parsed.answers:
        problems = "; ".join(parsed.problems)
        return (t("survey.reply.no_answers") + (f" ({problems})" if problems else "")), parsed
    return "", parsed


RECEIVED_MAIL_READERS.append(read_survey_reply)


# ----- results ----------------------------------------------------------------

BREAKDOWNS = ("question", "level", "region", "month")


@dataclass(frozen=True)
class ResultRow:
    label: str
    responses: int
    scores: int
    average: Decimal | None


def _answers_in_scope(user: User, survey_id: int):
    """Scored answers of the survey that `user` may see: of every customer
    with survey.view_all, of own customers with survey.answer."""
    query = (SurveyAnswer.select()
             .join(SurveyResponse, on=(SurveyAnswer.response == SurveyResponse.id))
             .join(Customer, on=(SurveyResponse.customer == Customer.id))
             .where((SurveyResponse.survey == survey_id) & SurveyAnswer.score.is_null(False)))
    return scoped(query, user, perm.SURVEY_VIEW_ALL, {perm.SURVEY_ANSWER},
                  lambda own: Customer.manager == own.id)


def _year_month(column):
    if is_postgres():
        return fn.to_char(column, "YYYY-MM")
    return fn.strftime("%Y-%m", column)


def survey_results(user: User, survey_id: int, breakdown: str) -> list[ResultRow]:
    """Average score per question, per customer level, per region or per
    month of answering, computed by the database in `user`'s scope."""
    survey = Survey.get_visible(user, survey_id)
    if breakdown == "question":
        return _by_question(user, survey)
    if breakdown in ("level", "region"):
        entry = DictionaryEntry.alias()
        column = Customer.level if breakdown == "level" else Customer.region
        label, order = entry.item, entry.sort_order
        query = (_answers_in_scope(user, survey.id)
                 .join_from(Customer, entry, on=(column == entry.id)))
    elif breakdown == "month":
        label = order = _year_month(SurveyResponse.answered_at)
        query = _answers_in_scope(user, survey.id)
    else:
        raise ValueError(f"no breakdown {breakdown!r}")
    rows = (query.select(label, fn.COUNT(SurveyResponse.id.distinct()),
                         fn.COUNT(SurveyAnswer.score), fn.SUM(SurveyAnswer.score))
            .group_by(label, order).order_by(order, label).tuples())
    return [ResultRow(str(name), responses, count, average(total, count))
            for name, responses, count, total in rows]


def _by_question(user: User, survey: Survey) -> list[ResultRow]:
    """Every question, scored or not: its answers and mean score."""
    query = (SurveyAnswer.select(SurveyAnswer.question, fn.COUNT(SurveyAnswer.id),
                                 fn.COUNT(SurveyAnswer.score), fn.SUM(SurveyAnswer.score))
             .join(SurveyResponse, on=(SurveyAnswer.response == SurveyResponse.id))
             .join(Customer, on=(SurveyResponse.customer == Customer.id))
             .where(SurveyResponse.survey == survey.id)
             .group_by(SurveyAnswer.question))
    query = scoped(query, user, perm.SURVEY_VIEW_ALL, {perm.SURVEY_ANSWER},
                   lambda own: Customer.manager == own.id)
    figures = {question_id: (count, scores, total)
               for question_id, count, scores, total in query.tuples()}
    rows = []
    for question in survey.questions():
        count, scores, total = figures.get(question.id, (0, 0, None))
        rows.append(ResultRow(f"{question.number}. {question.text}", count, scores,
                              average(total, scores)))
    return rows


def responses_in_scope(user: User, survey_id: int) -> int:
    """How many responses to the survey `user` may see."""
    query = (SurveyResponse.select()
             .join(Customer, on=(SurveyResponse.customer == Customer.id))
             .where(SurveyResponse.survey == survey_id))
    return scoped(query, user, perm.SURVEY_VIEW_ALL, {perm.SURVEY_ANSWER},
                  lambda own: Customer.manager == own.id).count()


def follow_up_count(survey_id: int) -> int:
    return SurveyFollowUp.select().where(SurveyFollowUp.survey == survey_id).count()


# ----- the record kinds ---------------------------------------------------------

def _surveys_query(user: User, search: str, within: dict[str, Any]):
    questions = (SurveyQuestion.select(fn.COUNT(SurveyQuestion.id))
                 .where(SurveyQuestion.survey == Survey.id))
    responses = (SurveyResponse.select(fn.COUNT(SurveyResponse.id))
                 .where(SurveyResponse.survey == Survey.id))
    query = (Survey.visible_to(user)
             .select_extend(questions.alias("question_count"),
                            responses.alias("response_count"))
             .order_by(Survey.id.desc()))
    if within.get("status"):
        query = query.where(Survey.status == within["status"])
    for word in search.split():
        query = query.where(Survey.title.contains(word))
    return query


def _count(model, *conditions) -> int:
    return model.select().where(*conditions).count()


def _survey_rows(survey: Survey) -> list[tuple[str, Any]]:
    invitations = dict(SurveyInvitation.select(SurveyInvitation.status,
                                               fn.COUNT(SurveyInvitation.id))
                       .where(SurveyInvitation.survey == survey.id)
                       .group_by(SurveyInvitation.status).tuples())
    # The heading shows the title; the figures come first, where a short
    # screen still shows them.
    return [
        ("survey.status", status_label(survey.status)),
        ("survey.invitations", t("survey.invitation_counts",
                                 sent=invitations.get(INVITED, 0) + invitations.get(ANSWERED, 0),
                                 answered=invitations.get(ANSWERED, 0),
                                 failed=invitations.get(FAILED, 0),
                                 pending=invitations.get(PENDING, 0))),
        ("survey.responses", _count(SurveyResponse, SurveyResponse.survey == survey.id)),
        ("survey.follow_ups", follow_up_count(survey.id)),
        ("survey.created_by", f"{user_name(survey.created_by_id)}  "
                              f"{moment_text(survey.created_at)}"),
        ("survey.opened_at", moment_text(survey.opened_at)),
        ("survey.closed_at", moment_text(survey.closed_at)),
    ]


def _survey_sections(survey: Survey) -> list[tuple[str, list]]:
    replies = (SurveyReply.select(SurveyReply, MailMessage.sender)
               .join(MailMessage, on=(SurveyReply.mail_message == MailMessage.id))
               .where((SurveyReply.survey == survey.id) & (SurveyReply.reason != ""))
               .order_by(SurveyReply.id.desc()).limit(10))
    failed = (SurveyInvitation.select().where((SurveyInvitation.survey == survey.id)
                                              & (SurveyInvitation.status == FAILED))
              .order_by(SurveyInvitation.id).limit(10))
    return [
        ("survey.section.replies",
         [(f"{moment_text(reply.received_at)}  {reply.code}  {status_label_reply(reply.status)}"
           f"  {reply.mail_message.sender}", reply.reason.splitlines()[:5])
          for reply in replies]),
        ("survey.section.failed",
         [(f"{invitation.address}  {invitation.code}", [invitation.problem[:200]])
          for invitation in failed]),
    ]


def status_label_reply(status: str) -> str:
    return t(f"survey.reply.status.{status}")


def unmatched_replies(survey_id: int | None = None):
    """Replies with a code that were not filed, newest first."""
    query = (SurveyReply.select().where(SurveyReply.status == REPLY_UNMATCHED)
             .order_by(SurveyReply.id.desc()))
    if survey_id is not None:
        query = query.where(SurveyReply.survey == survey_id)
    return query


def _invitations_text(invitations: list[SurveyInvitation]) -> str:
    return t("survey.invitations_ready", count=len(invitations))


SURVEY = register(RecordKind(
    name="survey", title="survey.list_title", opens="survey", child="survey_question",
    status_filters=SURVEY_STATUSES, status_label=status_label, transitions=SURVEY_TRANSITIONS,
    columns=[
        Column("title", "survey.title", 36, Survey.title),
        Column("status", "survey.status", 8, Survey.status, format=status_label),
        Column("question_count", "survey.questions", 6),
        Column("response_count", "survey.responses", 7),
        Column("created_at", "survey.created_at", 16, Survey.created_at, format=moment_text),
    ],
    query=_surveys_query, get=Survey.get_visible,
    words=lambda survey: {"title": survey.title},
    heading=lambda survey: t("survey.heading", title=survey.title,
                             status=status_label(survey.status)),
    rows=_survey_rows, sections=_survey_sections,
    actions=[
        Action("new", "n", "survey.action.new", on_row=False,
               check=lambda _parent, actor: require(actor, perm.SURVEY_MANAGE),
               form=lambda _parent, _actor: SURVEY_FIELDS, title="survey.new_title",
               done=lambda survey: t("survey.created", title=survey.title),
               run=lambda _parent, actor, values: Survey.create_by(actor, values)),
        Action("edit", "e", "survey.action.edit",
               check=lambda survey, actor: survey.check_manageable_by(actor, "edit"),
               form=lambda _survey, _actor: SURVEY_FIELDS,
               prefill=lambda survey, _actor: {"title": survey.title},
               title="survey.edit_title", done="survey.saved",
               run=lambda survey, actor, values: survey.update_by(actor, values)),
        Action("open", "p", "survey.action.open", ask="survey.open_question",
               check=lambda survey, actor: survey.check_manageable_by(actor, "open"),
               done="survey.opened", run=lambda survey, actor, _values: survey.open_by(actor)),
        Action("send", "u", "survey.action.send", in_list=False,
               check=lambda survey, actor: survey.check_manageable_by(actor, "send"),
               form=lambda _survey, actor: send_fields(actor), title="survey.send_title",
               done=_invitations_text,
               run=lambda survey, actor, values: survey.invite_by(actor, values)),
        Action("answer", "w", "survey.action.answer", in_list=False,
               check=lambda survey, actor: survey.check_answerable_by(actor),
               form=answer_fields, title="survey.answer_title", done="survey.answered",
               run=lambda survey, actor, values: survey.answer_by(actor, values)),
        Action("close", "c", "survey.action.close", ask="survey.close_question",
               check=lambda survey, actor: survey.check_manageable_by(actor, "close"),
               done="survey.closed", run=lambda survey, actor, _values: survey.close_by(actor)),
        Action("delete", "d", "survey.action.delete", leaves=True,
               check=lambda survey, actor: survey.check_manageable_by(actor, "delete"),
               ask="survey.delete_question", done="survey.deleted",
               run=lambda survey, actor, _values: survey.delete_by(actor)),
    ],
))


def _questions_query(_user: User, search: str, within: dict[str, Any]):
    query = (SurveyQuestion.select().where(SurveyQuestion.survey == within.get("parent"))
             .order_by(SurveyQuestion.number))
    for word in search.split():
        query = query.where(SurveyQuestion.text.contains(word))
    return query


def _check_question(question: SurveyQuestion, actor: User) -> None:
    question.survey_of().check_manageable_by(actor, "questions")


SURVEY_QUESTION = register(RecordKind(
    name="survey_question", title="survey_question.title", parent="survey", changes=("survey",),
    columns=[
        Column("number", "survey_question.number", 4, SurveyQuestion.number),
        Column("text", "survey_question.text", 50, SurveyQuestion.text),
        Column("kind", "survey_question.kind", 10, SurveyQuestion.kind, format=kind_label),
    ],
    query=_questions_query, get=visible_through(SurveyQuestion.survey),
    words=lambda question: {"number": question.number},
    actions=[
        Action("add", "i", "survey_question.action.add", on_row=False,
               check=lambda survey, actor: survey.check_manageable_by(actor, "questions"),
               form=lambda _survey, _actor: QUESTION_FIELDS, title="survey_question.add_title",
               prefill=lambda _survey, _actor: {"kind": SCORE}, done="survey_question.saved",
               run=lambda survey, actor, values: survey.add_question_by(actor, values)),
        Action("edit", "o", "survey_question.action.edit", check=_check_question,
               form=lambda _question, _actor: QUESTION_FIELDS,
               prefill=lambda question, _actor: {"text": question.text, "kind": question.kind},
               title="survey_question.edit_title", done="survey_question.saved",
               run=lambda question, actor, values: question.update_by(actor, values)),
        Action("delete", "x", "survey_question.action.delete", check=_check_question,
               ask="survey_question.delete_question", done="survey_question.deleted",
               run=lambda question, actor, _values: question.delete_by(actor)),
    ],
))


def _follow_ups_query(user: User, search: str, within: dict[str, Any]):
    query = (SurveyFollowUp.visible_to(user)
             .select_extend(Customer.name.alias("customer_name"),
                            Survey.title.alias("survey_title"))
             .join_from(SurveyFollowUp, Survey, on=(SurveyFollowUp.survey == Survey.id))
             .order_by(SurveyFollowUp.done, SurveyFollowUp.created_at.desc(),
                       SurveyFollowUp.id.desc()))
    if within.get("parent") is not None:
        query = query.where(SurveyFollowUp.customer == within["parent"])
    for word in search.split():
        query = query.where(Customer.name.contains(word) | Survey.title.contains(word))
    return query


def _done_text(done: Any) -> str:
    return t("survey_follow_up.done") if done else t("survey_follow_up.to_do")


SURVEY_FOLLOW_UP = register(RecordKind(
    name="survey_follow_up", title="survey_follow_up.list_title",
    columns=[
        Column("created_at", "survey_follow_up.created_at", 16, SurveyFollowUp.created_at,
               format=moment_text),
        Column("customer_name", "survey_follow_up.customer", 20, Customer.name),
        Column("survey_title", "survey_follow_up.survey", 18, Survey.title),
        Column("average", "survey_follow_up.average", 7, SurveyFollowUp.average),
        Column("done", "survey_follow_up.state", 6, SurveyFollowUp.done, format=_done_text),
    ],
    query=_follow_ups_query, get=SurveyFollowUp.get_visible,
    words=lambda follow_up: {"average": follow_up.average},
    actions=[
        Action("done", "c", "survey_follow_up.action.done", done="survey_follow_up.marked_done",
               check=lambda follow_up, actor: follow_up.check_settable_by(actor, True),
               run=lambda follow_up, actor, _values: follow_up.set_done_by(actor, True)),
        Action("undone", "u", "survey_follow_up.action.undone",
               done="survey_follow_up.marked_undone",
               check=lambda follow_up, actor: follow_up.check_settable_by(actor, False),
               run=lambda follow_up, actor, _values: follow_up.set_done_by(actor, False)),
    ],
))

"""Demo data of satisfaction surveys (M13) and customers' organisations
(M14), made through the rules themselves with the clock moved to when each
step happened:

- a closed survey of last quarter, answered after calls;
- an open survey sent by mail: invitations (recorded as sent), replies
  filed from received mail (one with a bad line, one with an unknown code),
  and a few answers typed after calls; customers averaging below 3 have
  their follow-ups, one of them done;
- a draft survey;
- departments, sub-departments and people for a dozen customers, a few
  people moved since.

`make_demo_surveys(company)` is called by crm_tui.demo for the demo
database, with the demo's company (its random source, accounts, customers).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from crm_tui import clock
from crm_tui.models import customers
from crm_tui.models.customers import Contact
from crm_tui.models.mail import IncomingMail, MailMessage
from crm_tui.models.organisation import Department, place_contact_by
from crm_tui.models.users import User
from crm_tui.models.errors import ValidationError
from crm_tui.models.surveys import (SCORE, Survey, SurveyFollowUp, SurveyInvitation,
                                    SurveyQuestion)

CLOSED_SURVEY = ("2026年第三季度客户满意度调查",
                 (("销售人员的服务态度", SCORE), ("产品质量", SCORE), ("交货及时性", SCORE),
                  ("售后服务响应速度", SCORE), ("您还有什么意见和建议？", "text")))
OPEN_SURVEY = ("2026年度服务满意度回访",
               (("对我公司整体服务是否满意", SCORE), ("合同与回款流程是否顺畅", SCORE),
                ("技术支持是否及时", SCORE), ("其他意见", "text")))
DRAFT_SURVEY = ("新产品试用反馈", (("试用产品是否满足需求", SCORE), ("改进建议", "text")))
SUGGESTIONS = ("希望交货再快一些", "服务很好，继续保持", "发票寄送有时延迟", "技术人员很专业",
               "价格偏高", "希望增加上门培训", "")
DEPARTMENTS = (("总经理办公室", ()), ("采购部", ("采购一组", "采购二组")), ("技术部", ("设备科",)),
               ("财务部", ()))
CLOSED_ANSWERED = 24
OPEN_INVITED = 14
OPEN_TYPED = 6
ORGANISED = 12


class DemoSurveys:
    def __init__(self, company: Any):
        self.company = company
        self.rng = company.rng
        self.supervisor = company.supervisor
        self.normal = [c for c in company.customers if c.status == customers.NORMAL]

    def at(self, day: dt.date) -> None:
        moment = self.company.work_time(day)
        clock.set_clock(lambda: moment)

    def make(self) -> str:
        clock_before = clock.current_clock()
        try:
            closed = self.closed_survey()
            mailed = self.open_survey()
            self.draft_survey()
            organised = self.organisations()
        finally:
            clock.set_clock(clock_before)
        return (f"  3 surveys ({closed} + {mailed} responses, "
                f"{SurveyFollowUp.select().count()} follow-ups), "
                f"organisations of {organised} customers")

    # ----- surveys ----------------------------------------------------------
    def build(self, title: str, questions: tuple, day: dt.date) -> Survey:
        self.at(day)
        survey = Survey.create_by(self.supervisor, {"title": title})
        for text, kind in questions:
            survey.add_question_by(self.supervisor, {"text": text, "kind": kind})
        return Survey.get_by_id(survey.id)

    def score(self, mood: float) -> str:
        """A score around the customer's mood (1.5 unhappy ... 4.5 happy)."""
        return str(max(1, min(5, round(self.rng.gauss(mood, 0.8)))))

    def typed(self, survey: Survey, customer: Any, day: dt.date, mood: float) -> None:
        self.at(day)
        values: dict[str, Any] = {"customer": customer.id, "note": "电话回访"}
        for question in survey.questions():
            values[f"q{question.id}"] = (self.score(mood) if question.kind == SCORE
                                         else self.rng.choice(SUGGESTIONS))
        survey.answer_by(customer.manager, values)

    def mood(self) -> float:
        return self.rng.choice((1.8, 3.5, 4.0, 4.0, 4.3, 4.5, 4.5))

    def closed_survey(self) -> int:
        company = self.company
        survey = self.build(*CLOSED_SURVEY, company.days_ago(160))
        survey = survey.open_by(self.supervisor)
        answered = self.rng.sample(self.normal, min(CLOSED_ANSWERED, len(self.normal)))
        for customer in answered:
            self.typed(survey, customer, company.days_ago(self.rng.randrange(95, 155)),
                       self.mood())
        self.at(company.days_ago(92))
        survey.close_by(self.supervisor)
        return len(answered)

    def open_survey(self) -> int:
        company = self.company
        survey = self.build(*OPEN_SURVEY, company.days_ago(45)).open_by(self.supervisor)
        with_mail = [c for c in self.normal
                     if Contact.select().where((Contact.customer == c.id)
                                               & (Contact.email != "")).exists()]
        chosen = self.rng.sample(with_mail, min(OPEN_INVITED, len(with_mail)))
        self.at(company.days_ago(40))
        for customer in chosen:
            for invitation in survey.invite_by(self.supervisor, {"customer": customer.id}):
                subject, body = invitation.mail_text()
                invitation.record_sent(self.supervisor,
                                       f"<{invitation.code.lower()}@demo.crm-tui.invalid>",
                                       "service@demo.example", subject, body)
        filed = 0
        questions = list(survey.questions())
        for number, invitation in enumerate(SurveyInvitation.select()
                                            .where(SurveyInvitation.survey == survey.id)
                                            .order_by(SurveyInvitation.id)):
            if self.rng.random() < 0.35:
                continue  # not answered (yet)
            mood = self.mood()
            lines = [f"{q.number}: {self.score(mood) if q.kind == SCORE else self.rng.choice(SUGGESTIONS)}"
                     for q in questions]
            if number % 5 == 2:
                lines.append(f"{len(questions) + 1}: 5")  # a line naming no question
            self.reply(invitation, "您好：\n" + "\n".join(lines) + "\n\n此致\n敬礼", number)
            filed += 1
        # A reply whose code matches no invitation: kept unmatched with the reason.
        if chosen:
            stranger = SurveyInvitation.select().where(
                SurveyInvitation.survey == survey.id).first()
            if stranger is not None:
                self.reply(stranger, "1: 5\n2: 5", 999, code="DY-ZZZZ2222")
        for customer in self.rng.sample(self.normal, min(OPEN_TYPED, len(self.normal))):
            self.typed(survey, customer, company.days_ago(self.rng.randrange(3, 30)),
                       self.mood())
        done = SurveyFollowUp.select().order_by(SurveyFollowUp.id).first()
        if done is not None:
            self.at(company.days_ago(2))
            manager = customers.Customer.get_by_id(done.customer_id).manager
            done.set_done_by(manager)
        return filed

    def reply(self, invitation: SurveyInvitation, body: str, number: int,
              code: str | None = None) -> None:
        day = self.company.days_ago(self.rng.randrange(5, 38))
        self.at(day)
        MailMessage.file_incoming(IncomingMail(
            message_id=f"<reply-{number}-{invitation.code.lower()}@demo.example>",
            sender=invitation.address.lower(), subject=f"Re: 客户满意度调查 [{code or invitation.code}]",
            body=body + f"\n\n> 回复编码：{code or invitation.code}", date=clock.now()))

    def draft_survey(self) -> None:
        self.build(*DRAFT_SURVEY, self.company.days_ago(3))

    # ----- organisations --------------------------------------------------------
    def organisations(self) -> int:
        company = self.company
        organised = [c for c in self.normal
                     if Contact.select().where(Contact.customer == c.id).count() >= 2]
        organised = organised[:ORGANISED]
        for customer in organised:
            manager = customer.manager
            self.at(company.days_ago(self.rng.randrange(60, 200)))
            made: list[Department] = []
            for name, subs in DEPARTMENTS:
                top = Department.create_by(manager, customer.id, {"name": name})
                made.append(top)
                made += [Department.create_by(manager, customer.id, {"name": sub}, parent=top)
                         for sub in subs]
            people = list(Contact.select().where(Contact.customer == customer.id)
                          .order_by(Contact.id))
            for person in people:
                place_contact_by(manager, person, {"department": self.rng.choice(made).id,
                                                   "position": person.position})
            # Someone changed jobs since.
            self.at(company.days_ago(self.rng.randrange(5, 50)))
            moved = Contact.get_by_id(people[-1].id)
            try:
                place_contact_by(manager, moved, {"department": made[1].id,
                                                  "position": "采购部经理"})
            except ValidationError:
                pass  # already there as that

        return len(organised)


def make_demo_surveys(company: Any) -> str:
    """The demo's surveys and organisations; a line saying what was made."""
    return DemoSurveys(company).make()


__all__ = ["make_demo_surveys"]


# ----- at scale ---------------------------------------------------------------------

SCALE_SURVEY_TITLE = "规模数据满意度调查"
SCALE_QUESTIONS = (("整体满意度", SCORE), ("产品质量", SCORE), ("交货及时性", SCORE),
                   ("售后服务", SCORE), ("意见和建议", "text"))
SCALE_CHUNK = 5_000
SCALE_MONTHS = 12


def fill_surveys_at_scale(responses: int, seed: int = 1, progress: Any = print) -> int:
    """One open survey answered `responses` times by customers of the bound
    database (scores over the last year, by call), with the follow-ups of
    those averaging below 3: what the results screen and the agenda read at
    scale. Written in chunks of plain INSERTs, not through the rules, as
    `demo-data`'s other tables are. Returns the follow-ups made."""
    import random

    from peewee import fn

    from crm_tui.models import database
    from crm_tui.models.customers import Customer
    from crm_tui.models.surveys import (BY_CALL, FOLLOW_UP_BELOW, OPEN, SurveyAnswer,
                                        SurveyResponse, average)

    if responses <= 0:
        return 0
    rng = random.Random(seed)
    customer_ids = [customer_id for (customer_id,) in
                    Customer.select(Customer.id).where(Customer.status == customers.NORMAL)
                    .tuples()]
    manager = User.select().where(User.active == True).order_by(User.id).first()  # noqa: E712
    if not customer_ids or manager is None:
        raise ValueError("no customers to survey: fill customers first")
    now = clock.now()
    with database.atomic():
        survey = Survey.create(title=SCALE_SURVEY_TITLE, status=OPEN, created_by=manager.id,
                               created_at=now - dt.timedelta(days=366),
                               opened_at=now - dt.timedelta(days=365))
        questions = [SurveyQuestion.create(survey=survey.id, number=number, text=text, kind=kind)
                     for number, (text, kind) in enumerate(SCALE_QUESTIONS, start=1)]
    moods = {}
    for start in range(0, responses, SCALE_CHUNK):
        count = min(SCALE_CHUNK, responses - start)
        with database.atomic():
            first_id = (SurveyResponse.select(fn.MAX(SurveyResponse.id)).scalar() or 0) + 1
            rows, answers = [], []
            for offset in range(count):
                customer_id = rng.choice(customer_ids)
                mood = moods.setdefault(customer_id, rng.choice((1.8, 3.5, 4.0, 4.3, 4.5)))
                rows.append({"id": first_id + offset, "survey": survey.id,
                             "customer": customer_id, "source": BY_CALL,
                             "answered_at": now - dt.timedelta(
                                 days=rng.randrange(SCALE_MONTHS * 30), minutes=rng.randrange(600)),
                             "note": ""})
                for question in questions:
                    if question.kind == SCORE:
                        score = max(1, min(5, round(rng.gauss(mood, 0.8))))
                        answers.append({"response": first_id + offset, "question": question.id,
                                        "score": score, "text": ""})
                    elif rng.random() < 0.3:
                        answers.append({"response": first_id + offset, "question": question.id,
                                        "score": None, "text": rng.choice(SUGGESTIONS[:-1])})
            for batch in range(0, len(rows), 500):
                SurveyResponse.insert_many(rows[batch:batch + 500]).execute()
            for batch in range(0, len(answers), 500):
                SurveyAnswer.insert_many(answers[batch:batch + 500]).execute()
        progress(f"  {start + count:,} survey responses")
    _sync_sequence(SurveyResponse)
    low = (SurveyAnswer.select(SurveyResponse.customer, fn.SUM(SurveyAnswer.score),
                               fn.COUNT(SurveyAnswer.score))
           .join(SurveyResponse, on=(SurveyAnswer.response == SurveyResponse.id))
           .where((SurveyResponse.survey == survey.id) & SurveyAnswer.score.is_null(False))
           .group_by(SurveyResponse.customer).tuples())
    follow_ups = [{"survey": survey.id, "customer": customer_id,
                   "average": average(total, scores), "created_at": now}
                  for customer_id, total, scores in low
                  if average(total, scores) < FOLLOW_UP_BELOW]
    with database.atomic():
        for batch in range(0, len(follow_ups), 500):
            SurveyFollowUp.insert_many(follow_ups[batch:batch + 500]).execute()
    progress(f"  {responses:,} survey responses, {len(follow_ups):,} follow-ups")
    return len(follow_ups)


def _sync_sequence(model: Any) -> None:
    """On PostgreSQL, rows inserted with their own ids leave the id
    sequence behind: move it past them."""
    from crm_tui.models.base import database, is_postgres

    if is_postgres():
        table = model._meta.table_name
        database.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                             f"(SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))")

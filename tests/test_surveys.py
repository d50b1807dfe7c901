"""Satisfaction surveys (M13): the state graph and its refusals, questions
only in draft, invitations, typed answers, reply filing, follow-ups and
results checked against a computation of their own, on SQLite and
PostgreSQL."""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest

from crm_tui.models import (AuditLog, Contact, MailMessage, Survey, SurveyAnswer,
                            SurveyFollowUp, SurveyInvitation, SurveyQuestion, SurveyReply,
                            SurveyResponse)
from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION
from crm_tui.models.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from crm_tui.models.mail import IncomingMail
from crm_tui.models.surveys import (ANSWERED, CLOSED, DRAFT, OPEN, PENDING, REPLY_FILED,
                                    REPLY_UNMATCHED, SURVEY_TRANSITIONS, find_code,
                                    follow_ups_due, parse_answers, survey_results)
from tests.conftest import at, entry, make_customer, offers


def add_contact(customer, email, name="李明"):
    return Contact.create_by(customer.manager, customer, {
        "name": name, "sex": "M", "position": "采购经理", "office_phone": "010-62345678",
        "email": email})


def draft_survey(people, title="2026年度服务满意度", questions=(("服务态度", "score"),
                                                          ("响应速度", "score"),
                                                          ("其他建议", "text"))):
    survey = Survey.create_by(people.supervisor, {"title": title})
    for text, kind in questions:
        survey.add_question_by(people.supervisor, {"text": text, "kind": kind})
    return Survey.get_by_id(survey.id)


def open_survey(people, **kwargs):
    return draft_survey(people, **kwargs).open_by(people.supervisor)


def questions(survey):
    return list(survey.questions())


def typed(survey, customer, *answers, note=""):
    values = {"customer": customer.id, "note": note}
    for question, answer in zip(questions(survey), answers):
        values[f"q{question.id}"] = answer
    return values


def incoming(body, subject="Re: 客户满意度调查", sender="li.ming@client.example",
             message_id="<reply-1@client.example>", date=dt.datetime(2026, 11, 25, 14)):
    return IncomingMail(message_id=message_id, sender=sender, subject=subject, body=body,
                        date=date)


@pytest.fixture
def customer(crm_db, people):
    return make_customer(people.manager, name="北京远大科技有限公司")


# ----- the state graph --------------------------------------------------------

def test_a_survey_goes_from_draft_to_open_to_closed(customer, people):
    at(2026, 11, 20)
    survey = draft_survey(people)
    assert (survey.status, [q.number for q in questions(survey)]) == (DRAFT, [1, 2, 3])
    survey = survey.open_by(people.supervisor)
    assert (survey.status, survey.opened_at) == (OPEN, dt.datetime(2026, 11, 20, 9))
    survey = survey.close_by(people.supervisor)
    assert (survey.status, survey.closed_at) == (CLOSED, dt.datetime(2026, 11, 20, 9))
    actions = [row.action for row in AuditLog.select().where(AuditLog.table_name == "survey")
               .order_by(AuditLog.id)]
    assert actions == ["create", "open", "close"]


@pytest.mark.parametrize("action", sorted(SURVEY_TRANSITIONS.actions))
def test_every_action_is_refused_from_every_state_the_graph_does_not_allow(customer, people,
                                                                            action):
    survey = draft_survey(people)
    states = {DRAFT: survey}
    states[OPEN] = open_survey(people, title="第二份")
    states[CLOSED] = open_survey(people, title="第三份").close_by(people.supervisor)
    calls = {
        "edit": lambda s: s.update_by(people.supervisor, {"title": "新标题"}),
        "questions": lambda s: s.add_question_by(people.supervisor,
                                                 {"text": "新题", "kind": "score"}),
        "delete": lambda s: s.delete_by(people.supervisor),
        "open": lambda s: s.open_by(people.supervisor),
        "send": lambda s: s.invite_by(people.supervisor, {"customer": customer.id}),
        "answer": lambda s: s.answer_by(people.manager, typed(s, customer, "4")),
        "close": lambda s: s.close_by(people.supervisor),
    }
    for state, record in states.items():
        if SURVEY_TRANSITIONS.allows(action, state):
            continue
        with pytest.raises(InvalidTransition):
            calls[action](record)
        assert Survey.get_by_id(record.id).status == state


def test_questions_change_only_in_draft(customer, people):
    survey = draft_survey(people)
    first, second, third = questions(survey)
    second.update_by(people.supervisor, {"text": "响应及时", "kind": "score"})
    first.delete_by(people.supervisor)
    # The later questions move up a number: reply lines name 1, 2 ...
    assert [(q.number, q.text) for q in questions(survey)] == [(1, "响应及时"), (2, "其他建议")]
    survey = survey.open_by(people.supervisor)
    with pytest.raises(InvalidTransition):
        SurveyQuestion.get_by_id(second.id).update_by(people.supervisor,
                                                      {"text": "x", "kind": "score"})
    with pytest.raises(InvalidTransition):
        SurveyQuestion.get_by_id(third.id).delete_by(people.supervisor)
    assert not offers(SurveyQuestion.get_by_id(third.id), people.supervisor, "edit")
    assert [q.text for q in questions(survey)] == ["响应及时", "其他建议"]


def test_a_survey_without_questions_is_not_opened(customer, people):
    survey = Survey.create_by(people.supervisor, {"title": "空调查"})
    with pytest.raises(ValidationError) as refused:
        survey.open_by(people.supervisor)
    assert "questions" in refused.value.errors
    assert Survey.get_by_id(survey.id).status == DRAFT


def test_bad_input_is_refused_and_nothing_written(customer, people):
    with pytest.raises(ValidationError) as refused:
        Survey.create_by(people.supervisor, {"title": "  "})
    assert "title" in refused.value.errors
    survey = Survey.create_by(people.supervisor, {"title": "调查"})
    with pytest.raises(ValidationError) as refused:
        survey.add_question_by(people.supervisor, {"text": "题", "kind": "essay"})
    assert "kind" in refused.value.errors
    with pytest.raises(ValidationError):
        survey.add_question_by(people.supervisor, {"text": "", "kind": "score"})
    assert SurveyQuestion.select().count() == 0
    assert Survey.select().count() == 1


def test_only_survey_managers_build_open_close_and_send(customer, people):
    with pytest.raises(PermissionDenied):
        Survey.create_by(people.manager, {"title": "我的调查"})
    with pytest.raises(PermissionDenied):
        Survey.create_by(people.executive, {"title": "高管调查"})
    survey = draft_survey(people)
    for actor in (people.manager, people.executive):
        with pytest.raises(PermissionDenied):
            survey.open_by(actor)
        with pytest.raises(PermissionDenied):
            survey.add_question_by(actor, {"text": "题", "kind": "score"})
        assert not offers(survey, actor, "open")
    survey = survey.open_by(people.admin)
    for actor in (people.manager, people.executive):
        with pytest.raises(PermissionDenied):
            survey.close_by(actor)
        with pytest.raises(PermissionDenied):
            survey.invite_by(actor, {"customer": customer.id})
    assert Survey.get_by_id(survey.id).status == OPEN


def test_account_managers_see_open_and_closed_surveys_only(customer, people):
    draft = draft_survey(people, title="草稿")
    opened = open_survey(people, title="进行中")
    assert {s.id for s in Survey.visible_to(people.manager)} == {opened.id}
    assert {s.id for s in Survey.visible_to(people.executive)} == {draft.id, opened.id}
    with pytest.raises(NotFound):
        Survey.get_visible(people.manager, draft.id)


# ----- invitations -------------------------------------------------------------

def test_invitations_go_to_contacts_with_an_address_once(customer, people):
    li = add_contact(customer, "li.ming@client.example")
    add_contact(customer, "", name="无邮箱")
    shanghai = make_customer(people.other_manager, name="上海某公司",
                             region=entry(REGION, "上海").id,
                             level=entry(CUSTOMER_LEVEL, "普通客户").id)
    zhang = add_contact(shanghai, "zhang@sh.example", name="张三")
    survey = open_survey(people)

    with pytest.raises(ValidationError):
        survey.invite_by(people.supervisor, {})
    first = survey.invite_by(people.supervisor, {"customer": customer.id})
    assert [(i.contact_id, i.address, i.status) for i in first] == [
        (li.id, "li.ming@client.example", PENDING)]
    assert find_code(first[0].code) == first[0].code
    by_region = survey.invite_by(people.supervisor, {"region": entry(REGION, "上海").id})
    # Still waiting ones are offered again; no contact is invited twice.
    assert {i.contact_id for i in by_region} == {li.id, zhang.id}
    survey.invite_by(people.supervisor, {"level": entry(CUSTOMER_LEVEL, "普通客户").id})
    assert SurveyInvitation.select().count() == 2
    codes = [i.code for i in SurveyInvitation.select()]
    assert len(set(codes)) == 2


def test_the_invitation_mail_carries_the_code_and_the_questions(customer, people):
    add_contact(customer, "li.ming@client.example")
    survey = open_survey(people)
    invitation = survey.invite_by(people.supervisor, {"customer": customer.id})[0]
    subject, body = invitation.mail_text()
    assert invitation.code in subject and invitation.code in body
    assert "李明" in body and "服务态度" in body and "其他建议" in body
    # The template's empty answer lines, quoted back in a reply, file nothing.
    assert parse_answers(body, questions(survey)).answers == {}


# ----- typed answers --------------------------------------------------------------

def test_a_manager_types_answers_for_own_customers_only(customer, people):
    at(2026, 11, 21)
    survey = open_survey(people)
    response = survey.answer_by(people.manager, typed(survey, customer, "4", "5", "很好",
                                                      note="电话回访"))
    assert (response.source, response.customer_id, response.entered_by_id, response.note) == (
        "call", customer.id, people.manager.id, "电话回访")
    stored = {a.question_id: (a.score, a.text) for a in
              SurveyAnswer.select().where(SurveyAnswer.response == response.id)}
    first, second, third = questions(survey)
    assert stored == {first.id: (4, ""), second.id: (5, ""), third.id: (None, "很好")}

    theirs = make_customer(people.other_manager, name="上海某公司")
    with pytest.raises(ValidationError) as refused:
        survey.answer_by(people.manager, typed(survey, theirs, "4"))
    assert "customer" in refused.value.errors
    with pytest.raises(ValidationError) as refused:
        survey.answer_by(people.manager, typed(survey, customer, "6"))
    assert f"q{first.id}" in refused.value.errors
    with pytest.raises(ValidationError):
        survey.answer_by(people.manager, typed(survey, customer, "", "", ""))
    with pytest.raises(PermissionDenied):
        survey.answer_by(people.executive, typed(survey, customer, "4"))
    # A supervisor sees every customer's results, so types for any.
    survey.answer_by(people.supervisor, typed(survey, theirs, "3"))
    assert SurveyResponse.select().count() == 2


# ----- follow-ups -------------------------------------------------------------------

def test_a_customer_averaging_below_3_gets_one_follow_up_for_its_manager(customer, people):
    survey = open_survey(people)
    survey.answer_by(people.manager, typed(survey, customer, "3", "3"))
    assert SurveyFollowUp.select().count() == 0  # 3.00 is not below 3
    survey.answer_by(people.manager, typed(survey, customer, "2", "2"))
    follow_up = SurveyFollowUp.get()
    assert (follow_up.customer_id, follow_up.average, follow_up.done) == (
        customer.id, Decimal("2.50"), False)
    survey.answer_by(people.manager, typed(survey, customer, "1"))
    assert SurveyFollowUp.select().count() == 1
    assert SurveyFollowUp.get().average == Decimal("2.20")

    assert [f.id for f in follow_ups_due(people.manager)] == [follow_up.id]
    assert list(follow_ups_due(people.other_manager)) == []
    assert list(follow_ups_due(None)) == []
    assert SurveyFollowUp.visible_to(people.other_manager).count() == 0
    assert SurveyFollowUp.visible_to(people.executive).count() == 1

    follow_up = SurveyFollowUp.get()
    with pytest.raises(PermissionDenied):
        follow_up.set_done_by(people.other_manager)
    with pytest.raises(InvalidTransition):
        follow_up.set_done_by(people.manager, False)
    done = follow_up.set_done_by(people.manager)
    assert (done.done, done.done_by_id) == (True, people.manager.id)
    assert list(follow_ups_due(people.manager)) == []
    # A second "done" from a list read before: refused, not written twice.
    with pytest.raises(InvalidTransition):
        follow_up.set_done_by(people.supervisor)
    undone = done.set_done_by(people.supervisor, False)
    assert (undone.done, undone.done_by_id) == (False, None)
    assert len(list(follow_ups_due(people.manager))) == 1


# ----- mail replies ---------------------------------------------------------------------

@pytest.mark.parametrize("body, expected, problems", [
    ("1: 4\n2: 5\n3: 很好", {1: 4, 2: 5, 3: "很好"}, 0),
    ("１：４\n２： 5分\nQ3: 还行", {1: 4, 2: 5, 3: "还行"}, 0),
    ("您好！\n1: 4\n谢谢\n-- \n张三\n> 2: 1", {1: 4}, 0),
    ("1: 6\n2: 四\n3: ok", {3: "ok"}, 2),
    ("1: 4\n1: 2\n9: 5", {1: 4}, 2),
    ("1:\n2: \n", {}, 0),
    ("1: 4.5", {}, 1),
])
def test_answer_lines_are_read_and_bad_ones_reported(customer, people, body, expected,
                                                     problems):
    survey = draft_survey(people)
    by_number = {q.number: q.id for q in questions(survey)}
    parsed = parse_answers(body, questions(survey))
    assert parsed.answers == {by_number[n]: value for n, value in expected.items()}
    assert len(parsed.problems) == problems


def invited(customer, people, email="li.ming@client.example"):
    add_contact(customer, email)
    survey = open_survey(people)
    invitation = survey.invite_by(people.supervisor, {"customer": customer.id})[0]
    return survey, invitation


def test_a_reply_with_its_code_is_filed_as_the_contacts_answers(customer, people):
    survey, invitation = invited(customer, people)
    body = "王经理您好：\n1: 2\n2: 7\n3: 送货太慢\n\n> 1: \n> 回复编码：" + invitation.code
    assert MailMessage.file_incoming(incoming(body, f"Re: 调查 [{invitation.code}]")) == "filed"

    reply = SurveyReply.get()
    assert (reply.status, reply.survey_id, reply.code) == (REPLY_FILED, survey.id,
                                                           invitation.code)
    assert "7" in reply.reason  # the bad score is reported
    response = SurveyResponse.get_by_id(reply.response_id)
    assert (response.source, response.customer_id, response.contact_id) == (
        "mail", customer.id, invitation.contact_id)
    assert response.answered_at == dt.datetime(2026, 11, 25, 14)
    first, _second, third = questions(survey)
    assert {(a.question_id, a.score, a.text) for a in SurveyAnswer.select()} == {
        (first.id, 2, ""), (third.id, None, "送货太慢")}
    assert SurveyInvitation.get_by_id(invitation.id).status == ANSWERED
    # Average 2.00: a follow-up for the manager.
    assert [f.customer_id for f in follow_ups_due(people.manager)] == [customer.id]
    # The mail itself is filed as usual, as the contact's interaction.
    assert MailMessage.get().status == "filed"


def test_a_code_in_the_body_only_lower_case_and_full_width_is_found(customer, people):
    survey, invitation = invited(customer, people)
    code = invitation.code.lower().replace("dy-", "ＤＹ－").replace("-", "-")
    body = f"1: 5\n编码 {code}"
    MailMessage.file_incoming(incoming(body, "答复"))
    assert SurveyReply.get().status == REPLY_FILED


@pytest.mark.parametrize("case", ["unknown", "closed", "answered", "no_answers"])
def test_a_reply_that_cannot_be_filed_is_kept_unmatched_with_the_reason(customer, people, case):
    survey, invitation = invited(customer, people)
    code = invitation.code
    body = "1: 4\n2: 4"
    if case == "unknown":
        code = "DY-ZZZZZZZZ"
    elif case == "closed":
        survey.close_by(people.supervisor)
    elif case == "answered":
        MailMessage.file_incoming(incoming(body, f"Re [{code}]", message_id="<first@x>"))
    else:
        body = "谢谢，都很好。"
    MailMessage.file_incoming(incoming(body, f"Re: [{code}]"))

    reply = SurveyReply.select().order_by(SurveyReply.id.desc()).get()
    assert reply.status == REPLY_UNMATCHED
    assert reply.reason
    assert reply.response_id is None
    assert SurveyResponse.select().count() == (1 if case == "answered" else 0)
    # The mail says so where it is shown.
    assert reply.reason in MailMessage.get_by_id(reply.mail_message_id).problem


def test_hostile_replies_never_stop_the_filing(customer, people):
    survey, invitation = invited(customer, people)
    bodies = ["1: \x1b[31m5\x1b[0m\n2: 4", "1: " + "9" * 5000, "\n".join(["1: 4"] * 5000),
              "3: " + "很" * 5000, "1: 5\u202e\n2: ５"]
    for number, body in enumerate(bodies):
        outcome = MailMessage.file_incoming(incoming(body, f"[{invitation.code}]",
                                                     message_id=f"<h-{number}@x>"))
        assert outcome == "filed"
    assert SurveyReply.select().count() == len(bodies)
    answers = [a.text for a in SurveyAnswer.select() if a.text]
    assert all(len(text) <= 1000 and "\x1b" not in text for text in answers)
    assert SurveyResponse.select().count() == 1


# ----- results ---------------------------------------------------------------------------

def test_results_match_a_computation_of_their_own(crm_db, people):
    rng = random.Random(14)
    levels = [entry(CUSTOMER_LEVEL, name) for name in ("普通客户", "大客户", "战略合作伙伴")]
    regions = [entry(REGION, name) for name in ("北京", "上海", "广东")]
    customers = []
    for number in range(9):
        owner = people.manager if number % 2 else people.other_manager
        customers.append(make_customer(owner, name=f"客户{number}",
                                       level=levels[number % 3].id,
                                       region=regions[(number // 3) % 3].id))
    survey = open_survey(people)
    score_questions = [q for q in questions(survey) if q.kind == "score"]
    expected = defaultdict(list)
    responses = defaultdict(set)
    for number in range(40):
        month = rng.choice([9, 10, 11])
        at(2026, month, rng.randint(1, 28))
        customer = rng.choice(customers)
        scores = [rng.choice(["", "1", "2", "3", "4", "5"]) for _ in score_questions]
        if not any(scores):
            scores[0] = "3"
        survey.answer_by(people.supervisor, typed(survey, customer, *scores, "意见"))
        level = next(l.item for l in levels if l.id == customer.level_id)
        region = next(r.item for r in regions if r.id == customer.region_id)
        for question, score in zip(score_questions, scores):
            if score:
                for key in (("question", question.number), ("level", level),
                            ("region", region), ("month", f"2026-{month:02d}")):
                    expected[key].append(int(score))
                    responses[key].add(number)

    def mean(values):
        return (Decimal(sum(values)) / Decimal(len(values))).quantize(Decimal("0.01"),
                                                                      ROUND_HALF_UP)

    for breakdown in ("level", "region", "month"):
        rows = survey_results(people.executive, survey.id, breakdown)
        wanted = {key[1]: (len(responses[key]), len(values), mean(values))
                  for key, values in expected.items() if key[0] == breakdown}
        assert {row.label: (row.responses, row.scores, row.average) for row in rows} == wanted
    rows = survey_results(people.executive, survey.id, "question")
    assert [row.average for row in rows] == [
        mean(expected[("question", q.number)]) if q.kind == "score" else None
        for q in questions(survey)]
    assert rows[2].responses == 40  # every response answered the text question

    # An account manager's results hold their own customers only.
    own = survey_results(people.manager, survey.id, "question")
    own_scores = [a.score for a in SurveyAnswer.select()
                  .join(SurveyResponse, on=(SurveyAnswer.response == SurveyResponse.id))
                  .where(SurveyResponse.customer.in_([c.id for c in customers
                                                      if c.manager_id == people.manager.id])
                         & (SurveyAnswer.question == score_questions[0].id)
                         & SurveyAnswer.score.is_null(False))]
    assert own[0].scores == len(own_scores)
    assert own[0].average == (mean(own_scores) if own_scores else None)


def test_demo_data_at_scale_files_responses_and_their_follow_ups(crm_db, people):
    from crm_tui.demo_surveys import fill_surveys_at_scale
    from crm_tui.models.surveys import customer_average

    for number in range(12):
        make_customer(people.manager, name=f"规模客户{number}")
    made = fill_surveys_at_scale(60, seed=3, progress=lambda _line: None)

    survey = Survey.get()
    assert SurveyResponse.select().count() == 60
    low = {customer_id for (customer_id,) in SurveyResponse.select(SurveyResponse.customer)
           .distinct().tuples()
           if customer_average(survey.id, customer_id) < Decimal(3)}
    assert {f.customer_id for f in SurveyFollowUp.select()} == low and made == len(low)
    # The ids continue after the rows written with their own ids.
    survey.answer_by(people.supervisor, typed(survey, first_customer(), "4"))
    assert SurveyResponse.select().count() == 61


def first_customer():
    from crm_tui.models import Customer

    return Customer.select().order_by(Customer.id).first()


def test_a_survey_read_before_another_session_changed_it_is_refused(customer, people):
    """Questions added, or answers typed, on a survey opened or closed by
    someone else since it was read: refused, nothing written."""
    stale_draft = draft_survey(people)
    Survey.get_by_id(stale_draft.id).open_by(people.admin)
    with pytest.raises(InvalidTransition):
        stale_draft.add_question_by(people.supervisor, {"text": "迟到的题", "kind": "score"})
    assert len(questions(stale_draft)) == 3

    stale_open = Survey.get_by_id(stale_draft.id)
    Survey.get_by_id(stale_open.id).close_by(people.admin)
    with pytest.raises(InvalidTransition):
        stale_open.answer_by(people.manager, typed(stale_open, customer, "4"))
    with pytest.raises(InvalidTransition):
        stale_open.invite_by(people.supervisor, {"customer": customer.id})
    assert SurveyResponse.select().count() == 0
    assert SurveyInvitation.select().count() == 0


def test_the_results_bar_is_the_average_out_of_5():
    from crm_tui.screens.surveys import BAR_CELLS, bar

    assert bar(None) == ""
    assert bar(Decimal("5.00")) == "█" * BAR_CELLS
    assert bar(Decimal("2.50")) == "█" * (BAR_CELLS // 2)
    assert bar(Decimal("1.00")) == "█" * 4
    assert bar(Decimal("3.57")) == "█" * 14 + "▎"

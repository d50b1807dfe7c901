"""Surveys and the customer's organisation driven like a person at 80x24:
a supervisor builds, opens and sends a survey (through a real SMTP
server); the account manager fetches the reply (from a real IMAP server),
sees it filed in the results, types answers after a call and follows up
the unhappy customer; a department tree is built and a contact moved."""
from __future__ import annotations

import email
from email.policy import default as default_policy

from crm_tui.config import ImapConfig, MailConfig, SmtpConfig
from crm_tui.models import (Contact, ContactMove, Department, Survey, SurveyFollowUp,
                            SurveyInvitation, SurveyQuestion, SurveyReply, SurveyResponse)
from crm_tui.models.surveys import ANSWERED, OPEN, REPLY_FILED
from crm_tui.screens.customer_detail import CustomerDetailScreen
from crm_tui.screens.surveys import SurveyListScreen, SurveyResultsScreen, SurveyScreen
from crm_tui.widgets.forms import FormModal
from tests.conftest import at, make_customer
from tests.mailservers import HOST, MAIL_PASSWORD, MAIL_USER, dovecot, smtp_server  # noqa: F401
from tests.pilot import (app_for, choose, fill, offered, open_module, open_tab, pick,
                         press_and_settle, push_and_settle, save, settle, sign_in)
from tests.test_screen_snapshots import screen_text
from tests.test_survey_mail import reply_to


def mail_settings(smtp_port: int, imap_port: int) -> MailConfig:
    return MailConfig(
        smtp=SmtpConfig(host=HOST, port=smtp_port, security="none", sender="crm@crm.example"),
        imap=ImapConfig(host=HOST, port=imap_port, security="none", username=MAIL_USER,
                        password=MAIL_PASSWORD, folder="INBOX"))


async def wait_for(pilot, condition, rounds: int = 100) -> None:
    for _ in range(rounds):
        await settle(pilot)
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("never happened")


async def test_a_survey_is_sent_and_a_reply_is_filed(sqlite_url, people, smtp_server, dovecot):
    at(2026, 11, 24)
    customer = make_customer(people.manager, name="Yuanda Tech")
    Contact.create_by(people.manager, customer, {
        "name": "Li Ming", "sex": "M", "position": "Buyer", "office_phone": "010-62345678",
        "email": "li.ming@client.example"})
    mail = mail_settings(smtp_server.port, dovecot.port)

    async with app_for(sqlite_url, mail=mail).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super")
        await open_module(pilot, "surveys", SurveyListScreen)
        await press_and_settle(pilot, "n")
        await fill(pilot, "title", "Service 2026")
        await save(pilot)
        await press_and_settle(pilot, "enter")
        assert isinstance(pilot.app.screen, SurveyScreen)
        for text in ("Friendly staff", "On-time delivery"):
            await press_and_settle(pilot, "i")
            await fill(pilot, "text", text)
            await save(pilot)
        assert [q.text for q in SurveyQuestion.select().order_by(SurveyQuestion.number)] == [
            "Friendly staff", "On-time delivery"]
        await press_and_settle(pilot, "p", "y")
        assert Survey.get().status == OPEN
        # Open: the questions are final, sending is offered.
        assert "survey_question.add" not in offered(pilot.app, "survey_question.")
        assert "survey.send" in offered(pilot.app, "survey.")
        await press_and_settle(pilot, "u")
        await pick(pilot, "customer", "yuanda")
        await save(pilot)
        await wait_for(pilot, lambda: len(smtp_server.received) == 1)
        await wait_for(pilot, lambda: SurveyInvitation.get().status == "sent")
        assert "1 sent" in screen_text(pilot.app)

    invitation = SurveyInvitation.get()
    arrived = email.message_from_bytes(smtp_server.received[0].data, policy=default_policy)
    assert invitation.code in arrived["Subject"]
    dovecot.deliver(reply_to(smtp_server.received[0].data, "li.ming@client.example",
                             "1: 2\n2: 1", "<answer@client.example>"))

    async with app_for(sqlite_url, mail=mail).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await open_module(pilot, "mail")
        await press_and_settle(pilot, "f")
        await wait_for(pilot, lambda: SurveyReply.select().count() == 1)
        assert SurveyReply.get().status == REPLY_FILED
        assert SurveyInvitation.get().status == ANSWERED
        await press_and_settle(pilot, "escape")
        await open_module(pilot, "surveys", SurveyListScreen)
        await press_and_settle(pilot, "enter", "v")
        assert isinstance(pilot.app.screen, SurveyResultsScreen)
        text = screen_text(pilot.app)
        assert "1. Friendly staff" in text and "2.00" in text and "1.00" in text
        await press_and_settle(pilot, "b")  # by customer level
        assert "大客户" in screen_text(pilot.app) and "1.50" in screen_text(pilot.app)
        await press_and_settle(pilot, "escape")

        # Answers typed after a call: a score out of range is refused at
        # the field, then filed.
        await press_and_settle(pilot, "w")
        form = pilot.app.screen
        assert isinstance(form, FormModal)
        await pick(pilot, "customer", "yuanda")
        first, second = SurveyQuestion.select().order_by(SurveyQuestion.number)
        await fill(pilot, f"q{first.id}", "9")
        await save(pilot)
        assert isinstance(pilot.app.screen, FormModal)
        await fill(pilot, f"q{first.id}", "3")
        await fill(pilot, f"q{second.id}", "2")
        await save(pilot)
        assert SurveyResponse.select().where(SurveyResponse.source == "call").count() == 1
        await press_and_settle(pilot, "escape", "escape")

        # The unhappy customer's follow-up, done from its list.
        await open_module(pilot, "survey_follow_ups")
        assert "Yuanda Tech" in screen_text(pilot.app)
        await press_and_settle(pilot, "c")
    assert SurveyFollowUp.get().done is True


async def test_a_department_tree_is_built_and_a_contact_moved(sqlite_url, people):
    at(2026, 11, 24)
    customer = make_customer(people.manager, name="Yuanda Tech")
    contact = Contact.create_by(people.manager, customer, {
        "name": "Li Ming", "sex": "M", "position": "Buyer", "office_phone": "010-62345678"})
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await push_and_settle(pilot, CustomerDetailScreen(customer.id))
        await open_tab(pilot, "organisation")
        assert "Not placed" in screen_text(pilot.app) or "Not in a department" in screen_text(
            pilot.app)
        await press_and_settle(pilot, "a")
        await fill(pilot, "name", "Sales")
        await save(pilot)
        await press_and_settle(pilot, "a")
        await fill(pilot, "name", "Finance")
        await save(pilot)
        # The cursor on Sales (after Finance, by name): a sub-department.
        await press_and_settle(pilot, "home", "down")
        await press_and_settle(pilot, "b")
        await fill(pilot, "name", "North")
        await save(pilot)
        sales = Department.get(Department.name == "Sales")
        assert Department.get(Department.name == "North").parent_id == sales.id
        # A department cannot go under itself or its own sub-department:
        # the form does not even offer them.
        await press_and_settle(pilot, "home", "down", "p")
        form = pilot.app.screen
        assert isinstance(form, FormModal)
        offered_parents = [str(text) for text, _value in form.widget_for("parent")._options]
        assert "Finance" in offered_parents
        assert "Sales" not in offered_parents and "Sales / North" not in offered_parents
        await press_and_settle(pilot, "escape")
        assert Department.get_by_id(sales.id).parent_id is None

        # Move the contact: the last line is Li Ming, not placed yet.
        await press_and_settle(pilot, "end", "m")
        await choose(pilot, "department", "Sales / North")
        await fill(pilot, "position", "Team lead")
        await save(pilot)
        assert "Li Ming" in screen_text(pilot.app)
        text = screen_text(pilot.app)
        assert "Team lead" in text
        # The moves of the person under the cursor are shown below the tree.
        assert "→ Sales / North (Team lead)" in text
        # A department with people is not deleted.
        await press_and_settle(pilot, "home", "down", "down", "d", "y")
        assert Department.select().count() == 3
    move = ContactMove.get()
    assert (move.contact_id, move.to_name, move.to_position, move.moved_by_id) == (
        contact.id, "Sales / North", "Team lead", people.manager.id)
    assert Contact.get_by_id(contact.id).position == "Team lead"


async def test_the_results_by_month_are_exported(sqlite_url, people, tmp_path):
    import csv

    from textual.widgets import Input

    from crm_tui.config import DocumentsConfig
    from tests.pilot import type_text
    from tests.test_surveys import open_survey, typed

    customer = make_customer(people.manager, name="Yuanda Tech")
    survey = open_survey(people)
    for month, scores in ((10, ("4", "2")), (11, ("5", "5")), (11, ("1", ""))):
        at(2026, month, 3)
        survey.answer_by(people.manager, typed(survey, customer, *scores))
    app = app_for(sqlite_url, documents=DocumentsConfig(export_folder=str(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "exec")
        await push_and_settle(pilot, SurveyResultsScreen(survey.id, "month"))
        text = screen_text(pilot.app)
        assert "2026-10" in text and "3.00" in text and "2026-11" in text and "3.67" in text
        await press_and_settle(pilot, "ctrl+o")
        assert isinstance(pilot.app.screen, FormModal)
        path_input = pilot.app.screen.query_one("#form-input-path", Input)
        path_input.value = ""
        await type_text(pilot, str(tmp_path / "results.csv"))
        await save(pilot)
        await settle(pilot)
    with open(tmp_path / "results.csv", encoding="utf-8-sig") as file:
        rows = list(csv.reader(file))
    assert rows == [["Group", "Answers", "Scores", "Average"],
                    ["2026-10", "1", "2", "3.00"], ["2026-11", "2", "3", "3.67"]]

"""Satisfaction surveys (M13): the list, one survey with its questions, and
its results.

The list and the survey screen are the record kind's screens; what is
particular here: sending (the kind's "send" action makes the invitations,
this screen then hands them to the SMTP server in a thread) and the results
screen (v), a table of averages per question, customer level, region or
month (b steps through them) with a bar drawn in text per row, exported
with Ctrl+O.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from crm_tui.i18n import t
from crm_tui.models.errors import CrmError
from crm_tui.models.surveys import (BREAKDOWNS, FAILED, PENDING, Survey, SurveyInvitation,
                                    average, responses_in_scope, survey_results)
from crm_tui.plain_text import plain
from crm_tui.screens.list_export import start_export
from crm_tui.screens.records import RecordListScreen, RecordScreen
from crm_tui.screens.reports import ResultSource
from crm_tui.widgets.connection import connected, in_thread
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.lazy_table import Column, LazyTable

# The text bar of an average: this many cells stand for a score of 5.
BAR_CELLS = 20
BAR_BLOCKS = " ▏▎▍▌▋▊▉█"


def bar(value: Decimal | None, cells: int = BAR_CELLS) -> str:
    """A horizontal bar of `value` out of 5, in eighths of a cell."""
    if value is None:
        return ""
    eighths = round(float(value) / 5 * cells * 8)
    full, rest = divmod(max(0, min(eighths, cells * 8)), 8)
    return "█" * full + (BAR_BLOCKS[rest] if rest else "")


class SurveyListScreen(RecordListScreen):
    def __init__(self, status: str | None = None):
        super().__init__("survey", status)

    def open_record(self, row_id: Any) -> None:
        self.app.push_screen(SurveyScreen(row_id))


class SurveyScreen(RecordScreen):
    """One survey and its questions; v shows its results. After "send"
    made the invitations, they go to the mail server from here."""

    BINDINGS = [Binding("v", "results", "survey.action.results", id="survey.results")]

    def __init__(self, survey_id: Any):
        super().__init__("survey", survey_id)

    def action_results(self) -> None:
        self.app.push_screen(SurveyResultsScreen(self.record_id))

    def after_action(self, record_kind, action, record) -> None:
        super().after_action(record_kind, action, record)
        if record_kind.name == "survey" and action.id == "send":
            self.deliver(self.app.user, self.app.config.mail.smtp, self.record_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="survey-send")
    def deliver(self, user: Any, settings: Any, survey_id: int) -> None:
        from crm_tui.survey_mail import send_invitations

        try:
            with connected():
                waiting = list(SurveyInvitation.select()
                               .where((SurveyInvitation.survey == survey_id)
                                      & SurveyInvitation.status.in_([PENDING, FAILED]))
                               .order_by(SurveyInvitation.id))
                if not waiting:
                    self.app.call_from_thread(self.app.notify, t("survey.nothing_to_send"))
                    return
                self.app.call_from_thread(self.app.notify,
                                          t("survey.sending", count=len(waiting)))
                result = send_invitations(user, settings, waiting)
        except Exception as error:  # the database went away; the server is per message
            self.app.call_from_thread(self.app.notify, str(error), severity="error")
            return
        self.app.call_from_thread(self._delivered, result)

    def _delivered(self, result: Any) -> None:
        self.app.notify(t("survey.sent_counts", sent=result.sent, failed=result.failed),
                        severity="error" if result.failed else "information")
        self.app.records_changed("survey")


RESULT_COLUMNS = [
    Column("label", "survey_results.label", 24),
    Column("responses", "survey_results.responses", 7),
    Column("scores", "survey_results.scores", 7),
    Column("average", "survey_results.average", 7),
    Column("bar", "survey_results.bar", BAR_CELLS + 1),
]


class SurveyResultsScreen(Screen):
    """A survey's averages: b steps through the views, Ctrl+O exports."""

    BINDINGS = [
        Binding("b", "next_view", "survey_results.next", id="survey_results.next"),
        Binding("ctrl+o", "export", "survey_results.export", id="survey_results.export"),
    ]

    def __init__(self, survey_id: Any, breakdown: str = "question"):
        super().__init__()
        self.survey_id = survey_id
        self.breakdown = breakdown
        self.source = ResultSource(RESULT_COLUMNS)
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static("", id="survey-results-title", classes="screen-title")
        yield Static("", id="survey-results-summary")
        yield LazyTable(self.source, id="survey-results-table", openable=False)
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one(LazyTable).focus()
        self.load()

    def action_next_view(self) -> None:
        self.breakdown = BREAKDOWNS[(BREAKDOWNS.index(self.breakdown) + 1) % len(BREAKDOWNS)]
        self.load()

    @work(exclusive=True, group="survey-results")
    async def load(self) -> None:
        summary = self.query_one("#survey-results-summary", Static)
        try:
            survey, rows, responses = await in_thread(self._compute, self.app.user, self.survey_id,
                                           self.breakdown)
        except CrmError as error:
            summary.update(Text(str(error)))
            return
        self.query_one("#survey-results-title", Static).update(
            Text(t("survey_results.title", title=plain(survey.title))))
        self.source.set_rows([{"id": number, "label": row.label, "responses": row.responses,
                               "scores": row.scores,
                               "average": "" if row.average is None else str(row.average),
                               "bar": bar(row.average)}
                              for number, row in enumerate(rows, start=1)])
        scores = sum(row.scores for row in rows)
        total = sum((row.average or 0) * row.scores for row in rows)
        overall = average(total, scores)
        view = t(f"survey_results.by.{self.breakdown}")
        summary.update(Text(t("survey_results.summary", view=view,
                              responses=responses,
                              average=overall if overall is not None
                              else t("survey_results.no_scores"))))
        self.loaded = True
        self.query_one(LazyTable).reload()

    @staticmethod
    def _compute(user: Any, survey_id: Any, breakdown: str):
        survey = Survey.get_visible(user, survey_id)
        return (survey, survey_results(user, survey.id, breakdown),
                responses_in_scope(user, survey.id))

    def action_export(self) -> None:
        if not self.loaded:
            return
        headers = [t(column.label_key) for column in RESULT_COLUMNS[:4]]
        rows = [(row["label"], row["responses"], row["scores"], row["average"])
                for row in self.source.rows]

        def rows_for_export() -> tuple[list[str], Iterator[tuple], int]:
            return headers, iter(rows), len(rows)

        start_export(self.app, rows_for_export, f"survey-{self.survey_id}-{self.breakdown}")


__all__ = ["SurveyListScreen", "SurveyResultsScreen", "SurveyScreen", "bar"]

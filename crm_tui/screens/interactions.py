"""Interactions (交往记录): one customer's, as a tab of the customer screen,
and the search across every customer the user may see, with export."""
from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from crm_tui.i18n import t
from crm_tui.models.customers import (
    Interaction,
    interaction_export,
    interaction_fields,
    interaction_search_query,
)
from crm_tui.models.errors import CrmError, ValidationError
from crm_tui.models.validation import Field, clean
from crm_tui.screens.customer_detail import EditablePane, show_error
from crm_tui.screens.list_export import start_export
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import Column, LazyTable, QuerySource

PANE_COLUMNS = [
    Column("date", "interaction.date", 10, Interaction.date),
    Column("place", "interaction.place", 14, Interaction.place),
    Column("summary", "interaction.summary", 34, Interaction.summary),
    Column("contact_name", "interaction.contact", 10),
]


class CustomerInteractionsPane(EditablePane):
    BINDINGS = [
        Binding("n", "new", t("interaction.new"), id="interactions.new"),
        Binding("e", "edit", t("interaction.edit"), id="interactions.edit"),
        Binding("d", "delete", t("interaction.delete"), id="interactions.delete"),
    ]

    def __init__(self, customer_id: int):
        super().__init__(classes="customer-pane")
        self.customer_id = customer_id

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(lambda text: self._query(user, text), PANE_COLUMNS)
        yield LazyTable(source, id="interaction-table")

    def _query(self, user, text: str):
        query = Interaction.of_customer(user, self.customer_id)
        for word in text.split():
            query = query.where(Interaction.place.contains(word)
                                | Interaction.summary.contains(word)
                                | Interaction.detail.contains(word))
        return query

    def focus_main(self) -> None:
        self.query_one(LazyTable).focus()

    def _current(self) -> Interaction | None:
        row_id = self.query_one(LazyTable).current_row_id
        return None if row_id is None else Interaction.get_or_none(Interaction.id == row_id)

    def _done(self, result: Any) -> None:
        self.query_one(LazyTable).reload()
        if result is not None:
            self.app.notify(t("customer.saved"))

    def action_new(self) -> None:
        user = self.app.user
        from crm_tui import clock

        form = FormModal(t("interaction.new_title"), interaction_fields(self.customer_id),
                         {"date": clock.today().isoformat()},
                         lambda typed: Interaction.create_by(user, self.customer_id, typed))
        self.app.push_screen(form, self._done)

    def action_edit(self) -> None:
        interaction = self._current()
        if interaction is None:
            return
        user = self.app.user
        fields = interaction_fields(self.customer_id)
        values = {field.name: interaction.__data__.get(field.name) for field in fields}
        form = FormModal(t("interaction.edit_title"), fields, values,
                         lambda typed: interaction.update_by(user, typed))
        self.app.push_screen(form, self._done)

    def action_delete(self) -> None:
        interaction = self._current()
        if interaction is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                interaction.delete_by(self.app.user)
            except CrmError as error:
                show_error(self.app, error)
            self.query_one(LazyTable).reload()

        self.app.push_screen(ConfirmModal(t("interaction.confirm_delete",
                                            summary=interaction.summary)), answered)


# ----- search across customers -------------------------------------------

SEARCH_COLUMNS = [
    Column("date", "interaction.date", 10, Interaction.date),
    Column("customer_name", "interaction.customer", 18),
    Column("place", "interaction.place", 12, Interaction.place),
    Column("summary", "interaction.summary", 24, Interaction.summary),
    Column("contact_name", "interaction.contact", 8),
]

RANGE_FIELDS = (Field("date_from", "interactions.search.from", kind="date"),
                Field("date_to", "interactions.search.to", kind="date"))


class InteractionSearchScreen(Screen):
    """Interactions of all visible customers by date range and keyword;
    Enter in a box searches, x exports exactly the rows found."""

    BINDINGS = [
        Binding("x", "export", t("interactions.search.export"), id="interactions.export"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.criteria: dict[str, Any] = {"date_from": None, "date_to": None, "keyword": ""}

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(lambda text: self._query(user, text), SEARCH_COLUMNS)
        yield Static(t("interactions.search.title"), classes="screen-title")
        with Horizontal(classes="search-bar"):
            yield Label(t("interactions.search.from"))
            yield Input(placeholder="YYYY-MM-DD", id="search-from", classes="search-date")
            yield Label(t("interactions.search.to"))
            yield Input(placeholder="YYYY-MM-DD", id="search-to", classes="search-date")
            yield Label(t("interactions.search.keyword"))
            yield Input(id="search-keyword", classes="search-keyword")
        error = Static("", id="search-error", classes="error-text")
        error.display = False
        yield error
        yield LazyTable(source, id="interaction-search-table")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search-from", Input).focus()

    def _query(self, user, text: str):
        criteria = self.criteria
        keyword = " ".join(filter(None, [criteria["keyword"], text]))
        return interaction_search_query(user, criteria["date_from"], criteria["date_to"], keyword)

    @on(Input.Submitted, ".search-bar Input")
    def _search(self, event: Input.Submitted) -> None:
        event.stop()
        typed = {"date_from": self.query_one("#search-from", Input).value,
                 "date_to": self.query_one("#search-to", Input).value}
        error = self.query_one("#search-error", Static)
        try:
            dates = clean(RANGE_FIELDS, typed)
        except ValidationError as problem:
            error.update("; ".join(f"{t(f'interactions.search.{name[5:]}')}: {message}"
                                   for name, message in problem.errors.items()))
            error.display = True
            return
        error.display = False
        self.criteria = {**dates, "keyword": self.query_one("#search-keyword", Input).value.strip()}
        table = self.query_one(LazyTable)
        table.set_filter(table.filter_text)

    def action_export(self) -> None:
        user = self.app.user
        filter_text = self.query_one(LazyTable).filter_text

        def rows_for_export():
            query = self._query(user, filter_text)
            headers, rows = interaction_export(query)
            return headers, rows, query.count()

        start_export(self.app, rows_for_export, "interactions")


__all__ = ["CustomerInteractionsPane", "InteractionSearchScreen"]

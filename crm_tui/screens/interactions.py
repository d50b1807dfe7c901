"""Interactions (交往记录): the search across every customer the user may
see, with export. One customer's interactions are a tab drawn from the
record kind (crm_tui.models.customers.INTERACTION)."""
from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from crm_tui.i18n import t
from crm_tui.models.customers import Interaction, interaction_export, interaction_search_query
from crm_tui.models.errors import ValidationError
from crm_tui.models.validation import Field, clean
from crm_tui.screens.list_export import start_export
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.lazy_table import Column, LazyTable
from crm_tui.widgets.query_source import QuerySource

# ----- search across customers -------------------------------------------

SEARCH_COLUMNS = [
    Column("date", "interaction.date", 10, Interaction.date),
    Column("customer_name", "interaction.customer", 18),
    Column("place", "interaction.place", 12, Interaction.place),
    Column("summary", "interaction.summary", 24, Interaction.summary, max_width=80),
    Column("contact_name", "interaction.contact", 8),
]

RANGE_FIELDS = (Field("date_from", "interactions.search.from", kind="date"),
                Field("date_to", "interactions.search.to", kind="date"))


class InteractionSearchScreen(Screen):
    """Interactions of all visible customers by date range and keyword;
    Enter in a box searches, x exports exactly the rows found."""

    BINDINGS = [
        Binding("x", "export", "interactions.search.export", id="interactions.export"),
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
        yield LazyTable(source, id="interaction-search-table", openable=False)
        yield CrmFooter()

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


__all__ = ["InteractionSearchScreen"]

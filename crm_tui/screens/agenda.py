"""Today's agenda (今日待办): what waits for the signed-in user, the most
urgent first (models/agenda.py ranks it); Enter opens the record of the
line under the cursor, r reads the agenda again."""
from __future__ import annotations

import datetime as dt

from rich.cells import set_cell_size
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models.agenda import Agenda, AgendaItem, agenda
from crm_tui.plain_text import plain
from crm_tui.widgets.connection import in_thread
from crm_tui.widgets.footer import CrmFooter


def when_text(item: AgendaItem, today: dt.date) -> str:
    days = item.days_late(today)
    if days <= 0:
        return t("agenda.today")
    return t("agenda.days_late" if item.deadline else "agenda.days_waiting", days=days)


def item_line(item: AgendaItem, today: dt.date) -> Text:
    """One line: how late (or how long it waits), what it is, its text
    (plain: it quotes records); columns by terminal cells, CJK counting two."""
    late = item.deadline and item.days_late(today) > 0
    line = Text()
    line.append(set_cell_size(when_text(item, today), 11) + " ", style="bold" if late else "")
    line.append(set_cell_size(t("agenda.source." + item.source), 8) + " ")
    line.append(plain(item.text))
    return line


class AgendaScreen(Screen):
    BINDINGS = [Binding("r", "refresh", "agenda.refresh", id="agenda.refresh")]

    def __init__(self) -> None:
        super().__init__()
        self.agenda = Agenda(0, [])

    def compose(self) -> ComposeResult:
        yield Static(t("agenda.title"), id="agenda-title", classes="screen-title")
        yield OptionList(id="agenda-items")
        yield Static("", id="agenda-status", classes="lazy-table-status")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.load()

    def on_screen_resume(self) -> None:
        # Back from a record: what was done there may have left the agenda.
        if self.app.user is not None:
            self.load()

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="agenda")
    async def load(self) -> None:
        found = await in_thread(agenda, self.app.user)
        self.show(found)

    def show(self, found: Agenda) -> None:
        self.agenda = found
        today = clock.today()
        items = self.query_one(OptionList)
        highlighted = items.highlighted
        items.clear_options()
        items.add_options([Option(item_line(item, today), id=str(position))
                           for position, item in enumerate(found.items)])
        if found.items:
            items.highlighted = min(highlighted or 0, len(found.items) - 1)
        status = (t("agenda.count", count=found.count, shown=len(found.items)) if found.count
                  else t("agenda.nothing"))
        self.query_one("#agenda-status", Static).update(status)

    @property
    def current_item(self) -> AgendaItem | None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is None or highlighted >= len(self.agenda.items):
            return None
        return self.agenda.items[highlighted]

    @on(OptionList.OptionSelected, "#agenda-items")
    def _open(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        item = self.agenda.items[int(event.option.id)]
        self.app.open_record(item.kind, item.record_id)


__all__ = ["AgendaScreen", "item_line"]

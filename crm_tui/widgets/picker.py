"""A searchable choice, for lists too long for a drop-down (thousands of
products).

    Picker(search, describe, value=None, title="")

is a form input showing the chosen item's label. Enter (or a click) opens
`PickerModal`: a box to type in and the first matches of
`search(text, limit) -> [(value, label), ...]` below it, found again on
every keystroke. Up and Down move, Enter takes the match, Escape leaves
the choice as it was. `describe(value) -> str` gives the label of a value
the form opens with. A form field uses it when it has `search` (see
`validation.Field`).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from crm_tui.i18n import t
from crm_tui.widgets.footer import CrmFooter

Search = Callable[[str, int], Sequence[tuple[Any, str]]]
# How many matches the picker lists at once: typing narrows them.
MATCHES_SHOWN = 50


class PickerModal(ModalScreen[Any]):
    """Type to search, Up/Down to move, Enter to take; see the module's
    description. Dismisses with (value, label), or None."""

    BINDINGS = [
        Binding("escape", "cancel", "form.cancel", id="picker.cancel"),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("up", "move(-1)", show=False, priority=True),
    ]

    def __init__(self, title: str, search: Search):
        super().__init__()
        self.title_text = title
        self.search = search
        self.matches: list[tuple[Any, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-dialog picker-dialog"):
            yield Static(self.title_text, classes="form-title")
            yield Input(placeholder=t("picker.type"), id="picker-text")
            yield OptionList(id="picker-matches")
            yield Static("", id="picker-count")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.show_matches("")
        self.query_one("#picker-text", Input).focus()

    def show_matches(self, text: str) -> None:
        self.matches = list(self.search(text.strip(), MATCHES_SHOWN + 1))
        shown = self.matches[:MATCHES_SHOWN]
        matches = self.query_one("#picker-matches", OptionList)
        matches.clear_options()
        matches.add_options([Option(Text(label), id=str(index))
                             for index, (_value, label) in enumerate(shown)])
        if shown:
            matches.highlighted = 0
        if not shown:
            count = t("picker.none")
        elif len(self.matches) > MATCHES_SHOWN:
            count = t("picker.more", shown=MATCHES_SHOWN)
        else:
            count = ""
        self.query_one("#picker-count", Static).update(count)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.show_matches(event.value)

    def action_move(self, step: int) -> None:
        matches = self.query_one("#picker-matches", OptionList)
        if matches.option_count:
            current = matches.highlighted or 0
            matches.highlighted = max(0, min(matches.option_count - 1, current + step))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.take(self.query_one("#picker-matches", OptionList).highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.take(event.option_index)

    def take(self, index: int | None) -> None:
        if index is not None and 0 <= index < min(len(self.matches), MATCHES_SHOWN):
            self.dismiss(self.matches[index])

    def action_cancel(self) -> None:
        self.dismiss(None)


class Picker(Widget, can_focus=True):
    """The form input of a searchable choice: the chosen label, or a prompt."""

    BINDINGS = [Binding("enter,space", "pick", "picker.pick", id="picker.pick")]

    def __init__(self, search: Search, describe: Callable[[Any], str], value: Any = None,
                 title: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.search = search
        self.describe = describe
        self.picker_title = title
        self.value = value
        self.label = describe(value) if value is not None else ""

    def render(self) -> Text:
        if self.value is None:
            return Text(t("form.choose"), style="dim")
        return Text(self.label + " ▼")

    def on_click(self, event: events.Click) -> None:
        self.action_pick()

    def action_pick(self) -> None:
        self.app.push_screen(PickerModal(self.picker_title, self.search), self.picked)

    def picked(self, match: tuple[Any, str] | None) -> None:
        if match is not None:
            self.value, self.label = match
            self.refresh()


__all__ = ["Picker", "PickerModal"]

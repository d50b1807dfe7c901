"""A yes/no question on top of the current screen."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button

from crm_tui.i18n import t
from crm_tui.widgets.plain import PlainStatic


class ConfirmModal(ModalScreen[bool]):
    """Dismisses with True for y or Enter, False for n or Escape."""

    BINDINGS = [
        Binding("y", "answer(True)", "confirm.yes", id="confirm.yes"),
        Binding("enter", "answer(True)", "confirm.yes", show=False, id="confirm.yes_enter"),
        Binding("n", "answer(False)", "confirm.no", id="confirm.no"),
        Binding("escape", "answer(False)", "confirm.no", show=False, id="confirm.no_escape"),
    ]

    def __init__(self, message: str, *, yes: str | None = None, no: str | None = None):
        super().__init__()
        self.message = message
        self.yes_label = yes or t("confirm.yes_button")
        self.no_label = no or t("confirm.no_button")

    def compose(self) -> ComposeResult:
        with Vertical(classes="confirm-dialog"):
            yield PlainStatic(self.message, classes="confirm-message")
            with Horizontal(classes="confirm-buttons"):
                # Keys answer; the buttons are for a mouse, so they take no focus
                # (Enter must always mean yes).
                yes = Button(self.yes_label, id="confirm-yes", variant="primary")
                no = Button(self.no_label, id="confirm-no")
                yes.can_focus = no.can_focus = False
                yield yes
                yield no

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

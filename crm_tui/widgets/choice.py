"""A question with a few answers, each on its own key; Escape answers None."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button

from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.plain import PlainStatic


class ChoiceModal(ModalScreen[str | None]):
    """`ChoiceModal(message, [(key, label, value), ...])` dismisses with the
    value of the key pressed (the first answer's on Enter too), or None."""

    BINDINGS = [Binding("escape", "answer(None)", "form.cancel", id="choice.back")]

    def __init__(self, message: str, answers: list[tuple[str, str, str]]):
        super().__init__()
        self.message = message
        self.answers = answers
        keys = self._bindings.key_to_bindings
        for position, (key, label, value) in enumerate(answers):
            keys.setdefault(key, []).append(
                Binding(key, f"answer({value!r})", label, id=f"choice.{value}"))
            if position == 0:
                keys.setdefault("enter", []).append(
                    Binding("enter", f"answer({value!r})", label, show=False,
                            id=f"choice.{value}_enter"))

    def compose(self) -> ComposeResult:
        with Vertical(classes="confirm-dialog"):
            yield PlainStatic(self.message, classes="confirm-message")
            with Horizontal(classes="confirm-buttons"):
                for key, label, value in self.answers:
                    button = Button(f"{label} ({key})", id=f"choice-{value}")
                    button.can_focus = False  # keys answer; buttons are for a mouse
                    yield button
        yield CrmFooter()

    def action_answer(self, value: str | None) -> None:
        self.dismiss(value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(str(event.button.id).removeprefix("choice-"))

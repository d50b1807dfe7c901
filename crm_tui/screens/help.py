"""F1: the keys of the screen in front, with the ids config.yaml's keymap uses."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from crm_tui.i18n import t
from crm_tui.widgets.footer import CrmFooter


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss", "help.close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str]]):
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="help-dialog"):
            yield Static(t("help.title"), classes="form-title")
            # No cursor: a list to read, where the arrow keys scroll at
            # once (with a row cursor they moved an unseen cursor first).
            table = DataTable(id="help-keys", cursor_type="none", show_cursor=False,
                              zebra_stripes=False)
            table.add_columns(t("help.key"), t("help.action"), t("help.binding_id"))
            for key, description, binding_id in self.rows:
                table.add_row(key, description, binding_id)
            yield table
            yield Static(t("help.keymap_hint"), classes="help-hint")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

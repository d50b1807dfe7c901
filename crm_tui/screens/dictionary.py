"""The data dictionary (数据字典, M5.1): regions, customer levels, service types.

The list can be narrowed to one type (the choice on top) and searched
("/"). n adds an entry, e or Enter edits one, d deletes one; the model
refuses to change a locked entry or to delete one in use, and its message
is shown.
"""
from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Label, Select, Static

from crm_tui.i18n import t
from crm_tui.models import dictionary
from crm_tui.models.dictionary import DictionaryEntry
from crm_tui.models.errors import CrmError
from crm_tui.screens.admin import error_text
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.connection import in_thread
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.lazy_table import Column, LazyTable
from crm_tui.widgets.query_source import QuerySource
from crm_tui.widgets.plain import plain_content


def _editable(value: Any) -> str:
    return t("dictionary.editable.yes") if value else t("dictionary.editable.no")


COLUMNS = [
    Column("type", "dictionary.type", 12, DictionaryEntry.type),
    Column("item", "dictionary.item", 24, DictionaryEntry.item),
    Column("value", "dictionary.value", 14, DictionaryEntry.value),
    Column("editable", "dictionary.editable", 12, DictionaryEntry.editable, format=_editable),
    Column("sort_order", "dictionary.sort_order", 6, DictionaryEntry.sort_order),
]


def _form_values(entry: DictionaryEntry) -> dict[str, Any]:
    return {"type": entry.type, "item": entry.item, "value": entry.value,
            "editable": "1" if entry.editable else "0", "sort_order": entry.sort_order}


class DictionaryScreen(Screen):
    BINDINGS = [
        Binding("n", "new", "dictionary.new", id="dictionary.new"),
        Binding("e", "edit", "dictionary.edit", id="dictionary.edit"),
        Binding("d", "delete", "dictionary.delete", id="dictionary.delete"),
        Binding("t", "choose_type", "dictionary.choose_type", id="dictionary.choose_type"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.type_name = ""

    def compose(self) -> ComposeResult:
        yield Static(t("dictionary.title"), classes="screen-title")
        with Horizontal(classes="admin-filters"):
            yield Label(t("dictionary.type"))
            yield Select(self._type_options(), prompt=t("dictionary.all_types"),
                         id="dictionary-type")
        source = QuerySource(lambda text: dictionary.dictionary_query(self.type_name, text),
                             COLUMNS)
        yield LazyTable(source, id="dictionary-table")
        yield CrmFooter()

    @staticmethod
    def _type_options() -> list[tuple[Any, str]]:
        return [(plain_content(name, multiline=False), name)
                for name in dictionary.dictionary_types()]

    def on_mount(self) -> None:
        self.table.focus()

    @property
    def table(self) -> LazyTable:
        return self.query_one("#dictionary-table", LazyTable)

    @on(Select.Changed, "#dictionary-type")
    def _type_changed(self, event: Select.Changed) -> None:
        self.type_name = "" if event.value is Select.NULL else str(event.value)
        self.table.reload()
        self.table.focus()

    def action_choose_type(self) -> None:
        select = self.query_one("#dictionary-type", Select)
        select.focus()
        select.action_show_overlay()

    # ----- changes -----------------------------------------------------
    def _current(self) -> DictionaryEntry | None:
        entry_id = self.table.current_row_id
        return None if entry_id is None else DictionaryEntry.get_or_none(
            DictionaryEntry.id == entry_id)

    def _changed(self, result: Any) -> None:
        if result is not None:
            self.query_one("#dictionary-type", Select).set_options(self._type_options())
            if self.type_name:
                self.query_one("#dictionary-type", Select).value = self.type_name
            self.table.reload()
            self.notify(t("dictionary.saved"))

    def action_new(self) -> None:
        values = {"type": self.type_name, "editable": "1"}
        self.app.push_screen(
            FormModal(t("dictionary.new_title"), dictionary.DICTIONARY_FIELDS, values,
                      lambda values: dictionary.create_entry(self.app.user, values)),
            self._changed)

    def action_edit(self) -> None:
        entry = self._current()
        if entry is None:
            return
        if not entry.editable:
            # The model would refuse the save; say so before anything is typed.
            self.notify(t("dictionary.error.locked"), severity="warning")
            return
        self.app.push_screen(
            FormModal(t("dictionary.edit_title", item=entry.item), dictionary.DICTIONARY_FIELDS,
                      _form_values(entry),
                      lambda values: dictionary.update_entry(self.app.user, entry, values)),
            self._changed)

    @on(LazyTable.RowChosen, "#dictionary-table")
    def _chosen(self) -> None:
        self.action_edit()

    def action_delete(self) -> None:
        entry = self._current()
        if entry is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete_entry(entry)

        self.app.push_screen(ConfirmModal(t("dictionary.confirm_delete", type=entry.type,
                                            item=entry.item)), answered)

    @work(exclusive=True, group="dictionary-delete")
    async def delete_entry(self, entry: DictionaryEntry) -> None:
        try:
            await in_thread(dictionary.delete_entry, self.app.user, entry)
        except CrmError as error:
            self.notify(error_text(error), severity="error", timeout=8)
            return
        self.table.reload()
        self.notify(t("dictionary.deleted", item=entry.item))


__all__ = ["DictionaryScreen"]

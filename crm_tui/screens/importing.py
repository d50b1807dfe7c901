"""Importing from a spreadsheet (opened with i from the customer list).

The user types the path of a CSV or XLSX file (in an upload folder) and
presses Enter: the columns are listed with the field each fills, guessed
from the headers or as saved for files of this shape. Enter on a column
changes its field; k changes what is imported (customers, contacts,
interactions). d runs a dry run: the counts, the first refusals with their
reasons, and the texts that name no known region, level or manager; v maps
those to existing entries (or refuses their rows). i imports, with a
progress bar, writing the refused rows to a file in the export folder; s
stops between batches.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from crm_tui.documents import DocumentStore, export_folder_of
from crm_tui.i18n import t
from crm_tui.models.errors import CrmError, ValidationError
from crm_tui.models.importing import (IMPORT_SPECS, ImportReport, ImportSpec, Mapping, import_kinds,
                                      mapping_for, open_table, refused_file, run_import,
                                      save_mapping)
from crm_tui.plain_text import plain
from crm_tui.widgets.connection import connected
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.plain import PlainStatic, plain_content

# Refusals shown under the counts; the file has them all.
REFUSALS_SHOWN = 3
NOT_IMPORTED = "-"


class ChoiceModal(ModalScreen[Any]):
    """A title and a list: dismisses with the chosen option's value, or
    the `unchanged` marker for Escape."""

    BINDINGS = [Binding("escape", "cancel", "importing.back", id="importing.choice_cancel")]
    UNCHANGED = object()

    def __init__(self, title: str, options: list[tuple[Any, str]], current: Any = None):
        super().__init__()
        self.title_text = title
        self.options = options
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="import-dialog"):
            yield PlainStatic(self.title_text, classes="form-title")
            yield OptionList(*[Option(plain_content(label), id=str(index))
                               for index, (_value, label) in enumerate(self.options)],
                             id="import-choices")
        yield CrmFooter()

    def on_mount(self) -> None:
        choices = self.query_one(OptionList)
        values = [value for value, _label in self.options]
        choices.highlighted = values.index(self.current) if self.current in values else 0
        choices.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.options[int(event.option.id)][0])

    def action_cancel(self) -> None:
        self.dismiss(self.UNCHANGED)


class ImportScreen(Screen):
    """See the module's description."""

    BINDINGS = [
        Binding("k", "next_kind", "importing.kind", id="importing.kind"),
        Binding("d", "dry_run", "importing.dry_run", id="importing.dry_run"),
        Binding("v", "map_values", "importing.values", id="importing.values"),
        Binding("i", "run", "importing.run", id="importing.run"),
        Binding("s", "stop", "importing.stop", id="importing.stop"),
    ]

    def __init__(self, kind: str = "customer"):
        super().__init__()
        self.kinds = import_kinds()
        self.kind = kind if kind in IMPORT_SPECS else self.kinds[0]
        self.path = ""
        self.headers: list[str] = []
        self.sample: list[Any] = []
        self.mapping: Mapping | None = None
        self.report: ImportReport | None = None
        # The mapping the last dry run judged: an import needs one of this mapping.
        self.judged: str | None = None
        self.busy = False
        self.stopping = False

    @property
    def spec(self) -> ImportSpec:
        return IMPORT_SPECS[self.kind]

    def compose(self) -> ComposeResult:
        yield Static(t("importing.title"), classes="screen-title")
        yield PlainStatic("", id="import-kind", classes="import-line")
        with Horizontal(classes="import-row"):
            yield Label(t("importing.file"), classes="import-label")
            yield Input(id="import-path", classes="import-input",
                        placeholder=t("importing.file_hint"))
        yield PlainStatic(t("importing.file_hint"), id="import-status", classes="import-line")
        table = DataTable(id="import-mapping", cursor_type="row", zebra_stripes=True)
        table.add_columns(t("importing.header"), t("importing.field"), t("importing.sample"))
        yield table
        yield PlainStatic("", id="import-unknown", classes="import-line")
        yield ProgressBar(id="import-progress", show_eta=False)
        yield PlainStatic("", id="import-summary", classes="import-summary")
        yield CrmFooter()

    def on_mount(self) -> None:
        self._show_kind()
        self.query_one("#import-path", Input).focus()

    # ----- what the footer offers ---------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("dry_run", "run"):
            return self.mapping is not None and not self.busy
        if action == "map_values":
            return bool(self.report and self.report.unknown) and not self.busy
        if action == "stop":
            return self.busy
        if action == "next_kind":
            return not self.busy
        return True

    def _changed(self) -> None:
        self.refresh_bindings()

    # ----- the file and its mapping -----------------------------------------------
    def _show_kind(self) -> None:
        self.query_one("#import-kind", Static).update(
            f"{t('importing.kind')}: {t(self.spec.title)}   {t(self.spec.matching)}")

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#import-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    def action_next_kind(self) -> None:
        self.kind = self.kinds[(self.kinds.index(self.kind) + 1) % len(self.kinds)]
        self._show_kind()
        self.report = self.judged = None
        if self.path:
            self._read(self.path)
        self._changed()

    @on(Input.Submitted, "#import-path")
    def _path_given(self, event: Input.Submitted) -> None:
        event.stop()
        self.path = event.value.strip()
        self.report = self.judged = None
        self._status(t("importing.reading", file=self.path))
        self._read(self.path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import-read")
    def _read(self, path: str) -> None:
        store = DocumentStore.from_config(self.app.config)
        try:
            with connected():
                table, source = open_table(path, store)
                with source:
                    sample = next(table.rows(), [])
                    mapping, saved = mapping_for(self.spec, table.headers)
        except ValidationError as error:
            self.app.call_from_thread(self._unreadable, " ".join(error.errors.values()))
        except Exception as error:  # noqa: BLE001 - a file from outside: say it, never crash
            self.app.call_from_thread(self._unreadable, str(error) or type(error).__name__)
        else:
            self.app.call_from_thread(self._read_done, table.headers, sample, mapping, saved,
                                      table.encoding)

    def _unreadable(self, reason: str) -> None:
        self.mapping = None
        self._status(reason, error=True)
        self.query_one(DataTable).clear()
        self._changed()

    def _read_done(self, headers: list[str], sample: list[Any], mapping: Mapping, saved: bool,
                   encoding: str) -> None:
        self.headers, self.sample, self.mapping = headers, sample, mapping
        self._status(f"{encoding} · " + t("importing.saved_mapping" if saved
                                           else "importing.guessed_mapping"))
        self._fill_mapping()
        table = self.query_one(DataTable)
        table.focus()
        self._changed()

    def _field_label(self, name: str | None) -> str:
        if not name:
            return t("importing.not_imported")
        item = self.spec.field(name)
        return t(item.label) + (" *" if item.required else "")

    def _fill_mapping(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        assert self.mapping is not None
        for index, header in enumerate(self.headers):
            sample = self.sample[index] if index < len(self.sample) else ""
            table.add_row(Text(plain(header)), Text(self._field_label(self.mapping.columns[index])),
                          Text(plain("" if sample is None else sample)), key=str(index))
        if self.headers:
            table.move_cursor(row=min(row, len(self.headers) - 1))

    @on(DataTable.RowSelected, "#import-mapping")
    def _choose_field(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.mapping is None or self.busy:
            return
        index = int(event.row_key.value)
        options = [(None, t("importing.not_imported"))] + [
            (item.name, self._field_label(item.name)) for item in self.spec.fields]

        def chosen(name: Any) -> None:
            if name is ChoiceModal.UNCHANGED or self.mapping is None:
                return
            # A field is filled by one column: the one it had lets it go.
            self.mapping.columns = [None if name and other == name else other
                                    for other in self.mapping.columns]
            self.mapping.columns[index] = name
            self.judged = None
            self._fill_mapping()
            self._changed()

        self.app.push_screen(ChoiceModal(t("importing.choose_field", column=self.headers[index]),
                                         options, self.mapping.columns[index]), chosen)

    # ----- the dry run and the import ------------------------------------------------
    def action_dry_run(self) -> None:
        if self.mapping is None or self.busy:
            return
        self._start(dry_run=True)

    def action_run(self) -> None:
        if self.mapping is None or self.busy:
            return
        if self.judged != self.mapping.to_json():
            self.app.notify(t("importing.dry_run_first"), severity="warning")
            return
        self._start(dry_run=False)

    def action_stop(self) -> None:
        self.stopping = True

    def _start(self, dry_run: bool) -> None:
        self.busy, self.stopping = True, False
        bar = self.query_one(ProgressBar)
        total = self.report.rows if self.report is not None else None
        bar.update(total=total, progress=0)
        self._changed()
        self._work(self.app.user, self.spec, self.path, Mapping(
            list(self.mapping.columns), {k: dict(v) for k, v in self.mapping.values.items()}),
            dry_run)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import-run")
    def _work(self, user: Any, spec: ImportSpec, path: str, mapping: Mapping,
              dry_run: bool) -> None:
        store = DocumentStore.from_config(self.app.config)
        refused_path = None
        try:
            with connected():
                table, source = open_table(path, store)
                with source:
                    refused_to = None
                    if not dry_run:
                        save_mapping(user, spec, table.headers, mapping)
                        refused_to, refused_path = refused_file(
                            export_folder_of(self.app.config.documents.export_folder), path)
                    try:
                        report = run_import(
                            user, spec, table, mapping, dry_run=dry_run,
                            file_name=Path(path).name, refused_to=refused_to,
                            stop=lambda: self.stopping,
                            progress=lambda done: self.app.call_from_thread(self._progress,
                                                                            done))
                    finally:
                        if refused_to is not None:
                            refused_to.close()
            if refused_path is not None and not report.refused:
                refused_path.unlink()
                refused_path = None
        except CrmError as error:
            text = (" ".join(error.errors.values()) if isinstance(error, ValidationError)
                    else str(error))
            self.app.call_from_thread(self._failed, text)
        except Exception as error:  # noqa: BLE001 - the database went away, the disk is full
            self.app.call_from_thread(self._failed, str(error) or type(error).__name__)
        else:
            self.app.call_from_thread(self._done, report, mapping, refused_path)

    def _progress(self, report: ImportReport) -> None:
        self.query_one(ProgressBar).update(progress=report.rows)
        key = "importing.judging" if report.dry_run else "importing.importing"
        self.query_one("#import-summary", Static).update(t(key, rows=f"{report.rows:,}"))

    def _failed(self, reason: str) -> None:
        self.busy = False
        self.query_one("#import-summary", Static).update(reason)
        self.app.notify(reason, severity="error", timeout=8)
        self._changed()

    def _done(self, report: ImportReport, mapping: Mapping, refused_path: Any) -> None:
        self.busy = False
        self.report = report
        if report.dry_run:
            self.judged = mapping.to_json()
        else:
            self.judged = None
            self.app.records_changed(self.kind)
        lines = [report.summary()]
        if report.stopped:
            lines.append(t("importing.stopped", rows=report.rows))
        lines += [t("importing.refusals", row=row, reason=reason)
                  for row, reason in report.refusals[:REFUSALS_SHOWN]]
        if refused_path is not None:
            lines.append(t("importing.refused_file", path=str(refused_path)))
        self.query_one("#import-summary", Static).update("\n".join(lines))
        self.query_one(ProgressBar).update(total=max(report.rows, 1), progress=report.rows)
        unknown = "; ".join(f"{t(self.spec.field(name).label)}: " + ", ".join(texts)
                            for name, texts in report.unknown.items())
        self.query_one("#import-unknown", Static).update(
            t("importing.unknown_values", values=unknown) if unknown else "")
        self.app.notify(report.summary(), timeout=6)
        self._changed()

    # ----- texts that name no known entry ------------------------------------------------
    def action_map_values(self) -> None:
        if self.report is None or self.mapping is None:
            return
        pending = [(name, text) for name, texts in self.report.unknown.items() for text in texts]
        self._ask_value(pending)

    def _ask_value(self, pending: list[tuple[str, str]]) -> None:
        if not pending or self.mapping is None:
            return
        name, text = pending[0]
        item = self.spec.field(name)
        options = [(None, t("importing.refuse_value"))] + list(item.choices() if item.choices
                                                              else [])
        current = self.mapping.values.get(name, {}).get(text)

        def chosen(value: Any) -> None:
            if value is ChoiceModal.UNCHANGED or self.mapping is None:
                return
            self.mapping.values.setdefault(name, {})[text] = value
            self.judged = None
            self._ask_value(pending[1:])

        self.app.push_screen(ChoiceModal(t("importing.choose_value", field=t(item.label),
                                           value=text), options, current), chosen)


__all__ = ["ImportScreen"]

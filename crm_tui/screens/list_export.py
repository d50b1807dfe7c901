"""Export of a list to CSV or XLSX: ask for the file, then write it in a
thread with a progress bar.

    start_export(app, rows_for_export, default_name)

`rows_for_export()` returns `(headers, rows, total)`; it is called in the
export's thread (with its own database connection), so reading a large
list never stops the screen. `crm_tui.export.export_rows` writes the file.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static

from crm_tui import clock
from crm_tui.documents import FileRefused, export_folder_of, export_target
from crm_tui.export import FORMATS, export_rows
from crm_tui.i18n import t
from crm_tui.models.errors import CrmError, ValidationError
from crm_tui.models.validation import Field
from crm_tui.widgets.connection import connected
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.plain import PlainStatic

RowsForExport = Callable[[], tuple[Sequence[str], Iterable[Sequence[Any]], int]]

PATH_FIELDS = (Field("path", "export.path", required=True, max_length=500),)


def default_path(name: str, folder: Path | None = None) -> str:
    """<export folder>/<name>-<date>.csv, shown in the form so the user can
    change it."""
    return str((folder or Path("~")) / f"{name}-{clock.today():%Y%m%d}.csv")


def check_path(values: dict[str, Any], folder: Path | None = None) -> Path:
    """The file to write, inside the export folder `folder` (default: the
    home folder), or a ValidationError at the path field."""
    text = str(values.get("path") or "").strip()
    if not text:
        raise ValidationError({"path": t("error.required")})
    try:
        path = export_target(folder or Path.home(), text)
    except FileRefused as error:
        raise ValidationError({"path": t(error.key, **error.values)}) from None
    if path.suffix.lower() not in FORMATS:
        raise ValidationError({"path": t("export.error.format", formats=", ".join(FORMATS))})
    if not path.parent.is_dir():
        raise ValidationError({"path": t("export.error.folder", folder=str(path.parent))})
    return path


def start_export(app: App, rows_for_export: RowsForExport, default_name: str) -> None:
    def chosen(path: Path | None) -> None:
        if path is not None:
            app.push_screen(ExportProgressScreen(path, rows_for_export))

    folder = export_folder_of(app.config.documents.export_folder)
    form = FormModal(t("export.title"), PATH_FIELDS, {"path": default_path(default_name, folder)},
                     lambda values: check_path(values, folder))
    app.push_screen(form, chosen)


class ExportProgressScreen(ModalScreen[int | None]):
    """Writes the file in a thread; shows how far it is. Dismisses with the
    number of rows written (None if it failed)."""

    BINDINGS = [Binding("escape", "close", "export.close", id="export.close")]

    def __init__(self, path: Path, rows_for_export: RowsForExport):
        super().__init__()
        self.path = path
        self.rows_for_export = rows_for_export
        self.written: int | None = None
        self.finished = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="export-dialog"):
            yield PlainStatic(t("export.writing", path=str(self.path)), id="export-message")
            yield ProgressBar(total=None, show_eta=False, id="export-progress")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.write_file()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def write_file(self) -> None:
        try:
            with connected():
                headers, rows, total = self.rows_for_export()
                self.app.call_from_thread(self._set_total, total)
                count = export_rows(self.path, headers, rows,
                                    progress=lambda done: self.app.call_from_thread(
                                        self._advance, done))
        except CrmError as error:
            self.app.call_from_thread(self._failed, str(error))
            return
        except Exception as error:  # a database error mid-export: say so, keep the app
            self.app.call_from_thread(self._failed, f"{type(error).__name__}: {error}")
            return
        self.app.call_from_thread(self._done, count)

    def _set_total(self, total: int) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=0)

    def _advance(self, done: int) -> None:
        self.query_one(ProgressBar).update(progress=done)

    def _done(self, count: int) -> None:
        self.written = count
        self.finished = True
        self.app.notify(t("export.done", count=count, path=str(self.path)), timeout=8)
        self.dismiss(count)

    def _failed(self, message: str) -> None:
        self.finished = True
        self.query_one("#export-message", Static).update(t("export.failed", message=message))

    def action_close(self) -> None:
        # While writing, the file is not complete yet: wait for it.
        if self.finished:
            self.dismiss(self.written)


__all__ = ["ExportProgressScreen", "check_path", "default_path", "start_export"]

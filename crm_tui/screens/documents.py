"""Documents (文档, M8) of one customer on screen: the list (name, size, who,
when), attaching a file (a typed path or a file picked in a folder tree),
exporting a copy, deleting after a confirmation.

`CustomerDocumentsPane(customer_id)` is a customer-screen tab;
`CustomerDocumentsScreen(customer_id)` shows it on its own. Storing and
copying files runs in a thread: a large file never freezes the screen.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import DirectoryTree, Input, Label, Static

from crm_tui.documents import DocumentStore
from crm_tui.i18n import t
from crm_tui.models import permissions as perm
from crm_tui.models.documents import Document
from crm_tui.models.errors import CrmError, ValidationError
from crm_tui.screens.customer_pane import CustomerPaneScreen
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.connection import connected
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.plain import PlainStatic
from crm_tui.widgets.lazy_table import Column, LazyTable
from crm_tui.widgets.query_source import QuerySource


def human_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(size)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


COLUMNS = [
    Column("name", "documents.name", 30, Document.name, max_width=80),
    Column("size", "documents.size", 9, Document.size, format=human_size),
    Column("uploader_name", "documents.uploaded_by", 10),
    Column("uploaded_at", "documents.uploaded_at", 16, Document.uploaded_at, format=_when),
]


class PathModal(ModalScreen[Any]):
    """A path typed (or picked) and an action run on it in a thread.

    `run(path)` is the model call; a ValidationError shows its message under
    the path and the modal stays open; success dismisses with its result.
    """

    BINDINGS = [
        Binding("ctrl+s", "submit", "documents.ok", priority=True, id="documents.ok"),
        Binding("escape", "cancel", "mail.cancel", id="documents.cancel"),
    ]

    def __init__(self, title: str, hint: str, run: Callable[[str], Any], value: str = "",
                 tree_root: Path | None = None):
        super().__init__()
        self.title_text = title
        self.hint = hint
        self.run = run
        self.value = value
        self.tree_root = tree_root
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="documents-dialog"):
            yield Static(self.title_text, classes="form-title")
            yield Static(self.hint, classes="mail-hint")
            with Horizontal(classes="mail-row"):
                yield Label(t("documents.path") + " *", classes="mail-label")
                # Typing adds to a path shown at the start instead of replacing it.
                yield Input(self.value, id="documents-path", classes="mail-input",
                            select_on_focus=False)
            error = Static("", id="documents-error", classes="mail-error")
            error.display = False
            yield error
            if self.tree_root is not None:
                yield DirectoryTree(self.tree_root, id="documents-tree")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one("#documents-path", Input).focus()

    @on(DirectoryTree.FileSelected)
    def _file_picked(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        path_input = self.query_one("#documents-path", Input)
        path_input.value = str(event.path)
        path_input.focus()

    @on(Input.Submitted, "#documents-path")
    def _path_entered(self, event: Input.Submitted) -> None:
        event.stop()
        typed = Path(event.value.strip()).expanduser()
        # A folder typed into the attach form opens in the tree below.
        if self.tree_root is not None and event.value.strip() and typed.is_dir():
            tree = self.query_one(DirectoryTree)
            tree.path = typed
            tree.focus()
            return
        self.action_submit()

    def show_error(self, text: str) -> None:
        error = self.query_one("#documents-error", Static)
        error.update(text)
        error.display = bool(text)

    def action_submit(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.show_error("")
        self._run(self.query_one("#documents-path", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="documents-path")
    def _run(self, path: str) -> None:
        try:
            with connected():
                result = self.run(path)
        except ValidationError as error:
            self.app.call_from_thread(self._failed, "; ".join(error.errors.values()))
        except Exception as error:  # a refusal of the rules, or the disk
            self.app.call_from_thread(self._failed, str(error) or type(error).__name__)
        else:
            self.app.call_from_thread(self._done, result)

    def _failed(self, text: str) -> None:
        self.busy = False
        self.show_error(text)
        self.query_one("#documents-path", Input).focus()

    def _done(self, result: Any) -> None:
        self.busy = False
        self.dismiss(result)

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)


class CustomerDocumentsPane(Widget):
    """A customer's documents (or those of one of its contracts): n
    attaches, x (or Enter) exports a copy, d deletes."""

    BINDINGS = [
        Binding("n", "new", "documents.attach", id="documents.attach"),
        Binding("x", "export", "documents.export", id="documents.export"),
        Binding("d", "delete", "documents.delete", id="documents.delete"),
    ]

    def __init__(self, customer_id: int, contract_id: int | None = None):
        super().__init__(classes="customer-pane")
        self.customer_id = customer_id
        self.contract_id = contract_id

    @property
    def store(self) -> DocumentStore:
        return DocumentStore.from_config(self.app.config)

    def compose(self) -> ComposeResult:
        user = self.app.user
        source = QuerySource(lambda text: self._query(user, text), COLUMNS)
        yield LazyTable(source, id="documents-table")

    def _query(self, user, text: str):
        query = Document.of_customer(user, self.customer_id, self.contract_id)
        for word in text.split():
            query = query.where(Document.name.contains(word))
        return query

    @property
    def table(self) -> LazyTable:
        return self.query_one(LazyTable)

    def focus_main(self) -> None:
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The model checks again on every write; this only hides keys that
        # would be refused.
        if action in ("new", "delete"):
            user = self.app.user
            return user is not None and user.has_perm(perm.CUSTOMER_EDIT)
        return True

    def _current(self) -> Document | None:
        row_id = self.table.current_row_id
        return None if row_id is None else Document.get_or_none(Document.id == row_id)

    def action_new(self) -> None:
        user, store = self.app.user, self.store

        def attach(path: str) -> Document:
            return Document.attach(user, self.customer_id, path, store, self.contract_id)

        def attached(document: Document | None) -> None:
            if document is not None:
                self.app.notify(t("documents.attached", name=document.name))
                self.table.reload()

        self.app.push_screen(PathModal(t("documents.attach.title"), t("documents.attach.hint"),
                                       attach, tree_root=store.upload_folders[0]), attached)

    @on(LazyTable.RowChosen)
    def _chosen(self, event: LazyTable.RowChosen) -> None:
        event.stop()
        self.action_export()

    def action_export(self) -> None:
        document = self._current()
        if document is None:
            return
        user, store = self.app.user, self.store

        def export(path: str) -> Path:
            return document.export_by(user, path, store)

        def exported(path: Path | None) -> None:
            if path is not None:
                self.app.notify(t("documents.exported", path=str(path)))

        self.app.push_screen(PathModal(t("documents.export.title", name=document.name),
                                       t("documents.export.hint"), export,
                                       value=str(store.export_folder) + "/"), exported)

    def action_delete(self) -> None:
        document = self._current()
        if document is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                document.delete_by(self.app.user, self.store)
            except CrmError as error:
                self.app.notify(str(error), severity="error", timeout=6)
            else:
                self.app.notify(t("documents.deleted", name=document.name))
            self.table.reload()

        self.app.push_screen(ConfirmModal(t("documents.delete.confirm", name=document.name)),
                             answered)


class CustomerDocumentsScreen(CustomerPaneScreen):
    """A customer's documents on a screen of its own."""

    pane_class = CustomerDocumentsPane
    heading_id = "documents-title"
    heading_key = "documents.title"


class RecordDocumentsScreen(Screen):
    """The documents of one record of a customer (a contract's)."""

    def __init__(self, customer_id: int, contract_id: int | None, heading: str):
        super().__init__()
        self.customer_id = customer_id
        self.contract_id = contract_id
        self.heading = heading

    def compose(self) -> ComposeResult:
        yield PlainStatic(t("documents.of_record", record=self.heading), classes="screen-title")
        yield CustomerDocumentsPane(self.customer_id, self.contract_id)
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one(CustomerDocumentsPane).focus_main()


__all__ = ["CustomerDocumentsPane", "CustomerDocumentsScreen", "RecordDocumentsScreen",
           "human_size"]

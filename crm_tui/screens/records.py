"""Screens drawn from record kinds (crm_tui.models.kinds).

- `RecordListScreen(kind)`: a module's list; Enter opens a record.
- `RecordScreen(kind, id)`: one record, its fields and sections, and the
  list of its child records (an opportunity's plan items) below.
- `RecordPane(kind, parent_id)`: a tab of a parent's screen (a customer's
  contacts).
- `RecordView(kind, id)`: the fields and sections of one record, the body
  of `RecordScreen` and a tab on its own (the customer's information).

Each of them is an `ActionHost`: its keys are the actions of the kinds it
shows. Which of them the record under the cursor allows is worked out in a
thread after every move and change, and the footer follows when the answer
comes; a key pressed meanwhile still runs, and the model's check answers.
After a change the app tells every list, tab and record view showing that
kind to show it again (`CrmApp.records_changed`).
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from rich.text import Text
from textual import work
from textual.message import Message
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from crm_tui.i18n import t
from crm_tui.models.errors import CrmError
from crm_tui.models.filters import check, list_query, uses_language, while_typing
from crm_tui.models.kinds import Action, RecordKind, kind
from crm_tui.models.views import SavedView
from crm_tui.plain_text import plain
from crm_tui.widgets.clipboard import copy_text
from crm_tui.screens.views import VIEW_FIELDS, VIEW_MODULES, ColumnChooser, ViewsMenu
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.connection import connected
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.forms import FormModal, OpenInstead
from crm_tui.widgets.lazy_table import LazyTable
from crm_tui.widgets.query_source import QuerySource
from crm_tui.screens.bulk import BULK_KEY, start_bulk
from crm_tui.screens.list_export import start_export

ACTIONS_KEY = Binding("f2", "actions_menu", "records.actions", id="records.actions")


# ----- acting on records ------------------------------------------------------

class Target:
    """What an action host acts on: a kind, the record under the cursor (or
    shown), and the parent record new ones belong to."""

    def __init__(self, record_kind: RecordKind, row_id: Any = None, parent_id: Any = None,
                 own_screen: bool = False):
        self.kind = record_kind
        self.row_id = row_id
        self.parent_id = parent_id
        # True on the record's own screen: its actions there, no "new".
        self.own_screen = own_screen

    def offers(self, action: Action) -> bool:
        if not action.on_row:
            return not self.own_screen
        return action.in_list or self.own_screen


def load(record_kind: RecordKind, user: Any, record_id: Any) -> Any:
    """The record as the user may see it now, or None."""
    if record_id is None:
        return None
    try:
        return record_kind.get(user, record_id)
    except CrmError:
        return None


def load_parent(record_kind: RecordKind, user: Any, parent_id: Any) -> Any:
    if parent_id is None or record_kind.parent is None:
        return None
    return load(kind(record_kind.parent), user, parent_id)


def allowed_now(user: Any, targets: Sequence[Target]) -> frozenset[tuple[str, str]]:
    """(kind, action) pairs the user may take on the targets now."""
    allowed = set()
    for target in targets:
        record = load(target.kind, user, target.row_id)
        parent = load_parent(target.kind, user, target.parent_id)
        for action in target.kind.allowed_actions(record, user, parent):
            if target.offers(action):
                allowed.add((target.kind.name, action.id))
    return frozenset(allowed)


def action_bindings(kinds: Iterable[RecordKind], row_only: Iterable[RecordKind] = ()
                    ) -> list[Binding]:
    """One binding per action, labelled in the current locale; for the
    kinds in `row_only` (a record's own screen), only the actions on the
    record, and those first."""
    return [Binding(action.key, f"act('{record_kind.name}', '{action.id}')", t(action.label),
                    id=f"{record_kind.name}.{action.id}")
            for record_kind, row_only_kind in [*[(k, True) for k in row_only],
                                               *[(k, False) for k in kinds]]
            for action in record_kind.actions if action.on_row or not row_only_kind]


class ActionHost:
    """Mixed into a Screen or a Widget showing records of some kinds.

    A host says what it acts on (`targets()`); the keys of every action of
    those kinds are bound when it is made, and shown while allowed.
    """

    # (kind, action) pairs allowed for the targets as last worked out.
    allowed: frozenset[tuple[str, str]] = frozenset()
    # True between a move or a change and the answer to what is allowed.
    allowed_pending: bool = True
    # Raised by each question: an answer to an older one (a thread that was
    # already running when the row moved) is not the answer.
    allowed_asked: int = 0

    def targets(self) -> list[Target]:
        raise NotImplementedError

    def bind_actions(self, kinds: Iterable[RecordKind],
                     row_only: Iterable[RecordKind] = ()) -> None:
        bindings = self._bindings.key_to_bindings
        for binding in [*action_bindings(kinds, row_only), ACTIONS_KEY]:
            bindings.setdefault(binding.key, []).append(binding)

    def refresh_allowed(self) -> None:
        self.allowed_pending = True
        self.allowed_asked += 1
        self._work_out_allowed(self.app.user, self.targets(), self.allowed_asked)

    @work(thread=True, exclusive=True, group="allowed")
    def _work_out_allowed(self, user: Any, targets: list[Target], asked: int) -> None:
        with connected():
            allowed = allowed_now(user, targets)
        self.app.call_from_thread(self._show_allowed, allowed, asked)

    def _show_allowed(self, allowed: frozenset[tuple[str, str]], asked: int) -> None:
        if asked != self.allowed_asked:
            # The rows changed since (the first page came, the cursor moved):
            # a key pressed meanwhile is still decided at once.
            return
        # Always redraw: the keys shown while the answer was pending go too.
        self.allowed_pending = False
        self.allowed = allowed
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "act":
            if self.allowed_pending:
                # A key pressed before the answer came: ask now, so that it
                # is neither lost nor given to another action on its key.
                return self._allowed_at_once(*parameters)
            return tuple(parameters) in self.allowed
        if action == "actions_menu":
            return bool(self.allowed) or self.allowed_pending
        return True

    def _allowed_at_once(self, kind_name: str, action_id: str) -> bool:
        target = self.target_of(kind_name)
        if target is None:
            return False
        action = target.kind.action(action_id)
        user = self.app.user
        if not target.offers(action):
            return False
        if action.on_row:
            return action.allowed(load(target.kind, user, target.row_id), user)
        return action.allowed(load_parent(target.kind, user, target.parent_id), user)

    def on_record_table_moved(self, message: "RecordTable.Moved") -> None:
        message.stop()
        self.refresh_allowed()

    # ----- running an action --------------------------------------------
    def target_of(self, kind_name: str) -> Target | None:
        return next((target for target in self.targets() if target.kind.name == kind_name), None)

    def action_act(self, kind_name: str, action_id: str) -> None:
        target = self.target_of(kind_name)
        if target is None:
            return
        action = target.kind.action(action_id)
        user = self.app.user
        subject = (load(target.kind, user, target.row_id) if action.on_row
                   else load_parent(target.kind, user, target.parent_id))
        if action.on_row and subject is None:
            return
        if not self._may(action, subject, user):
            return
        run = ActionRun(self, target.kind, action, subject)
        if action.ask:
            question = run.text(action.ask)
            self.app.push_screen(ConfirmModal(question),
                                 lambda yes: run.start() if yes else None)
        else:
            run.start()

    def _may(self, action: Action, subject: Any, user: Any) -> bool:
        """Check afresh before asking anything; show the refusal."""
        if action.check is None:
            return True
        try:
            action.check(subject, user)
        except CrmError as error:
            self.app.notify(str(error), severity="error")
            self.refresh_allowed()
            return False
        return True

    def action_actions_menu(self) -> None:
        """F2: every action allowed here, to pick one (what the footer had
        no room for is here too), with the keys as the keymap has them."""
        entries = [(self.app.get_key_display(active.binding), t(active.binding.description),
                    active.binding.action)
                   for active in self.screen.active_bindings.values()
                   if active.binding.action.startswith("act(") and active.enabled]
        if entries:
            self.app.push_screen(ActionsMenu(entries), self._chosen)

    def _chosen(self, action_text: str | None) -> None:
        if action_text:
            kind_name, action_id = [part.strip(" '") for part in action_text[4:-1].split(",")]
            self.action_act(kind_name, action_id)

    def after_action(self, record_kind: RecordKind, action: Action, record: Any) -> None:
        """After a change: tell every view of the kind; close when gone."""
        self.app.records_changed(record_kind.name, *record_kind.changes)


class ActionRun:
    """One action on its way: the form (if any), the model call, what is
    said after it."""

    def __init__(self, host: ActionHost, record_kind: RecordKind, action: Action, subject: Any):
        self.host = host
        self.kind = record_kind
        self.action = action
        self.subject = subject
        self.app = host.app
        # Texts about the subject: the record's own, or (for a new record)
        # its parent's words.
        parent_kind = kind(record_kind.parent) if record_kind.parent else None
        self.words_kind = record_kind if action.on_row else parent_kind

    def text(self, key: Any, result: Any = None) -> str:
        if self.words_kind is None or self.subject is None:
            return self.kind.text(key, None, result)
        return self.words_kind.text(key, self.subject, result)

    def start(self) -> None:
        user, action = self.app.user, self.action
        if action.form is None:
            try:
                result = action.run(self.subject, user, {})
            except CrmError as error:
                self.app.notify(str(error), severity="error")
                self.host.refresh_allowed()
                return
            self.finished(result)
            return
        fields = action.form(self.subject, user)
        values = action.prefill(self.subject, user) if action.prefill else {}
        title = self.text(action.title or action.label)
        similar = action.similar
        form = FormModal(title, fields, values,
                         lambda typed: action.run(self.subject, user, typed),
                         similar=(lambda typed: similar(self.subject, user, typed))
                         if similar else None)
        self.app.push_screen(form, self.form_closed)

    def form_closed(self, result: Any) -> None:
        if isinstance(result, OpenInstead):
            # A similar record the user chose to open rather than add another.
            open_record = getattr(self.host, "open_record", None)
            if open_record is not None:
                open_record(result.record_id)
            else:
                self.app.push_screen(RecordScreen(self.kind.opens or self.kind.name,
                                                  result.record_id))
        elif result is not None:
            self.finished(result)
        else:
            # Closed without saving, perhaps after a save was refused because
            # someone else changed the record: show it as it is now.
            self.app.records_changed(self.kind.name)

    def finished(self, result: Any) -> None:
        message = self.text(self.action.done, result)
        if message:
            self.app.notify(message)
        self.host.after_action(self.kind, self.action, self.subject)


class ActionsMenu(ModalScreen[str]):
    """The list of every action allowed here; Enter runs one."""

    BINDINGS = [Binding("escape", "dismiss", "help.close", id="records.actions_close")]

    def __init__(self, entries: list[tuple[str, str, str]], title: str | None = None):
        super().__init__()
        self.entries = entries
        self.title_text = title or t("records.actions_title")

    def compose(self) -> ComposeResult:
        options = [Option(Text(f"{key:>6}  {plain(label)}"), id=action)
                   for key, label, action in self.entries]
        yield Static(Text(self.title_text), classes="form-title")
        yield OptionList(*options, id="actions-menu")
        yield CrmFooter()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


# ----- lists -------------------------------------------------------------------

class RecordTable(LazyTable):
    """The rows of a kind in the user's scope (within a parent record when
    given); shown again whenever the app says that kind changed. Tells its
    host when the row under the cursor changes, so that the host can offer
    what that row allows."""

    class Moved(Message):
        def __init__(self, row_id: Any):
            super().__init__()
            self.row_id = row_id

    _last_row_id: Any = None

    def __init__(self, record_kind: RecordKind, user: Any, parent_id: Any = None,
                 within: dict[str, Any] | None = None, **kwargs: Any):
        self.kind = record_kind
        self.within = dict(within or {})
        self.parent_id = parent_id
        source = QuerySource(
            lambda text: list_query(record_kind, user, text,
                                    {**self.within, "parent": self.parent_id}),
            record_kind.columns)
        kwargs.setdefault("id", f"{record_kind.name}-table")
        language = uses_language(record_kind)
        super().__init__(source, openable=record_kind.opens, classes="shows-records",
                         check_filter=(lambda text: check(record_kind, text)) if language else None,
                         while_typing=(lambda text: while_typing(record_kind, text))
                         if language else None, **kwargs)

    def shows(self, kind_names: Iterable[str]) -> bool:
        return self.kind.name in kind_names

    def records_changed(self) -> None:
        self.reload()

    def reload(self) -> None:
        # Tell the host again once the rows are back, even when the cursor
        # is on the same row as before: the row itself may have changed.
        self._last_row_id = None
        super().reload()

    def show_status(self) -> None:
        super().show_status()
        row_id = self.current_row_id
        if row_id != self._last_row_id:
            self._last_row_id = row_id
            self.post_message(self.Moved(row_id))


class RecordListScreen(ActionHost, Screen):
    """A module's list of one kind; `t` steps through the kind's state
    filters when it has them; `v` its saved views (save the list as one,
    choose the columns, open one); Enter opens the record under the cursor;
    b acts on the marked rows (screens/bulk.py). With `view_id` it opens
    showing that saved view."""

    BINDINGS = [Binding("t", "next_filter", "records.next_filter", id="records.next_filter"),
                BULK_KEY,
                # Listed by F1, not in the footer: the footer keeps its room
                # for the keys of the rows (Enter above all).
                Binding("v", "views", "views.menu", show=False, id="records.views")]

    def __init__(self, kind_name: str, status: str | None = None, view_id: Any = None):
        super().__init__()
        self.kind = kind(kind_name)
        self.status = status
        self.view_id = view_id
        self.saved_view: SavedView | None = None
        self.bind_actions([self.kind])

    def compose(self) -> ComposeResult:
        yield Static("", id="records-title", classes="screen-title")
        yield RecordTable(self.kind, self.app.user, within={"status": self.status})
        yield CrmFooter()

    def on_mount(self) -> None:
        self.show_title()
        self.table.focus()
        self.refresh_allowed()
        if self.view_id is not None:
            self.open_view(self.view_id)

    @property
    def table(self) -> RecordTable:
        return self.query_one(RecordTable)

    def targets(self) -> list[Target]:
        return [Target(self.kind, self.table.current_row_id)]

    def show_title(self) -> None:
        state = (self.kind.status_label(self.status) if self.status
                 else t("records.all_states"))
        title = t(self.kind.title, state=state)
        if self.saved_view is not None:
            title += " · " + plain(self.saved_view.name)
        self.query_one("#records-title", Static).update(Text(title))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_filter":
            return bool(self.kind.status_filters)
        if action == "bulk":
            return bool(self.table.marked_ids)
        if action == "views":
            return self.kind.name in VIEW_MODULES
        return super().check_action(action, parameters)

    def on_lazy_table_marks_changed(self, message: LazyTable.MarksChanged) -> None:
        message.stop()
        self.refresh_bindings()

    def action_bulk(self) -> None:
        start_bulk(self, self.kind, self.table, self.export_marked)

    def export_marked(self, ids: set[Any]) -> None:
        """The marked rows as the list shows them, to a file."""
        user, record_kind, within = self.app.user, self.kind, dict(self.table.within)
        columns = list(record_kind.columns)

        def rows_for_export():
            query = record_kind.query(user, "", within)
            query = query.where(query.model._meta.primary_key.in_(list(ids)))
            rows = ([column.text(row) for column in columns]
                    for row in query.dicts().iterator())
            return [t(column.label_key) for column in columns], rows, len(ids)

        start_export(self.app, rows_for_export, record_kind.name)

    # ----- saved views -------------------------------------------------------
    def action_views(self) -> None:
        self.app.push_screen(ViewsMenu(self.kind.name, self.app.user), self._views_chosen)

    def _views_chosen(self, choice: tuple[str, Any] | None) -> None:
        if choice is None:
            return
        what, view_id = choice
        if what == "open":
            self.open_view(view_id)
        elif what == "save":
            self.save_view()
        else:
            self.app.push_screen(ColumnChooser(self.kind.columns, self.table.column_keys),
                                 self._columns_chosen)

    def _columns_chosen(self, keys: list[str] | None) -> None:
        if keys:
            self.table.show_columns(keys)

    def open_view(self, view_id: Any) -> None:
        """Show saved view `view_id`: its columns, sort and filter."""
        try:
            view = SavedView.get_usable(self.app.user, view_id)
        except CrmError as error:
            self.app.notify(str(error), severity="error")
            return
        if view.kind != self.kind.name:
            return
        table = self.table
        table.show_columns(view.column_keys)
        table.sort_by(view.sort, view.descending)
        table.set_filter(view.filter_text)
        self.saved_view = view
        self.show_title()

    def save_view(self) -> None:
        """Save what the list shows (its filter, sort and columns) under a name."""
        table, user = self.table, self.app.user
        sort, descending = table.sort_key
        columns = table.column_keys
        values = {"name": self.saved_view.name if self.saved_view else "",
                  "filter_text": table.filter_text}

        def submit(typed: dict[str, Any]) -> SavedView:
            return SavedView.save_by(user, self.kind.name, typed.get("name") or "",
                                     typed.get("filter_text") or "", sort, descending, columns)

        def saved(view: SavedView | None) -> None:
            if view is None:
                return
            self.app.notify(t("views.saved", name=view.name))
            self.saved_view = view
            if view.filter_text != table.filter_text:
                table.set_filter(view.filter_text)
            self.show_title()

        self.app.push_screen(FormModal(t("views.save_title"), VIEW_FIELDS, values, submit), saved)

    def action_next_filter(self) -> None:
        filters = (None, *self.kind.status_filters)
        self.status = filters[(filters.index(self.status) + 1) % len(filters)]
        self.table.within["status"] = self.status
        self.show_title()
        self.table.reload()
        self.refresh_allowed()

    def on_lazy_table_row_chosen(self, message: Any) -> None:
        message.stop()
        if message.row_id is not None and self.kind.opens:
            self.open_record(message.row_id)

    def open_record(self, row_id: Any) -> None:
        """Enter on a row: the record's own screen."""
        self.app.push_screen(RecordScreen(self.kind.opens, row_id))


class RecordPane(ActionHost, Widget):
    """The records of a kind that belong to a parent (a customer's
    contacts), as a tab of the parent's screen."""

    def __init__(self, kind_name: str, parent_id: Any, **kwargs: Any):
        super().__init__(classes="customer-pane", **kwargs)
        self.kind = kind(kind_name)
        self.parent_id = parent_id
        self.bind_actions([self.kind])

    def compose(self) -> ComposeResult:
        yield RecordTable(self.kind, self.app.user, parent_id=self.parent_id)

    def on_mount(self) -> None:
        self.refresh_allowed()

    @property
    def table(self) -> RecordTable:
        return self.query_one(RecordTable)

    def focus_main(self) -> None:
        self.table.focus()

    def targets(self) -> list[Target]:
        return [Target(self.kind, self.table.current_row_id, self.parent_id)]

    def on_lazy_table_row_chosen(self, message: Any) -> None:
        message.stop()
        if message.row_id is not None and self.kind.opens:
            self.app.push_screen(RecordScreen(self.kind.opens, message.row_id))


# ----- one record ----------------------------------------------------------------

def record_text(record_kind: RecordKind, record: Any) -> Text:
    """The record's fields, one per line, then its sections."""
    text = Text()
    for label_key, value in record_kind.rows(record) if record_kind.rows else []:
        text.append(f"{t(label_key)}: ", style="bold")
        text.append(plain("" if value is None else str(value).strip()) + "\n")
    for title_key, entries in record_kind.sections(record) if record_kind.sections else []:
        text.append(f"\n{t(title_key)}\n", style="bold underline")
        if not entries:
            text.append(t("records.none") + "\n")
        for heading, lines in entries:
            text.append(plain(heading) + "\n", style="bold")
            for line in lines:
                text.append(f"  {plain(line)}\n")
    text.rstrip()
    return text


class RecordView(Widget, can_focus=False):
    """The fields and sections of one record, read afresh on every change
    of its kind."""

    BINDINGS = [Binding("y", "copy_record", "ops_ui.copy", id="records.copy")]

    def __init__(self, kind_name: str, record_id: Any, classes: str = "", **kwargs: Any):
        super().__init__(classes=f"shows-records record-view {classes}".strip(), **kwargs)
        self.kind = kind(kind_name)
        self.record_id = record_id
        self.record: Any = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="record-body", can_focus=True):
            yield Static("", classes="record-fields")

    def on_mount(self) -> None:
        self.records_changed()

    def focus_main(self) -> None:
        self.query_one(".record-body").focus()

    def shows(self, kind_names: Iterable[str]) -> bool:
        return self.kind.name in kind_names

    def records_changed(self) -> None:
        fields = self.query_one(".record-fields", Static)
        try:
            self.record = self.kind.get(self.app.user, self.record_id)
        except CrmError as error:
            self.record = None
            fields.update(Text(str(error)))
            return
        fields.update(record_text(self.kind, self.record))
        if self.kind.heading is not None:
            self.screen_heading(self.kind.heading(self.record))

    def action_copy_record(self) -> None:
        """The record's fields and sections, as shown, to the clipboard."""
        copy_text(self.app, record_text(self.kind, self.record).plain if self.record else "")

    def screen_heading(self, text: str) -> None:
        for title in self.screen.query(".record-heading"):
            title.update(Text(plain(text)))


class RecordScreen(ActionHost, Screen):
    """One record: its heading, fields and sections, and below them the
    list of its child records when the kind has one (an opportunity's
    plan). Closes when the record is gone."""

    def __init__(self, kind_name: str, record_id: Any):
        record_kind = kind(kind_name)
        super().__init__(classes="with-children" if record_kind.child else None)
        self.kind = record_kind
        self.record_id = record_id
        self.child = kind(self.kind.child) if self.kind.child else None
        self.bind_actions([self.child] if self.child else [], row_only=[self.kind])
        if self.kind.documents is not None:
            self._bindings.key_to_bindings.setdefault("f", []).append(
                Binding("f", "documents", "records.documents", id="records.documents"))
        if self.kind.mail_file is not None:
            self._bindings.key_to_bindings.setdefault("m", []).append(
                Binding("m", "mail_file", "records.mail_file", id="records.mail_file"))

    def compose(self) -> ComposeResult:
        yield Static("", classes="screen-title record-heading")
        yield RecordView(self.kind.name, self.record_id)
        if self.child is not None:
            yield Static(t(self.child.title, state=""), classes="section-title")
            yield RecordTable(self.child, self.app.user, parent_id=self.record_id)
        yield CrmFooter()

    def on_mount(self) -> None:
        if self.child is not None:
            self.query_one(RecordTable).focus()
        else:
            self.query_one(RecordView).focus_main()
        self.refresh_allowed()

    @property
    def table(self) -> RecordTable:
        """The list of child records."""
        return self.query_one(RecordTable)

    def targets(self) -> list[Target]:
        targets = [Target(self.kind, self.record_id, own_screen=True)]
        if self.child is not None:
            targets.append(Target(self.child, self.table.current_row_id, self.record_id))
        return targets

    def after_action(self, record_kind: RecordKind, action: Action, record: Any) -> None:
        super().after_action(record_kind, action, record)
        if action.leaves and record_kind is self.kind:
            self.dismiss()
            return
        self.refresh_allowed()

    def action_documents(self) -> None:
        """The record's documents, on a screen of their own."""
        record = self.query_one(RecordView).record
        if record is None or self.kind.documents is None:
            return
        # Imported when first used: most record screens never open it.
        from crm_tui.screens.documents import RecordDocumentsScreen

        customer_id, contract_id = self.kind.documents(record)
        heading = self.kind.heading(record) if self.kind.heading else ""
        self.app.push_screen(RecordDocumentsScreen(customer_id, contract_id, heading))

    def action_mail_file(self) -> None:
        """Mail the record as a spreadsheet (a sent quote): the file is kept
        as the customer's document and attached to a new mail."""
        try:
            # As the database has it now, not as the view last read it.
            mail_file = self.kind.mail_file(self.kind.get(self.app.user, self.record_id))
        except CrmError as error:
            self.app.notify(str(error), severity="error")
            return
        if mail_file is None:
            self.app.notify(t("records.mail_not_now"), severity="warning")
            return
        if not self.app.config.mail.smtp.host:
            self.app.notify(t("records.no_smtp"), severity="warning")
            return
        # Imported when first used: most record screens never mail.
        from crm_tui.screens.mail import mail_with_file

        mail_with_file(self, mail_file)

    def on_lazy_table_row_chosen(self, message: Any) -> None:
        message.stop()
        if message.row_id is not None and self.child is not None and self.child.opens:
            self.app.push_screen(RecordScreen(self.child.opens, message.row_id))


def shows_records(screen: Screen, kind_names: Sequence[str]) -> list[Any]:
    """The lists and record views on `screen` that show one of the kinds."""
    return [widget for widget in screen.query(".shows-records") if widget.shows(kind_names)]


__all__ = ["ActionHost", "RecordListScreen", "RecordPane", "RecordScreen", "RecordTable",
           "RecordView", "shows_records"]

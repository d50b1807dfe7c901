"""Saved views of a list (crm_tui.models.views): the menu of a list's views
(`v`), saving the list as a view, and choosing its columns.

    ViewsMenu(kind, user)      the views of a list; Enter opens one, d deletes,
                               p publishes (administrators); and the entries
                               "save this list as a view" and "choose the columns"
    ColumnChooser(columns, shown)   which columns show, in which order
"""
from __future__ import annotations

from typing import Any, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import OptionList, SelectionList, Static
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from crm_tui.i18n import t
from crm_tui.models import permissions as perm
from crm_tui.models.errors import CrmError
from crm_tui.models.kinds import Column
from crm_tui.models.validation import Field
from crm_tui.models.views import NAME_LENGTH, SavedView
from crm_tui.plain_text import plain
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.footer import CrmFooter

SAVE, COLUMNS = "save", "columns"

# The module lists that views are kept for: their kind, and the module key
# (crm_tui.screens.MODULES) whose rights open them.
VIEW_MODULES = {"customer": "customers", "opportunity": "opportunities",
                "contract": "contracts", "quote": "quotes", "service": "services",
                "service_archive": "service_archive", "churn_alert": "churn"}

VIEW_FIELDS = (
    Field("name", "views.name", required=True, max_length=NAME_LENGTH),
    Field("filter_text", "views.filter", max_length=500),
)


def list_screen(kind_name: str, view_id: Any = None) -> Any:
    """The module list of `kind_name`, showing saved view `view_id`."""
    if kind_name == "customer":
        from crm_tui.screens.customers import CustomerListScreen

        return CustomerListScreen(view_id=view_id)
    from crm_tui.screens.records import RecordListScreen

    return RecordListScreen(kind_name, view_id=view_id)


def palette_views(user: Any, allowed_modules: set[str]) -> list[tuple[int, str, str]]:
    """(id, kind, name) of the views `user` may open from the palette: those
    of the lists whose module the user may open."""
    return [(view.id, view.kind, view.name) for view in SavedView.usable_by(user)
            if VIEW_MODULES.get(view.kind) in allowed_modules]


def view_label(view: SavedView) -> str:
    return view.name + (" " + t("views.shared_mark") if view.shared else "")


class ViewsMenu(ModalScreen[tuple[str, Any] | None]):
    """A list's saved views and what can be done with them. Dismisses with
    ("open", view id), ("save", None) or ("columns", None); deleting and
    publishing happen here."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "help.close", id="views.close"),
        Binding("d", "delete", "views.delete", id="views.delete"),
        Binding("p", "publish", "views.publish", id="views.publish"),
    ]

    def __init__(self, kind_name: str, user: Any):
        super().__init__()
        self.kind_name = kind_name
        self.user = user
        self.views: dict[str, SavedView] = {}

    def compose(self) -> ComposeResult:
        yield Static(t("views.title"), classes="form-title")
        yield OptionList(id="views-menu")
        yield Static(t("views.open_hint"), classes="lazy-table-status")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.show_views()
        self.query_one(OptionList).focus()

    def show_views(self) -> None:
        menu = self.query_one(OptionList)
        highlighted = menu.highlighted
        menu.clear_options()
        menu.add_options([Option(t("views.save"), id=SAVE), Option(t("views.columns"), id=COLUMNS)])
        self.views = {f"view-{view.id}": view
                      for view in SavedView.usable_by(self.user, self.kind_name)}
        menu.add_options([Option(Text(plain(view_label(view))), id=option_id)
                          for option_id, view in self.views.items()])
        menu.highlighted = min(highlighted or 0, menu.option_count - 1)
        self.refresh_bindings()

    def current_view(self) -> SavedView | None:
        menu = self.query_one(OptionList)
        if menu.highlighted is None:
            return None
        return self.views.get(menu.get_option_at_index(menu.highlighted).id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("delete", "publish") and self.is_mounted:
            view = self.current_view()
            if view is None:
                return False
            if action == "publish" and not self.user.has_perm(perm.VIEW_PUBLISH):
                return False
        return True

    def on_option_list_option_highlighted(self, _event: OptionList.OptionHighlighted) -> None:
        self.refresh_bindings()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id in (SAVE, COLUMNS):
            self.dismiss((event.option.id, None))
        elif event.option.id in self.views:
            self.dismiss(("open", self.views[event.option.id].id))

    def action_delete(self) -> None:
        view = self.current_view()
        if view is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_model(lambda: view.delete_by(self.user),
                               t("views.deleted", name=view.name))
        self.app.push_screen(ConfirmModal(t("views.delete_question", name=view.name)), answered)

    def action_publish(self) -> None:
        view = self.current_view()
        if view is None:
            return
        done = t("views.unpublished" if view.shared else "views.published", name=view.name)
        self.run_model(lambda: view.publish_by(self.user, not view.shared), done)

    def run_model(self, change: Any, done: str) -> None:
        try:
            change()
        except CrmError as error:
            self.app.notify(str(error), severity="error")
        else:
            self.app.notify(done)
        self.show_views()


class ColumnChooser(ModalScreen[list[str] | None]):
    """Which of a list's columns show, and in which order: space shows or
    hides the column under the cursor, + and - move it; Enter applies."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "form.cancel", id="columns.cancel"),
        Binding("enter", "apply", "views.apply", id="columns.apply", priority=True),
        Binding("minus", "move(-1)", "views.move_up", id="columns.up"),
        Binding("plus", "move(1)", "views.move_down", id="columns.down"),
    ]

    def __init__(self, columns: Sequence[Column], shown: Sequence[str]):
        super().__init__()
        by_key = {column.key: column for column in columns}
        shown = [key for key in shown if key in by_key]
        # The shown ones first, in their order, then the hidden ones.
        self.order = shown + [column.key for column in columns if column.key not in shown]
        self.labels = {column.key: t(column.label_key) for column in columns}
        self.shown = set(shown)

    def compose(self) -> ComposeResult:
        yield Static(t("views.columns_title"), classes="form-title")
        yield SelectionList[str](*self._selections(), id="columns-list")
        yield CrmFooter()

    def _selections(self) -> list[Selection]:
        return [Selection(self.labels[key], key, key in self.shown) for key in self.order]

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def chosen(self) -> list[str]:
        selected = set(self.query_one(SelectionList).selected)
        return [key for key in self.order if key in selected]

    def action_move(self, step: int) -> None:
        selection_list = self.query_one(SelectionList)
        index = selection_list.highlighted
        if index is None or not 0 <= index + step < len(self.order):
            return
        self.shown = set(selection_list.selected)
        self.order[index], self.order[index + step] = self.order[index + step], self.order[index]
        selection_list.clear_options()
        selection_list.add_options(self._selections())
        selection_list.highlighted = index + step

    def action_apply(self) -> None:
        chosen = self.chosen()
        if not chosen:
            self.app.notify(t("views.columns_none"), severity="error")
            return
        self.dismiss(chosen)


__all__ = ["ColumnChooser", "VIEW_FIELDS", "VIEW_MODULES", "ViewsMenu", "list_screen",
           "palette_views"]

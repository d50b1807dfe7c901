"""A customer's organisation (M14) as a tab of the customer screen: the
department tree with each department's people, the people placed nowhere
yet, and below the tree the moves of the person under the cursor (or the
path of the department).

The keys are the actions of the record kinds "department" (add, sub-
department, rename, move, delete) and "org_contact" (move a person): the
node under the cursor is their record.
"""
from __future__ import annotations

from typing import Any, Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from crm_tui.i18n import t
from crm_tui.models.errors import CrmError
from crm_tui.models.kinds import kind
from crm_tui.models.organisation import (OrgNode, department_paths, move_text, moves_of_contact,
                                         organisation_of)
from crm_tui.plain_text import plain
from crm_tui.screens.records import ActionHost, Target

# The moves shown under the tree; the audit log keeps them all.
MOVES_SHOWN = 4
UNPLACED = ("unplaced", 0)


class OrganisationPane(ActionHost, Widget):
    def __init__(self, customer_id: int):
        super().__init__(classes="customer-pane shows-records organisation-pane")
        self.customer_id = customer_id
        self.departments = kind("department")
        self.people = kind("org_contact")
        self.bind_actions([self.departments, self.people])

    def compose(self) -> ComposeResult:
        tree: Tree[tuple[str, int]] = Tree(Text(""), id="organisation-tree")
        tree.show_root = False
        yield tree
        yield Static("", id="organisation-detail")

    def on_mount(self) -> None:
        self.records_changed()

    @property
    def tree(self) -> Tree:
        return self.query_one(Tree)

    def focus_main(self) -> None:
        self.tree.focus()

    # ----- what the keys act on -----------------------------------------
    def selected(self) -> tuple[str, int] | None:
        node = self.tree.cursor_node
        return node.data if node is not None else None

    def targets(self) -> list[Target]:
        selected = self.selected() or ("", None)
        department_id = selected[1] if selected[0] == "department" else None
        contact_id = selected[1] if selected[0] == "contact" else None
        return [Target(self.departments, department_id, self.customer_id),
                Target(self.people, contact_id, self.customer_id)]

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        self.refresh_allowed()
        self.show_detail()

    # ----- showing ------------------------------------------------------
    def shows(self, kind_names: Iterable[str]) -> bool:
        return bool({"department", "org_contact", "contact"} & set(kind_names))

    def records_changed(self) -> None:
        """Read the tree again, keeping the cursor on the same node."""
        keep = self.selected()
        tree = self.tree
        tree.clear()
        try:
            tops, unplaced = organisation_of(self.app.user, self.customer_id)
        except CrmError as error:
            self.query_one("#organisation-detail", Static).update(Text(str(error)))
            return
        for node in tops:
            self._add(tree.root, node)
        if unplaced:
            group = tree.root.add(Text(t("department.unplaced"), style="italic"),
                                  data=UNPLACED, expand=True)
            for person in unplaced:
                self._add(group, person)
        if not tops and not unplaced:
            tree.root.add_leaf(Text(t("department.empty"), style="italic"), data=UNPLACED)
        self.call_after_refresh(self._restore_cursor, keep)

    def _add(self, parent: TreeNode, node: OrgNode) -> None:
        label = Text(plain(node.label), style="bold" if node.kind == "department" else "")
        if node.kind == "contact":
            parent.add_leaf(label, data=("contact", node.id))
            return
        branch = parent.add(label, data=("department", node.id), expand=True)
        for child in node.children:
            self._add(branch, child)

    def _restore_cursor(self, keep: tuple[str, int] | None) -> None:
        tree = self.tree
        if keep is not None:
            for line in range(tree.last_line + 1):
                node = tree.get_node_at_line(line)
                if node is not None and node.data == keep:
                    tree.cursor_line = line
                    break
        if tree.cursor_line < 0 and tree.last_line >= 0:
            tree.cursor_line = 0
        self.refresh_allowed()
        self.show_detail()

    def show_detail(self) -> None:
        detail = self.query_one("#organisation-detail", Static)
        selected = self.selected()
        if selected is None or selected == UNPLACED:
            detail.update("")
            return
        node_kind, node_id = selected
        if node_kind == "department":
            path = department_paths(self.customer_id).get(node_id, "")
            detail.update(Text(t("department.path", path=plain(path))))
            return
        try:
            moves = moves_of_contact(self.app.user, node_id)
        except CrmError as error:
            detail.update(Text(str(error)))
            return
        node = self.tree.cursor_node
        text = Text(t("department.history", name=plain(str(node.label))) + "\n", style="bold")
        if not moves:
            text.append(t("department.no_moves"), style="")
        text.append("\n".join(plain(move_text(move)) for move in moves[:MOVES_SHOWN]),
                    style="")
        detail.update(text)

    def after_action(self, record_kind: Any, action: Any, record: Any) -> None:
        super().after_action(record_kind, action, record)
        self.refresh_allowed()


__all__ = ["OrganisationPane"]

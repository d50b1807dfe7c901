"""Undo from the keyboard: Ctrl+Z anywhere undoes the user's own last
change, z in the audit log the change of the row under the cursor (the
administrator's). The question names the change first; the refusal, when
there is one, says why (models/undo.py decides)."""
from __future__ import annotations

from typing import Any

from crm_tui.i18n import t
from crm_tui.models.errors import CrmError, NotFound
from crm_tui.models.kinds import KINDS, kind
from crm_tui.models.undo import Change, check_undoable, last_change, undo_by
from crm_tui.widgets.confirm import ConfirmModal


def ask_undo_last(app: Any) -> None:
    """Ctrl+Z: the user's last change, asked about and undone."""
    change = last_change(app.user)
    if change is None:
        app.notify(t("undo.error.nothing"), severity="warning")
        return
    ask_undo(app, change)


def ask_undo_row(app: Any, audit_id: Any, after: Any = None) -> None:
    """z in the audit log: the change the row belongs to."""
    try:
        change = Change.of(audit_id)
    except NotFound as error:
        app.notify(str(error), severity="error")
        return
    ask_undo(app, change, after)


def ask_undo(app: Any, change: Change, after: Any = None) -> None:
    try:
        check_undoable(change, app.user)
    except CrmError as error:
        app.notify(str(error), severity="error")
        return

    def answered(yes: bool | None) -> None:
        if yes:
            run_undo(app, change)
            if after is not None:
                after()
    app.push_screen(ConfirmModal(t("undo.question", change=change.text())), answered)


def run_undo(app: Any, change: Change) -> None:
    try:
        undo_by(app.user, change.first.id)
    except CrmError as error:
        app.notify(str(error), severity="error")
        return
    app.notify(t("undo.done", change=change.text()))
    kinds = [change.table]
    kind("customer")  # every kind declared
    if change.table in KINDS:
        kinds.extend(kind(change.table).changes)
    app.records_changed(*kinds)


__all__ = ["ask_undo", "ask_undo_last", "ask_undo_row"]

"""Shared widgets: the lazy list, the form modal, the confirmation modal.

Imported on first use (PEP 562), so that a screen needing one widget, such
as the login screen needing `connection`, does not load them all at start.
"""
from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "ConfirmModal": "crm_tui.widgets.confirm",
    "FormModal": "crm_tui.widgets.forms",
    "Column": "crm_tui.widgets.lazy_table",
    "LazyTable": "crm_tui.widgets.lazy_table",
    "QuerySource": "crm_tui.widgets.lazy_table",
}

__all__ = ["Column", "ConfirmModal", "FormModal", "LazyTable", "QuerySource"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)

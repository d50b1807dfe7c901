"""Shared widgets: the lazy list, the form modal, the confirmation modal."""
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.lazy_table import Column, LazyTable, QuerySource

__all__ = ["Column", "ConfirmModal", "FormModal", "LazyTable", "QuerySource"]

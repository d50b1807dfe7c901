"""The module screens: one registry for the home menu and the command palette.

Each entry of MODULES names a screen the user can open: a key, the i18n key
of its label, a callable returning a new Screen, and the permission needed
to see it (None: every signed-in user). Add your module's entry here; import
its screen inside the callable (`screen("crm_tui.screens.x", "XScreen")`) so
that starting the app does not import every module.

Module screens are pushed on top of the home screen; Escape goes back.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from textual.screen import Screen

from crm_tui.models import permissions as perm


@dataclass(frozen=True)
class Module:
    key: str
    label_key: str
    screen: Callable[[], Screen]
    # None: every signed-in user; a code; or a tuple of codes, any of which opens it.
    permission: str | tuple[str, ...] | None = None

    def allowed(self, granted: set[str]) -> bool:
        if self.permission is None:
            return True
        if isinstance(self.permission, tuple):
            return any(code in granted for code in self.permission)
        return self.permission in granted


def screen(module_path: str, class_name: str, **arguments: Any) -> Callable[[], Screen]:
    """A callable that imports `module_path` and returns `class_name(**arguments)`."""
    def make() -> Screen:
        return getattr(importlib.import_module(module_path), class_name)(**arguments)
    return make


def records(kind_name: str) -> Callable[[], Screen]:
    """A callable making the list screen of record kind `kind_name`."""
    return screen("crm_tui.screens.records", "RecordListScreen", kind_name=kind_name)


# In the order of the day's work; the home menu numbers the ones a user may
# open in this order (the sales system's look-ups and administration last).
MODULES: list[Module] = [
    Module("customers", "module.customers",
           screen("crm_tui.screens.customers", "CustomerListScreen"), perm.CUSTOMER_VIEW),
    # Open to every role: each list is scoped by the model (an account
    # manager sees own opportunities and services, supervisors and
    # executives all, a role without any of these rights none).
    Module("opportunities", "module.opportunities", records("opportunity")),
    # The opportunities as a board: scoped like their list, open to every role.
    Module("board", "module.board", screen("crm_tui.screens.board", "BoardScreen")),
    Module("contracts", "module.contracts", records("contract"),
           (perm.CONTRACT_CREATE, perm.CONTRACT_VIEW_ALL)),
    Module("quotes", "module.quotes", records("quote"), (perm.QUOTE_CREATE, perm.QUOTE_VIEW_ALL)),
    Module("campaigns", "module.campaigns", records("campaign"), perm.CAMPAIGN_VIEW),
    Module("leads", "module.leads", records("lead"), (perm.LEAD_CREATE, perm.LEAD_VIEW_ALL)),
    Module("services", "module.services", records("service")),
    Module("service_archive", "module.service_archive", records("service_archive")),
    # Managers see their customers' alerts (churn.act), others all of them.
    Module("churn", "module.churn", records("churn_alert"),
           (perm.CHURN_ACT, perm.CHURN_VIEW_ALL)),
    Module("interactions", "module.interactions",
           screen("crm_tui.screens.interactions", "InteractionSearchScreen"), perm.CUSTOMER_VIEW),
    # Fetching and filing mail writes interactions: users who edit customers.
    Module("mail", "mail.module",
           screen("crm_tui.screens.mail", "UnmatchedMailScreen"), perm.CUSTOMER_EDIT),
    Module("surveys", "module.surveys", screen("crm_tui.screens.surveys", "SurveyListScreen"),
           (perm.SURVEY_MANAGE, perm.SURVEY_VIEW_ALL, perm.SURVEY_ANSWER)),
    Module("survey_follow_ups", "module.survey_follow_ups", records("survey_follow_up"),
           (perm.SURVEY_ANSWER, perm.SURVEY_VIEW_ALL)),
    Module("reports", "module.reports",
           screen("crm_tui.screens.reports", "ReportsScreen"), perm.REPORT_VIEW),
    # Set by supervisors; an account manager reads their own.
    Module("targets", "module.targets", records("target"), (perm.TARGET_SET, perm.REPORT_VIEW)),
    Module("products", "module.products",
           screen("crm_tui.screens.products", "ProductScreen"), perm.ORDER_VIEW),
    Module("stock", "module.stock",
           screen("crm_tui.screens.products", "StockScreen"), perm.ORDER_VIEW),
    Module("dictionary", "module.dictionary",
           screen("crm_tui.screens.dictionary", "DictionaryScreen"), perm.DICTIONARY_MANAGE),
    Module("admin", "module.admin",
           screen("crm_tui.screens.admin", "AdminScreen"), perm.USER_MANAGE),
    Module("audit", "module.audit",
           screen("crm_tui.screens.audit", "AuditScreen"), perm.AUDIT_VIEW),
    # Last, so that the keys people learnt for the modules above stay; the
    # home screen also opens the agenda with "t" (today).
    Module("agenda", "module.agenda", screen("crm_tui.screens.agenda", "AgendaScreen")),
]


def modules_for(granted: set[str]) -> list[Module]:
    """The modules a user with these permission codes may open, in menu order."""
    return [module for module in MODULES if module.allowed(granted)]


def customer_screen(customer: Any) -> Screen:
    """The screen that shows one customer (opened from the command palette)."""
    from crm_tui.screens.customer_detail import CustomerDetailScreen

    return CustomerDetailScreen(customer.id)


__all__ = ["MODULES", "Module", "customer_screen", "modules_for", "screen"]

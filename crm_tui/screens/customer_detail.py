"""One customer (客户信息): tabs for its information, contacts, interactions,
orders, and whatever other modules add.

A tab is a `DetailTab` in `DETAIL_TABS`: a key, the i18n key of its label, a
callable making the pane for a customer id, and the permission it needs.
Records of a kind that belongs to a customer get their tab with one entry
(`record_pane("kind")`); another pane is a widget taking `customer_id`
(see `pane()`). Each pane's keys are its kind's actions; the number keys
switch tabs.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from crm_tui.i18n import t
from crm_tui.models import permissions as perm
from crm_tui.screens.records import ActionHost, RecordPane, RecordView, Target
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.tabs import fit_tab_labels

# 1-9, then 0 for the tenth tab; [ and ] step to the tabs before and after.
TAB_KEYS = "1234567890"


@dataclass(frozen=True)
class DetailTab:
    key: str
    label_key: str
    pane: Callable[[int], Widget]
    permission: str | None = None


def pane(module_path: str, class_name: str) -> Callable[[int], Widget]:
    """A callable that imports `module_path` and makes `class_name(customer_id=...)`."""
    def make(customer_id: int) -> Widget:
        return getattr(importlib.import_module(module_path), class_name)(customer_id=customer_id)
    return make


def record_pane(kind_name: str) -> Callable[[int], Widget]:
    """A callable making the pane of a customer's records of `kind_name`."""
    def make(customer_id: int) -> Widget:
        return RecordPane(kind_name, customer_id)
    return make


DETAIL_TABS: list[DetailTab] = [
    DetailTab("information", "customer.tab.information",
              pane("crm_tui.screens.customer_detail", "CustomerInformationPane")),
    DetailTab("contacts", "customer.tab.contacts",
              pane("crm_tui.screens.customer_detail", "ContactsPane")),
    DetailTab("interactions", "customer.tab.interactions", record_pane("interaction")),
    DetailTab("orders", "customer.tab.orders",
              pane("crm_tui.screens.orders", "CustomerOrdersPane"), perm.ORDER_VIEW),
    DetailTab("services", "module.services", record_pane("service")),
    DetailTab("contracts", "customer.tab.contracts", record_pane("contract")),
    DetailTab("quotes", "customer.tab.quotes", record_pane("quote")),
    DetailTab("mail", "mail.module", pane("crm_tui.screens.mail", "CustomerMailPane")),
    DetailTab("documents", "documents.module",
              pane("crm_tui.screens.documents", "CustomerDocumentsPane")),
    DetailTab("timeline", "customer.tab.timeline",
              pane("crm_tui.screens.timeline", "TimelinePane")),
    DetailTab("organisation", "customer.tab.organisation",
              pane("crm_tui.screens.organisation", "OrganisationPane")),
]


class CustomerInformationPane(ActionHost, RecordView):
    """The customer's fields, with the customer's own actions (edit,
    delete); the screen closes once the customer is deleted."""

    def __init__(self, customer_id: int):
        super().__init__("customer", customer_id, classes="customer-information")
        self.bind_actions([], row_only=[self.kind])

    def on_mount(self) -> None:
        super().on_mount()
        self.refresh_allowed()

    def targets(self) -> list[Target]:
        return [Target(self.kind, self.record_id, own_screen=True)]

    def records_changed(self) -> None:
        super().records_changed()
        self.refresh_allowed()

    def after_action(self, record_kind, action, record) -> None:
        super().after_action(record_kind, action, record)
        if action.leaves:
            self.screen.dismiss(True)


class ContactsPane(RecordPane):
    """The customer's contacts; m writes to the one under the cursor (the
    mail is recorded as an interaction)."""

    BINDINGS = [Binding("m", "mail", "contact.mail", id="contacts.mail")]

    def __init__(self, customer_id: int):
        super().__init__("contact", customer_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "mail":
            return (self.app.user is not None and self.app.user.has_perm(perm.CUSTOMER_EDIT)
                    and self.table.current_row_id is not None)
        return super().check_action(action, parameters)

    def action_mail(self) -> None:
        from crm_tui.models.customers import Contact
        from crm_tui.screens.mail import open_compose

        contact = Contact.get_or_none(Contact.id == self.table.current_row_id)
        if contact is not None:
            open_compose(self, self.parent_id, contact)


# ----- the screen ----------------------------------------------------------

class CustomerDetailScreen(Screen):
    """A customer's tabs. Dismisses with True when the customer was deleted."""

    BINDINGS = [*(Binding(key, f"tab({position})", t("customer.tab_number", number=key),
                          show=False, id=f"customer.tab_{key}")
                  for position, key in enumerate(TAB_KEYS)),
                Binding("left_square_bracket", "step_tab(-1)", "customer.tab_before",
                        show=False, id="customer.tab_before"),
                Binding("right_square_bracket", "step_tab(1)", "customer.tab_after",
                        show=False, id="customer.tab_after")]

    def __init__(self, customer_id: int):
        super().__init__()
        self.customer_id = customer_id
        # Pane id -> the tab's whole label (shortened to fit when needed).
        self.tab_labels: dict[str, str] = {}

    def tabs(self) -> list[DetailTab]:
        granted = self.app.permissions()
        return [tab for tab in DETAIL_TABS if tab.permission is None or tab.permission in granted]

    def compose(self) -> ComposeResult:
        yield Static("", id="customer-title", classes="screen-title record-heading")
        with TabbedContent(id="customer-tabs"):
            for position, tab in enumerate(self.tabs()):
                number = TAB_KEYS[position] if position < len(TAB_KEYS) else ""
                self.tab_labels[f"tab-{tab.key}"] = f"{number} {t(tab.label_key)}".strip()
                with TabPane(self.tab_labels[f"tab-{tab.key}"], id=f"tab-{tab.key}"):
                    yield tab.pane(self.customer_id)
        yield CrmFooter()

    def on_mount(self) -> None:
        self.call_after_refresh(self._focus_active)
        self.call_after_refresh(self._fit_tabs)

    def on_resize(self) -> None:
        self._fit_tabs()

    def on_tabbed_content_tab_activated(self) -> None:
        self._fit_tabs()

    def _fit_tabs(self) -> None:
        fit_tab_labels(self.query_one(TabbedContent), self.tab_labels)

    def action_tab(self, position: int) -> None:
        tabs = self.tabs()
        if position >= len(tabs):
            return
        self.query_one(TabbedContent).active = f"tab-{tabs[position].key}"
        # At once, so a key typed right after the tab's number reaches the tab.
        self._focus_active()

    def action_step_tab(self, delta: int) -> None:
        """The tab before or after the one shown (the tabs past the tenth have no number)."""
        keys = [tab.key for tab in self.tabs()]
        active = self.query_one(TabbedContent).active.removeprefix("tab-")
        self.action_tab((keys.index(active) + delta) % len(keys))

    def _focus_active(self) -> None:
        tabbed = self.query_one(TabbedContent)
        active = tabbed.active_pane
        if active is None:
            return
        # Focus the tab's first focusable widget at once: Widget.focus()
        # waits its turn, and a key typed right after the tab's number (2 n)
        # must already reach the new tab. Then the pane's own choice.
        first = next((widget for widget in self.focus_chain if active in widget.ancestors), None)
        if first is not None:
            self.set_focus(first)
        for child in active.children:
            focus_main = getattr(child, "focus_main", None)
            if focus_main is not None:
                focus_main()
                return

    def active_tab_key(self) -> str:
        return self.query_one(TabbedContent).active.removeprefix("tab-")


__all__ = ["DETAIL_TABS", "CustomerDetailScreen", "DetailTab", "pane", "record_pane"]

"""A customer's tab (a pane of the customer screen) shown on a screen of its
own, under a title naming the customer."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from crm_tui.i18n import t
from crm_tui.models.customers import Customer
from crm_tui.models.errors import CrmError
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.plain import PlainStatic


class CustomerPaneScreen(Screen):
    """Subclasses name the pane (built with the customer's id, it has
    `focus_main()`), the title's id and its text key (given `customer`)."""

    pane_class: type[Widget]
    heading_id: str
    heading_key: str

    def __init__(self, customer_id: int):
        super().__init__()
        self.customer_id = customer_id

    def compose(self) -> ComposeResult:
        yield PlainStatic("", id=self.heading_id, classes="screen-title")
        yield self.pane_class(self.customer_id)
        yield CrmFooter()

    def on_mount(self) -> None:
        try:
            customer = Customer.get_visible(self.app.user, self.customer_id)
        except CrmError as error:
            self.app.notify(str(error), severity="error")
            return
        self.query_one(f"#{self.heading_id}", Static).update(
            t(self.heading_key, customer=customer.name))
        self.query_one(self.pane_class).focus_main()

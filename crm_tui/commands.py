"""The command palette (ctrl+p): module screens, own password, customers by name.

Customers are looked up in the database with the signed-in user's scope
(`Customer.visible_to`), so the palette never names a customer the user may
not see.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider

from crm_tui.i18n import t
from crm_tui.models.customers import Customer
from crm_tui.models.users import User
from crm_tui.widgets.connection import in_thread

CUSTOMER_HITS = 10


def find_customers(user: User, text: str, limit: int = CUSTOMER_HITS) -> list[Customer]:
    """Customers visible to `user` whose name or number contains `text`."""
    text = text.strip()
    if not text:
        return []
    return list(Customer.visible_to(user)
                .where(Customer.name.contains(text) | Customer.number.contains(text))
                .order_by(Customer.name).limit(limit))


class CrmCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, Any, str]]:
        """(label, what to call, help) for the screens this user may open."""
        app: Any = self.app
        if getattr(app, "user", None) is None or app.locked:
            return
        for module in app.allowed_modules():
            yield t(module.label_key), partial(app.open_module, module), t("palette.screen")
        yield t("palette.change_password"), app.change_password, t("palette.action")

    async def discover(self) -> Hits:
        for label, command, help_text in self._commands():
            yield DiscoveryHit(label, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, command, help_text in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), command, text=label, help=help_text)
        app: Any = self.app
        if getattr(app, "user", None) is None or app.locked:
            return
        for customer in await in_thread(find_customers, app.user, query):
            # The database matched the text; the fuzzy score only orders the hits.
            score = max(matcher.match(customer.name), 0.5)
            yield Hit(score, matcher.highlight(customer.name), partial(app.open_customer, customer),
                      text=customer.name, help=t("palette.customer", number=customer.number))

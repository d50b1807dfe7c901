"""The command palette (ctrl+p): module screens, own password, saved views
of lists, customers by name, and the records of every kind that can be
found (contracts by number and title).

Customers are looked up in the database with the signed-in user's scope
(`Customer.visible_to`), so the palette never names a customer the user may
not see.
"""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider

from crm_tui.i18n import LOCALES, current_locale, t
from crm_tui.models.users import User
from crm_tui.widgets.connection import in_thread

if TYPE_CHECKING:
    from crm_tui.models.customers import Customer

CUSTOMER_HITS = 10


def find_customers(user: User, text: str, limit: int = CUSTOMER_HITS) -> list[Customer]:
    """Customers visible to `user` whose name or number contains `text`."""
    from crm_tui.models.customers import Customer  # the palette's first search, not the start

    text = text.strip()
    if not text:
        return []
    return list(Customer.visible_to(user)
                .where(Customer.name.contains(text) | Customer.number.contains(text))
                .order_by(Customer.name).limit(limit))


def find_records(user: User, text: str, limit: int = CUSTOMER_HITS) -> list[tuple]:
    """(kind, id, label, help) of records of the kinds the palette searches."""
    from crm_tui.models.kinds import all_kinds  # every model module: not at start

    found = []
    for record_kind in all_kinds():
        if record_kind.find is not None:
            found += [(record_kind.opens, record_id, label, help_text)
                      for record_id, label, help_text in record_kind.find(user, text, limit)]
    return found


def kind_title(kind_name: str) -> str:
    """A list's name for the palette: its title without the state part."""
    from crm_tui.models.kinds import kind

    return t(kind(kind_name).title, state="").strip(" :：·-–（）()")


class CrmCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, Any, str]]:
        """(label, what to call, help) for the screens this user may open."""
        app: Any = self.app
        if getattr(app, "user", None) is None or app.locked:
            return
        for module in app.allowed_modules():
            yield t(module.label_key), partial(app.open_module, module), t("palette.screen")
        yield t("palette.change_password"), app.change_password, t("palette.action")
        yield t("ops_ui.palette.sign_out"), app.sign_out, t("palette.action")
        for locale in LOCALES:
            if locale != current_locale():
                yield (t("ops_ui.palette.language", language=t(f"ops_ui.language.{locale}")),
                       partial(app.choose_locale, locale), t("palette.action"))

    async def discover(self) -> Hits:
        for label, command, help_text in self._commands():
            yield DiscoveryHit(label, command, help=help_text)
        app: Any = self.app
        if getattr(app, "user", None) is None or app.locked:
            return
        for view_id, kind_name, name in await in_thread(app.saved_views):
            yield DiscoveryHit(name, partial(app.open_view, kind_name, view_id),
                               help=t("views.palette", list=kind_title(kind_name)))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, command, help_text in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), command, text=label, help=help_text)
        app: Any = self.app
        if getattr(app, "user", None) is None or app.locked:
            return
        for view_id, kind_name, name in await in_thread(app.saved_views):
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name),
                          partial(app.open_view, kind_name, view_id),
                          text=name, help=t("views.palette", list=kind_title(kind_name)))
        for hit in await in_thread(find_records, app.user, query):
            kind_name, record_id, label, help_text = hit
            yield Hit(max(matcher.match(label), 0.5), matcher.highlight(label),
                      partial(app.open_record, kind_name, record_id), text=label, help=help_text)
        for customer in await in_thread(find_customers, app.user, query):
            # The database matched the text; the fuzzy score only orders the hits.
            score = max(matcher.match(customer.name), 0.5)
            yield Hit(score, matcher.highlight(customer.name), partial(app.open_customer, customer),
                      text=customer.name, help=t("palette.customer", number=customer.number))

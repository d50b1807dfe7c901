"""The home screen (M9): the user's own figures and the menu of modules."""
from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from crm_tui.i18n import t
from crm_tui.models.home import HomeFigures, home_figures
from crm_tui.screens import MODULES
from crm_tui.widgets.connection import in_thread
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.plain import PlainStatic

FIGURES = (
    ("agenda", "home.agenda"),
    ("customers", "home.customers"),
    ("open_opportunities", "home.open_opportunities"),
    ("services_waiting", "home.services_waiting"),
    ("open_churn_alerts", "home.open_churn_alerts"),
    ("month_order_amount", "home.month_order_amount"),
    ("contracts_to_approve", "home.contracts_to_approve"),
    ("overdue_instalments", "home.overdue_instalments"),
)
# Digits first, then letters that no other key of this screen uses (p, r, t).
# Digits, then letters the home screen does not use itself (o, p, r, t).
MENU_KEYS = "1234567890abcdefghijklmn"


def menu_key(position: int) -> str:
    """The key of the module at `position` in the registry."""
    return MENU_KEYS[position] if position < len(MENU_KEYS) else " "


# Cells of a figure's value (the .home-figure-value width in app.tcss).
FIGURE_WIDTH = 14


def format_figure(name: str, figures: HomeFigures) -> str:
    value = getattr(figures, name)
    if name == "month_order_amount":
        # A company's month of orders can pass a billion: whole units then,
        # rather than a figure cut off at 80 columns.
        with_cents = f"{value:,.2f}"
        return with_cents if len(with_cents) <= FIGURE_WIDTH else f"{value:,.0f}"
    return str(value)


class HomeScreen(Screen):
    BINDINGS = [
        *[Binding(key, f"open_number({position})", t("home.open_number", number=key), show=False,
                  id=f"home.module_{key}") for position, key in enumerate(MENU_KEYS)],
        Binding("p", "change_password", "home.change_password", id="home.change_password"),
        Binding("r", "refresh", "home.refresh", id="home.refresh"),
        Binding("t", "agenda", "home.agenda_key", id="home.agenda"),
        Binding("o", "sign_out", "ops_ui.sign_out", id="home.sign_out"),
    ]

    def compose(self) -> ComposeResult:
        yield PlainStatic(self._title(), id="home-title", classes="screen-title")
        with Horizontal(classes="home-body"):
            with Vertical(classes="home-figures"):
                yield Static(t("home.figures"), classes="section-title")
                for name, label_key in FIGURES:
                    with Horizontal(classes="home-figure"):
                        yield Static(t(label_key), classes="home-figure-label")
                        yield Static("…", id=f"figure-{name}", classes="home-figure-value")
            with Vertical(classes="home-menu-box"):
                yield Static(t("home.menu"), classes="section-title")
                yield OptionList(*self._menu_options(), id="home-menu")
        yield CrmFooter()

    def _title(self) -> str:
        user = self.app.user
        return t("home.title", name=user.display_name, role=t("role." + user.role.key))

    def _menu_options(self) -> list[Option]:
        # A module keeps its key whatever the role: a module the role lacks
        # leaves a gap, so the keys people learn stay the same.
        allowed = {module.key for module in self.app.allowed_modules()}
        return [Option(f"{menu_key(position)}  {t(module.label_key)}", id=module.key)
                for position, module in enumerate(MODULES) if module.key in allowed]

    def on_mount(self) -> None:
        self.query_one("#home-menu", OptionList).focus()

    def on_screen_resume(self) -> None:
        # Back from a module: the figures may have changed there, and the
        # administrator may have changed the user's role or rights meanwhile.
        if self.app.user is None:
            return  # the session has ended
        self.show_rights()
        self.load_figures()

    def show_rights(self) -> None:
        """The title and menu as the user's role and rights are now."""
        self.query_one("#home-title", Static).update(self._title())
        menu = self.query_one("#home-menu", OptionList)
        highlighted = menu.highlighted
        menu.clear_options()
        menu.add_options(self._menu_options())
        if highlighted is not None and menu.option_count:
            menu.highlighted = min(highlighted, menu.option_count - 1)

    @work(exclusive=True)
    async def load_figures(self) -> None:
        figures = await in_thread(home_figures, self.app.user)
        for name, _label in FIGURES:
            self.query_one(f"#figure-{name}", Static).update(format_figure(name, figures))

    def action_refresh(self) -> None:
        self.show_rights()
        self.load_figures()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A module's key is live (and listed by F1) only for a role that has
        # the module.
        if action == "open_number":
            position = parameters[0] if parameters else None
            return (isinstance(position, int) and position < len(MODULES)
                    and MODULES[position] in self.app.allowed_modules())
        return True

    def action_open_number(self, position: int) -> None:
        if position < len(MODULES):
            self.app.open_module(MODULES[position])

    def action_agenda(self) -> None:
        """Today's agenda, the first thing to look at after the figures."""
        self.app.open_module(next(module for module in MODULES if module.key == "agenda"))

    def action_change_password(self) -> None:
        self.app.change_password()

    def action_sign_out(self) -> None:
        self.app.sign_out()

    @on(OptionList.OptionSelected, "#home-menu")
    def _open_selected(self, event: OptionList.OptionSelected) -> None:
        for module in self.app.allowed_modules():
            if module.key == event.option.id:
                self.app.open_module(module)
                return

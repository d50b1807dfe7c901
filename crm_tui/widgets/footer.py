"""The footer of every screen: the keys that fit, most important first.

Textual's Footer lists the keys from the focused widget outwards and cuts
what does not fit at the right end: at 80 columns that was Escape and the
last actions of a record. This footer orders the keys by importance
(going back, the record's actions, the list's own keys, then the rest),
shows those that fit in the width of the screen, and always keeps the
key that lists every action (F2) and help (F1), so nothing is out of
reach. Descriptions are i18n keys or text, translated when drawn.
"""
from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from crm_tui.i18n import t

# Bindings by id prefix or id, most important first; unlisted ids come
# after the record actions, the widgets' own keys last.
ALWAYS = ("app.back", "records.actions", "app.help", "form.save", "form.cancel")
LAST = ("table.",)


def rank(binding: Binding, position: int) -> tuple[int, int]:
    binding_id = binding.id or ""
    if binding_id in ALWAYS:
        return (0, ALWAYS.index(binding_id))
    if not binding_id or binding_id.startswith(LAST):
        return (3, position)
    if binding_id.startswith("app."):
        return (2, position)
    return (1, position)


def key_width(key_display: str, description: str) -> int:
    # A footer key draws " key description " with a space between.
    return cell_len(key_display) + cell_len(description) + 3


class CrmFooter(Footer):
    """A Footer that keeps the important keys when not all of them fit."""

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        shown: dict[str, tuple[Binding, bool, str]] = {}
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            # The palette's key is hidden from Textual's footer, which draws
            # it apart; here it takes its turn with the others.
            visible = binding.show or binding.id == "app.command_palette"
            if visible and binding.action not in shown:
                shown[binding.action] = (binding, enabled, tooltip)
        ordered = sorted(enumerate(shown.values()), key=lambda item: rank(item[1][0], item[0]))
        room = self.app.size.width - 2
        chosen = []
        for _position, (binding, enabled, tooltip) in ordered:
            description = t(binding.description)
            width = key_width(self.app.get_key_display(binding), description)
            if width > room:
                continue
            room -= width
            chosen.append((binding, enabled, tooltip, description))
        self.styles.grid_size_columns = len(chosen)
        for binding, enabled, tooltip, description in chosen:
            yield FooterKey(binding.key, self.app.get_key_display(binding), description,
                            binding.action, disabled=not enabled,
                            tooltip=tooltip).data_bind(compact=Footer.compact)

    def on_resize(self) -> None:
        self.refresh(recompose=True)

"""Tab labels that fit the width of the screen.

Textual's tab bar scrolls sideways when its labels are wider than the
screen: at 80 columns the customer's ninth tab read "7 Docu", cut with no
sign. Here, when the labels do not all fit, the tabs not in front are
shortened alike, each ending with "…", so that every tab (and its number
key) stays in sight; the tab in front keeps its whole label.
"""
from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import TabbedContent

from crm_tui.widgets.lazy_table import fit

# A tab draws its label with one cell of padding on either side.
TAB_PADDING = 2
# Shortest a shortened label gets: its number, a letter and "…".
SHORTEST = 4


def shortened_labels(labels: list[str], active: int, width: int) -> list[str]:
    """`labels` as they fit in `width` cells with the one at `active` whole."""
    def needed(limit: int) -> int:
        return sum(cell_len(label) if position == active else min(cell_len(label), limit)
                   for position, label in enumerate(labels)) + TAB_PADDING * len(labels)

    longest = max((cell_len(label) for label in labels), default=0)
    limit = longest
    while limit > SHORTEST and needed(limit) > width:
        limit -= 1
    return [label if position == active or cell_len(label) <= limit
            else fit(label, limit).rstrip() for position, label in enumerate(labels)]


def fit_tab_labels(tabbed: TabbedContent, labels: dict[str, str]) -> None:
    """Show the labels of `tabbed`'s panes (pane id -> full label) so that
    they fit its width."""
    width = tabbed.size.width
    if width <= 0:
        return
    pane_ids = list(labels)
    active = pane_ids.index(tabbed.active) if tabbed.active in pane_ids else -1
    for pane_id, label in zip(pane_ids, shortened_labels(list(labels.values()), active, width)):
        tab = tabbed.get_tab(pane_id)
        if str(tab.label) != label:
            tab.label = label

"""A list of choices with a box each, ticked by a symbol, not by colour.

Textual's SelectionList draws every box as `▐X▌` and tells a ticked one
from an empty one by shade alone, which NO_COLOR (and a monochrome
terminal) loses. Here a ticked box holds an X and an empty one a blank,
and in ASCII mode the box is drawn `[X]` / `[ ]`.
"""
from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import SelectionList
from textual.widgets.option_list import OptionDoesNotExist

TICKED, EMPTY = "X", " "


class CheckList(SelectionList):
    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return line
        segments = list(line)
        if len(segments) < 3:
            return line
        left, inner, right = segments[:3]
        mark = TICKED if selection.value in self.selected else EMPTY
        box = [Segment(mark, inner.style)]
        if getattr(self.app, "ascii", False):
            box = [Segment("[", left.style), *box, Segment("]", right.style)]
        else:
            box = [left, *box, right]
        return Strip([*box, *segments[3:]], line.cell_length)

"""One chart for every report: horizontal bars, each labelled beside it.

    普通客户      ████████▍                9
    重点开发客户  ██████████████████▊     19
                  0         10        20

Why this shape: at 80 columns a horizontal bar has the whole width to
show its figure, and its label (Chinese included, measured in terminal
cells) sits beside it instead of being replaced by a number and a legend.
A bar's length is the figure's share of the axis in eighths of a cell
(the block characters ▏▎▍▌▋▊▉█), so 9 and 19 differ by ten cells' worth.
The axis runs from 0 to a round number in round steps, its ticks written
as people write figures (models/figures.py: thousands separators, 万).

`centred=True` draws each bar centred (half-cell resolution, no axis): a
funnel when the figures fall from one bar to the next.

`chart_lines()` draws the text without Textual, so the tests can measure
every bar against its figure; `BarChart` is the widget that shows it.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Sequence

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.widget import Widget

from crm_tui.i18n import t
from crm_tui.models.figures import axis_ticks, figure_text, tick_text, uses_wan
from crm_tui.plain_text import plain

FULL = "█"
# A bar's last cell: 1/8 to 7/8 of a cell, filled from the left.
EIGHTHS = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
LEFT_HALF, RIGHT_HALF = "▌", "▐"
# The label column takes at most this share of the width.
LABEL_SHARE = 4
MIN_LABEL_CELLS = 6
MIN_BAR_CELLS = 8
# About one axis tick per this many cells of bar.
CELLS_PER_TICK = 12

Bar = tuple[str, "Decimal | int | float"]


def _fit(text: str, cells: int) -> str:
    """`text` cut to `cells` terminal cells (with … when cut), padded to them."""
    if cell_len(text) > cells:
        text = set_cell_size(text, max(cells - 1, 0)).rstrip() + "…"
    return set_cell_size(text, cells)


def _number(value: Decimal | int | float) -> Decimal:
    number = Decimal(str(value))
    return number if number > 0 else Decimal(0)


def bar_eighths(value: Decimal | int | float, top: Decimal, cells: int) -> int:
    """The length in eighths of a cell of a bar for `value` on an axis
    from 0 to `top` drawn `cells` wide."""
    if top <= 0:
        return 0
    share = _number(value) / top * cells * 8
    return int(share.to_integral_value(rounding=ROUND_HALF_UP))


def bar_text(eighths: int) -> str:
    return FULL * (eighths // 8) + EIGHTHS[eighths % 8]


def centred_bar_text(value: Decimal | int | float, top: Decimal, cells: int) -> str:
    """A bar centred in `cells`, at half-cell resolution."""
    halves = 0
    if top > 0:
        share = _number(value) / top * cells * 2
        halves = min(int(share.to_integral_value(rounding=ROUND_HALF_UP)), 2 * cells)
    gap = 2 * cells - halves
    left = gap // 2
    text = " " * (left // 2)
    if left % 2:
        text += RIGHT_HALF
        halves -= 1
    text += FULL * (halves // 2) + (LEFT_HALF if halves % 2 else "")
    return set_cell_size(text, cells)


def chart_lines(bars: Sequence[Bar], width: int, money: bool = False,
                centred: bool = False) -> list[str]:
    """The chart of `bars` ((label, figure) pairs) drawn `width` cells wide,
    one line per bar and, unless centred, an axis line of ticks below."""
    if not bars:
        return [t("report.no_data")]
    labels = [plain(label, multiline=False) for label, _value in bars]
    values = [_number(value) for _label, value in bars]
    whole = not money and all(value == value.to_integral_value() for value in values)
    wan = uses_wan(values, money)  # one unit for the whole chart
    figures = [figure_text(value, money, wan=wan) for value in values]
    label_cells = min(max(cell_len(label) for label in labels),
                      max(MIN_LABEL_CELLS, width // LABEL_SHARE))
    figure_cells = max(cell_len(text) for text in figures)
    bar_cells = max(width - label_cells - figure_cells - 2, MIN_BAR_CELLS)
    ticks = readable_ticks(max(values), bar_cells, money, whole, wan)
    top = ticks[-1]
    lines = []
    for label, value, figure in zip(labels, values, figures):
        if centred:
            bar = centred_bar_text(value, top, bar_cells)
        else:
            bar = set_cell_size(bar_text(bar_eighths(value, top, bar_cells)), bar_cells)
        padding = " " * (figure_cells - cell_len(figure))  # in cells: 万 takes two
        lines.append(f"{_fit(label, label_cells)} {bar} {padding}{figure}")
    if not centred:
        lines.append(" " * (label_cells + 1) + axis_line(ticks, bar_cells, money, wan))
    return lines


def readable_ticks(maximum: Decimal, cells: int, money: bool, whole: bool,
                   wan: bool = False) -> list[Decimal]:
    """Round ticks for an axis `cells` wide: the tightest scale (about one
    tick per CELLS_PER_TICK cells, so the longest bar nearly fills the
    width) on which at least three labels fit, unless that leaves a third
    of the width empty; else the tightest."""
    tightest = axis_ticks(maximum, max(cells // CELLS_PER_TICK, 1), whole=whole)
    for count in range(max(cells // CELLS_PER_TICK, 1), 0, -1):
        ticks = axis_ticks(maximum, count, whole=whole)
        if ticks[-1] * 2 > maximum * 3:
            break
        if len(_shown_labels(ticks, cells, money, wan)) >= 3:
            return ticks
    return tightest


def tick_column(tick: Decimal, top: Decimal, cells: int) -> int:
    """Where on a `cells`-wide axis the boundary of `tick` falls (0..cells)."""
    return int((tick / top * cells).to_integral_value(rounding=ROUND_HALF_UP))


def _tick_labels(ticks: Sequence[Decimal], cells: int, money: bool, top: Decimal,
                 wan: bool = False) -> list[tuple[int, str]] | None:
    """(first column, text) of each tick's label: each starts at its tick's
    boundary, the last ends there; None when two would touch."""
    placed: list[tuple[int, str]] = []
    free_from = 0
    for index, tick in enumerate(ticks):
        text = tick_text(tick, money, wan=wan)
        column = tick_column(tick, top, cells)
        start = max(column - cell_len(text) if index == len(ticks) - 1 else column, 0)
        if start < free_from:
            return None
        placed.append((start, text))
        free_from = start + cell_len(text) + 1
    return placed


def _shown_labels(ticks: Sequence[Decimal], cells: int, money: bool,
                  wan: bool = False) -> list[tuple[int, str]]:
    """The tick labels that fit side by side: every tick's, else every
    second's, third's … so that those shown stay evenly spaced."""
    for stride in range(1, len(ticks)):
        if (len(ticks) - 1) % stride == 0:
            placed = _tick_labels(ticks[::stride], cells, money, top=ticks[-1], wan=wan)
            if placed:
                return placed
    return []


def axis_line(ticks: Sequence[Decimal], cells: int, money: bool = False,
              wan: bool = False) -> str:
    """The tick labels under the bars (0 and the top always)."""
    line = ""
    for start, text in _shown_labels(ticks, cells, money, wan):
        line = line + " " * (start - cell_len(line)) + text
    return line


class BarChart(Widget):
    """The chart widget: give it bars with `show()`; it draws to its width."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bars: list[Bar] = []
        self.money = False
        self.centred = False

    def show(self, bars: Sequence[Bar], money: bool = False, centred: bool = False) -> None:
        self.bars = list(bars)
        self.money = money
        self.centred = centred
        self.refresh(layout=True)

    def lines(self, width: int | None = None) -> list[str]:
        return chart_lines(self.bars, width or self.content_size.width or 80, self.money,
                           self.centred)

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Text:
        # Labels are text from the database: a plain Text, never markup.
        return Text("\n".join(self.lines()), no_wrap=True, overflow="crop")


__all__ = ["BarChart", "axis_line", "bar_eighths", "chart_lines"]

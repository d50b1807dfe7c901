"""The report chart: bars read against their own axis give back the figures;
ticks are round; labels (Chinese too) keep their place; amounts in 万.

The bars are measured the way a reader measures them: the axis line's
labels say where a value lies (a tick's label starts at its boundary), and
a bar's cells and eighths, read against that, must give its figure to
within half an eighth of a cell."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from crm_tui.i18n import set_locale
from crm_tui.models.figures import axis_ticks, figure_text, tick_step
from crm_tui.widgets.bars import EIGHTHS, FULL, chart_lines


def drawn_eighths(line: str, origin: int) -> int:
    """The length in eighths of the bar drawn from cell `origin` of `line`."""
    cells, eighths = 0, 0
    for char in line:
        if cells >= origin:
            if char == FULL:
                eighths += 8
            elif char in EIGHTHS[1:]:
                eighths += EIGHTHS.index(char)
                break
            else:
                break
        cells += cell_len(char)
    return eighths


def axis_scale(axis: str) -> tuple[int, Decimal, int]:
    """(origin cell, top, cells) from the axis line: where 0 is, and the
    top of the axis with the cells to it (its label ends at its boundary)."""
    labels = []
    cell, start, text = 0, None, ""
    for char in axis + " ":
        if char == " ":
            if text:
                labels.append((start, text))
            text, start = "", None
        else:
            if start is None:
                start = cell
            text += char
        cell += cell_len(char)
    (origin, zero), (start, value) = labels[0], labels[-1]
    assert zero == "0"
    # The labels between are evenly spaced round steps of the same axis.
    steps = [Decimal(text.replace(",", "")) for _start, text in labels]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert len({later - earlier for earlier, later in zip(steps, steps[1:])}) == 1
    return origin, steps[-1], start + cell_len(value) - origin


def check_bars(figures: list[tuple[str, int | Decimal]], width: int) -> list[int]:
    lines = chart_lines(figures, width)
    assert len(lines) == len(figures) + 1
    origin, value, cells = axis_scale(lines[-1])
    lengths = []
    for (label, figure), line in zip(figures, lines):
        assert cell_len(line) <= width
        assert line.startswith(label)  # the label beside its bar, Chinese kept
        eighths = drawn_eighths(line, origin)
        # Read against the axis, the bar gives its figure (to half an eighth).
        read = Decimal(eighths) / 8 / cells * value
        assert abs(read - Decimal(figure)) <= value / cells / 16 + Decimal("1e-9"), (line, figure)
        assert line.rstrip().endswith(figure_text(figure))
        lengths.append(eighths)
    return lengths


def test_nine_and_nineteen_are_drawn_at_their_own_lengths():
    lengths = check_bars([("普通客户", 9), ("重点开发客户", 19), ("大客户", 0), ("合作伙伴", 3)],
                         78)
    assert lengths[0] < lengths[1] and lengths[2] == 0
    # 19 is (close to) 19/9 of 9 at this resolution.
    assert abs(lengths[1] / lengths[0] - 19 / 9) < 0.02


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=9),
       st.integers(min_value=40, max_value=200))
def test_any_counts_at_any_width_read_back(counts, width):
    if max(counts) == 0:
        counts[0] = 1
    check_bars([(f"第{index}项", count) for index, count in enumerate(counts)], width)


def test_counts_have_whole_round_ticks():
    # Fractional ticks (0.17, 0.33) for whole counts are gone.
    assert axis_ticks(1, 4, whole=True) == [0, 1]
    assert axis_ticks(68, 4, whole=True) == [0, 20, 40, 60, 80]
    assert [tick_step(top, 4) for top in (7, 19, 68, 5275837.7)] == [2, 5, 20, 2000000]
    axis = chart_lines([("a", 1), ("b", 2)], 60)[-1]
    assert "." not in axis


def test_long_labels_are_cut_in_cells_with_an_ellipsis():
    lines = chart_lines([("北京远大科技有限公司上海分公司第二事业部", 5), ("乙", 10)], 40)
    widths = {cell_len(line.split(" ")[0]) for line in lines[:2]}
    assert "…" in lines[0]
    # Each label is cut or padded to the same cells, so the bars start together.
    assert len({line.index(FULL) and cell_len(line[:line.index(FULL)]) for line in lines[:2]}) == 1
    assert max(widths) <= 40 // 4


def test_amounts_use_thousands_separators_and_wan_in_chinese():
    assert figure_text(Decimal("5275837.70"), money=True, locale="en") == "5,275,837.70"
    assert figure_text(Decimal("1200"), money=True, locale="en") == "1,200"
    assert figure_text(Decimal("5275837.70"), money=True, locale="zh_CN") == "527.58万"
    assert figure_text(Decimal("2000000"), money=True, locale="zh_CN") == "200万"
    assert figure_text(Decimal("99999"), money=True, locale="zh_CN") == "99,999"
    assert figure_text(12345, locale="zh_CN") == "12,345"  # counts never in 万
    set_locale("zh_CN")
    lines = chart_lines([("甲公司", Decimal("5275837.70")), ("乙公司", Decimal("4396531.40"))],
                        78, money=True)
    assert lines[0].endswith("527.58万") and lines[1].endswith("439.65万")
    assert {cell_len(line) for line in lines[:2]} == {78}
    assert lines[-1].split()[-1].endswith("万")
    # One unit for the whole chart: a small amount beside a big one is in 万 too.
    lines = chart_lines([("甲", Decimal("102740")), ("乙", Decimal("5100"))], 78, money=True)
    assert lines[0].endswith("10.27万") and lines[1].endswith("0.51万")
    lines = chart_lines([("甲", Decimal("98890")), ("乙", Decimal("5100"))], 78, money=True)
    assert lines[0].endswith("98,890") and lines[1].endswith("5,100")


def test_funnel_bars_are_centred_and_shrink():
    lines = chart_lines([("初步接洽", 120), ("需求确认", 80), ("方案报价", 41), ("谈判审核", 17)],
                        78, centred=True)
    assert len(lines) == 4  # no axis for a funnel
    blocks = [line.count(FULL) for line in lines]
    assert blocks == sorted(blocks, reverse=True) and blocks[-1] > 0
    # Centred: the gap before each bar grows as the bars shrink.
    starts = [min(line.find(char) for char in (FULL, "▐") if char in line) for line in lines]
    assert starts == sorted(starts)


@pytest.mark.parametrize("bars", [[], [("零", 0)]])
def test_nothing_to_draw(bars):
    lines = chart_lines(bars, 60)
    assert lines and all(cell_len(line) <= 60 for line in lines)

"""How figures are written on charts: round axis ticks and numbers people read.

A chart's axis runs from 0 to a round number in round steps (1, 2 or 5
times a power of ten; whole steps for counts), so the ticks read 0 / 20 /
40 / 60 instead of 0 / 22.7 / 45.3 / 68. Numbers carry thousands
separators; in Chinese, amounts from 十万 up are written in 万 (ten
thousands), as people there read money: 5,275,837.70 reads 527.58万.

No database, no Textual: the chart widget and the tests both call these.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from crm_tui.i18n import current_locale

# Steps within one power of ten, smallest first.
ROUND_STEPS = (Decimal(1), Decimal(2), Decimal(5), Decimal(10))
TEN_THOUSAND = Decimal(10000)
# From this amount on, Chinese text writes 万.
WAN_FROM = Decimal(100000)


def tick_step(maximum: Decimal | int | float, ticks: int = 4, whole: bool = False) -> Decimal:
    """The round step that divides 0..`maximum` into at most `ticks` steps:
    1, 2 or 5 times a power of ten; never below 1 when `whole` (counts)."""
    top = Decimal(str(maximum))
    if top <= 0:
        return Decimal(1)
    raw = top / max(ticks, 1)
    power = Decimal(10) ** (raw.adjusted())
    for step in ROUND_STEPS:
        if step * power >= raw:
            found = step * power
            break
    if whole and found < 1:
        return Decimal(1)
    return found.normalize() if found >= 1 else found


def axis_ticks(maximum: Decimal | int | float, ticks: int = 4,
               whole: bool = False) -> list[Decimal]:
    """0, step, 2 x step … up to the first tick at or above `maximum`."""
    step = tick_step(maximum, ticks, whole)
    top = Decimal(str(maximum))
    values = [Decimal(0)]
    while values[-1] < top:
        values.append(values[-1] + step)
    if len(values) == 1:
        values.append(step)
    return values


def _trimmed(value: Decimal, places: int) -> str:
    """`value` with thousands separators and at most `places` decimals,
    trailing zeros dropped: 1,234.5 / 12 / 0.25."""
    quantum = Decimal(1).scaleb(-places)
    text = f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def uses_wan(values, money: bool = True, locale: str | None = None) -> bool:
    """Whether figures shown together (a chart's) are written in 万: amounts
    in Chinese whose largest is 十万 or more. One unit for all of them, so
    that 98,890 and 10.27万 never stand side by side."""
    if not money or (locale or current_locale()) != "zh_CN":
        return False
    return any(abs(Decimal(str(value))) >= WAN_FROM for value in values)


def figure_text(value: Decimal | int | float, money: bool = False,
                locale: str | None = None, wan: bool | None = None) -> str:
    """A figure as a chart writes it: counts whole (1,234), amounts with
    cents when they have any (1,234.5 → 1,234.50), and in Chinese amounts
    from 十万 up in 万 with at most two decimals (527.58万); `wan` says for
    a group of figures whether to write them all in 万 (None: this one's
    own size decides)."""
    number = Decimal(str(value))
    if not money:
        return _trimmed(number, 2)
    if wan is None:
        wan = uses_wan([number], money, locale)
    if wan:
        return f"{_trimmed(number / TEN_THOUSAND, 2)}万"
    if number == number.to_integral_value():
        return _trimmed(number, 0)
    return f"{number.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def tick_text(value: Decimal | int | float, money: bool = False,
              locale: str | None = None, wan: bool | None = None) -> str:
    """An axis tick: a round number, so no decimals beyond the step's own."""
    return figure_text(value, money, locale, wan)

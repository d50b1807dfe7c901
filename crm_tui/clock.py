"""One injectable clock, so rules that depend on "now" can be tested.

Everything in the CRM asks this module for the time. Tests (and the churn
benchmarks) move time with `set_clock`.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

_now: Callable[[], dt.datetime] = dt.datetime.now


def now() -> dt.datetime:
    """The current local time, to the second."""
    return _now().replace(microsecond=0)


def today() -> dt.date:
    return now().date()


def set_clock(clock: Callable[[], dt.datetime] | None) -> None:
    """Replace the clock; None restores the real one."""
    global _now
    _now = clock or dt.datetime.now


def current_clock() -> Callable[[], dt.datetime]:
    """The clock in use, to put back after moving time for a while."""
    return _now

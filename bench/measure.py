"""What the benchmarks share: the best of several timed runs, and the
administrator they measure as (created once with a known password)."""
from __future__ import annotations

import time

from crm_tui.models import User
from crm_tui.models.accounts import create_user
from crm_tui.models.users import ADMIN


def best_ms(call, repeat: int) -> tuple[float, object]:
    """The fastest of `repeat` runs of `call()`, in milliseconds, and what
    the last run returned."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - started)
    return best * 1000, result


def administrator() -> User:
    """The benchmark's administrator, `bench-admin`, who sees everything."""
    user = User.get_or_none(User.login == "bench-admin")
    return user or create_user(None, "bench-admin", "Bench admin", ADMIN, "bench-admin-password")

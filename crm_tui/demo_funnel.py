"""Demo data of the sales funnel (M15): stages, expected amounts and close
dates of the demo's opportunities, the managers' targets, and opportunities
at scale for `crm-tui demo-data`.

- `fill_demo(...)`: run by the demo company's build once its opportunities
  are written: each gets the stage its story has reached, an amount and a
  close date, and every account manager a target for the months around
  today.
- `fill_opportunities_at_scale(count, ...)`: adds `count` opportunities of
  the account managers there are, in every state and stage, closing over
  the year around today, and targets for each manager and month; written
  in transactions of a few thousand rows.
"""
from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from decimal import Decimal

from crm_tui import clock
from crm_tui import demo_vocabulary as words
from crm_tui.models import Customer, Opportunity, Role, User, database
from crm_tui.models.funnel import Target
from crm_tui.models.sales import ASSIGNED, FAILED, SUCCEEDED, UNASSIGNED, stages
from crm_tui.models.users import MANAGER

Progress = Callable[[str], None]
CHUNK = 5_000
# Opportunities per state, out of 20, at scale.
SCALE_STATES = ((UNASSIGNED, 4), (ASSIGNED, 9), (SUCCEEDED, 4), (FAILED, 3))
# How far along the stages an open opportunity is, out of 10 per stage.
STAGE_WEIGHTS = (4, 3, 2, 1)
# Expected amounts, in 万 (ten thousands): small deals far more often than big ones.
AMOUNT_WAN = (1, 2, 3, 5, 8, 10, 15, 20, 30, 50, 80, 120, 200)
TARGET_MONTHS_BACK, TARGET_MONTHS_AHEAD = 3, 3


def _month_start(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _amount(rng: random.Random) -> Decimal:
    wan = AMOUNT_WAN[min(int(rng.expovariate(0.35)), len(AMOUNT_WAN) - 1)]
    return Decimal(wan * 10000 + rng.randrange(0, 100) * 100)


def _stage_of(rng: random.Random, status: str, stage_ids: Sequence[int]) -> int:
    if status == SUCCEEDED:
        return stage_ids[-1]
    weights = STAGE_WEIGHTS[:len(stage_ids)]
    return rng.choices(stage_ids, weights=weights)[0]


def _close_date(rng: random.Random, today: dt.date,
                created: dt.date, ended: dt.date | None) -> dt.date:
    if ended is not None:
        return ended
    return max(today, created) + dt.timedelta(days=rng.randrange(7, 200))


def _targets(rng: random.Random, managers: Sequence[int], setter: int | None,
             today: dt.date, months: range) -> list[dict]:
    rows = []
    for manager in managers:
        base = rng.randrange(20, 80) * 10000
        for offset in months:
            rows.append({"manager": manager, "month": _month_start(today, offset),
                         "amount": Decimal(base + rng.randrange(-5, 6) * 10000),
                         "payments": Decimal(base * 8 // 10),
                         "new_customers": rng.randrange(1, 6),
                         "interactions": rng.randrange(15, 60),
                         "set_by": setter, "set_at": clock.now(), "version": 1})
    return rows


def fill_demo(rng: random.Random, managers: Sequence[User], supervisor: User,
              progress: Progress = print) -> None:
    """The demo's opportunities placed in the funnel, and the targets."""
    today = clock.today()
    stage_ids = [stage.id for stage in stages()]
    rates = {stage.id: int(stage.value) for stage in stages()}
    opportunities = list(Opportunity.select().order_by(Opportunity.id))
    for opportunity in opportunities:
        stage = _stage_of(rng, opportunity.status, stage_ids)
        ended = opportunity.ended_at.date() if opportunity.ended_at else None
        close = _close_date(rng, today, opportunity.created_at.date(), ended)
        (Opportunity.update(stage=stage, expected_amount=_amount(rng), expected_close=close,
                            success_rate=rates[stage])
         .where(Opportunity.id == opportunity.id).execute())
    rows = _targets(rng, [manager.id for manager in managers], supervisor.id, today,
                    range(-TARGET_MONTHS_BACK, TARGET_MONTHS_AHEAD))
    Target.insert_many(rows).execute()
    progress(f"  {len(opportunities)} opportunities in the funnel, {len(rows)} targets")


def fill_opportunities_at_scale(count: int, seed: int = 1, progress: Progress = print) -> int:
    """Add `count` opportunities of the active account managers, and their
    targets for the months around today (months that have none yet).
    Returns how many targets were added."""
    started = time.perf_counter()
    rng = random.Random(seed)
    today, now = clock.today(), clock.now()
    managers = [user_id for (user_id,) in User.select(User.id).join(Role)
                .where((Role.key == MANAGER) & (User.active == True)).tuples()]  # noqa: E712
    if count and not managers:
        raise ValueError("no active account manager to give the opportunities to")
    stage_ids = [stage.id for stage in stages()]
    rates = {stage.id: int(stage.value) for stage in stages()}
    states = [state for state, weight in SCALE_STATES for _ in range(weight)]
    customers = [name for (name,) in Customer.select(Customer.name).limit(50_000).tuples()] \
        or [f"{trade[0]}{industry}有限公司" for trade in words.TRADE_NAMES
            for industry in words.INDUSTRIES[:3]]
    summaries = [summary.format(product=product[0])
                 for summary, _description in words.OPPORTUNITIES for product in words.PRODUCTS]
    done = 0
    while done < count:
        size = min(CHUNK, count - done)
        rows = []
        for _ in range(size):
            status = states[rng.randrange(len(states))]
            manager = managers[rng.randrange(len(managers))]
            created = now - dt.timedelta(days=rng.randrange(1, 400), minutes=rng.randrange(600))
            assigned = None if status == UNASSIGNED else created + dt.timedelta(hours=20)
            ended = None
            if status in (SUCCEEDED, FAILED):
                ended = min(created + dt.timedelta(days=rng.randrange(10, 120)), now)
            stage = _stage_of(rng, status, stage_ids)
            rows.append({
                "source": words.OPPORTUNITY_SOURCES[rng.randrange(len(words.OPPORTUNITY_SOURCES))],
                "customer_name": customers[rng.randrange(len(customers))],
                "success_rate": rates[stage], "summary": summaries[rng.randrange(len(summaries))],
                "contact": "", "contact_phone": "", "description": "",
                "created_by": manager, "created_at": created,
                "assigned_to": None if status == UNASSIGNED else manager,
                "assigned_at": assigned, "status": status, "ended_at": ended,
                "version": 1, "stage": stage, "expected_amount": _amount(rng),
                "expected_close": _close_date(rng, today, created.date(),
                                              ended.date() if ended else None)})
        with database.atomic():
            for start in range(0, len(rows), 500):
                Opportunity.insert_many(rows[start:start + 500]).execute()
        done += size
        if done == count or done % (CHUNK * 10) == 0:
            progress(f"  opportunities {done:,} / {count:,} "
                     f"({time.perf_counter() - started:.1f} s)")
    taken = {(manager, month if isinstance(month, dt.date) else dt.date.fromisoformat(month))
             for manager, month in Target.select(Target.manager, Target.month).tuples()}
    rows = [row for row in _targets(rng, managers, None, today, range(-11, 3))
            if (row["manager"], row["month"]) not in taken]
    with database.atomic():
        for start in range(0, len(rows), 500):
            Target.insert_many(rows[start:start + 500]).execute()
    return len(rows)

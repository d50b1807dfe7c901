"""Reading work abandoned by the screen stops its SQL, on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from crm_tui.models.base import is_postgres
from crm_tui.models import database
from crm_tui.widgets.connection import in_thread_cancellable

ENDLESS_SQLITE = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                  "SELECT count(*) FROM n")


def endless_query(db) -> str:
    return "SELECT pg_sleep(60)" if is_postgres(db) else ENDLESS_SQLITE


async def test_a_cancelled_read_stops_its_query(crm_db):
    finished = threading.Event()
    outcome: dict = {}

    def scan() -> None:
        outcome["started"] = time.monotonic()
        try:
            database.execute_sql(endless_query(crm_db)).fetchone()
        except Exception as error:  # what the database said when stopped
            outcome["error"] = error
        finally:
            finished.set()

    task = asyncio.create_task(in_thread_cancellable(scan))
    await asyncio.sleep(0.5)
    assert "started" in outcome and not finished.is_set()
    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(finished.wait, 10), "the query was still running"
    assert time.monotonic() - cancelled_at < 5
    assert "interrupt" in str(outcome["error"]) or "cancel" in str(outcome["error"])


async def test_a_finished_read_returns_its_result_and_leaves_the_connection_usable(crm_db):
    sql = ("SELECT count(*) FROM generate_series(1, 1000)" if is_postgres(crm_db) else
           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
           "SELECT count(*) FROM n")

    def count() -> int:
        return database.execute_sql(sql).fetchone()[0]

    assert await in_thread_cancellable(count) == 1000
    # The same pool thread may serve the next one: no handler is left behind.
    assert await in_thread_cancellable(count) == 1000

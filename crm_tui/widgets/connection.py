"""A database connection for work done off the UI thread.

Peewee keeps one connection per thread. A thread worker opens its own for
the time of its work and closes it after; a thread that already had one
(the UI thread, in tests that call a source directly) keeps it open.
"""
from __future__ import annotations

import asyncio
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

from peewee import Database

from crm_tui.models.base import database, sales_database

T = TypeVar("T")


@contextmanager
def connected(*databases: Database) -> Iterator[None]:
    """Open the CRM's (and the sales system's) connection in this thread."""
    opened: list[Database] = []
    for db in databases or (database, sales_database):
        if db.is_closed():
            db.connect()
            opened.append(db)
    try:
        yield
    finally:
        for db in opened:
            db.close()


def _run_connected(function: Callable[..., T], *args: Any) -> T:
    with connected():
        return function(*args)


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run `function(*args)` in a thread with its own connection; await the result.

    For database work started from the UI (a login, the home figures) that
    may take longer than a frame: the screen stays responsive meanwhile.
    """
    return await asyncio.to_thread(_run_connected, function, *args)

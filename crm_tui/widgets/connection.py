"""A database connection for work done off the UI thread.

Peewee keeps one connection per thread. A thread worker opens its own for
the time of its work and closes it after; a thread that already had one
(the UI thread, in tests that call a source directly) keeps it open.
"""
from __future__ import annotations

import asyncio
import sqlite3
import threading
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


# While cancelled work still runs, its connection is interrupted again this
# often, so that a statement it starts after the first interrupt stops too.
INTERRUPT_AGAIN_SECONDS = 0.05


class _Interruptible:
    """Work in a thread whose SQL can be stopped from another thread.

    Cancelling interrupts the thread's connection (SQLite: interrupt();
    PostgreSQL: cancel the query on the server) at once, then again every
    INTERRUPT_AGAIN_SECONDS until the work has ended. The database does the
    stopping: nothing is called back into Python while a scan runs (a
    callback would wait for the interpreter lock the screen holds).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._connections: list[Any] = []
        self._finished = threading.Event()

    def run(self, function: Callable[..., T], *args: Any) -> T:
        try:
            with connected():
                with self._lock:
                    if self._cancelled:
                        raise asyncio.CancelledError()
                    # One connection when the sales system shares the CRM's database.
                    self._connections = list({id(db.obj): db.connection()
                                              for db in (database, sales_database)}.values())
                try:
                    return function(*args)
                finally:
                    with self._lock:
                        self._connections = []
        finally:
            self._finished.set()

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
        self._interrupt()
        threading.Thread(target=self._keep_interrupting, daemon=True).start()

    def _keep_interrupting(self) -> None:
        while not self._finished.wait(INTERRUPT_AGAIN_SECONDS):
            self._interrupt()

    def _interrupt(self) -> None:
        with self._lock:
            for connection in self._connections:
                if isinstance(connection, sqlite3.Connection):
                    connection.interrupt()
                else:
                    cancel_query = getattr(connection, "cancel", None)  # psycopg2
                    if cancel_query is not None:
                        cancel_query()


async def in_thread_cancellable(function: Callable[..., T], *args: Any) -> T:
    """`in_thread` for reading work that may be abandoned: when the awaiting
    task is cancelled (a newer report replaced it, the screen closed), the
    SQL it started stops too, instead of scanning on unseen. Not for writes:
    a write the user asked for must finish even if its screen goes away."""
    work = _Interruptible()
    try:
        return await asyncio.to_thread(work.run, function, *args)
    except asyncio.CancelledError:
        work.cancel()
        raise

"""Record numbers people read and say: letters, today's date, a sequence
(KH20261124001 for a customer, HT… for a contract, BJ… for a quote)."""
from __future__ import annotations

from peewee import Field, fn

from crm_tui import clock
from crm_tui.models.base import database, is_postgres


def next_number(field: Field, letters: str) -> str:
    """Inside a transaction: `letters` + today's date + a sequence of at
    least three digits, one past the highest of `field` today.

    SQLite's write transactions are serialised already (BEGIN IMMEDIATE);
    on PostgreSQL a transaction-scoped advisory lock per kind of number
    does the same, so records made at the same moment get consecutive
    numbers instead of colliding.
    """
    if is_postgres():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_lock_key(letters),))
    prefix = letters + clock.today().strftime("%Y%m%d")
    # Longest first: past 999 a day, …1000 must sort above …999.
    last = (field.model.select(field).where(field.startswith(prefix))
            .order_by(fn.LENGTH(field).desc(), field.desc()).scalar())
    sequence = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{sequence:03d}"


def _lock_key(letters: str) -> int:
    """A stable advisory-lock key for one kind of number."""
    return 20261124_00 + int.from_bytes(letters.encode("ascii"), "big") % 100_000


def next_numbers(field: Field, letters: str, count: int, after: str | None = None) -> list[str]:
    """Inside a transaction: `count` consecutive numbers from `next_number`
    (an import numbers a batch of records with one look-up).

    `after`, the last number this caller was given, spares the look-up of
    the highest number (a sort of every number of the day, which an import
    of 100,000 records would pay at every batch): when the number after it
    is still free nobody was given one since, for everyone takes the one
    after the highest."""
    if after is not None:
        prefix = letters + clock.today().strftime("%Y%m%d")
        if is_postgres():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_lock_key(letters),))
        if after.startswith(prefix) and after[len(prefix):].isdigit():
            start = int(after[len(prefix):]) + 1
            if not field.model.select().where(field == f"{prefix}{start:03d}").exists():
                return [f"{prefix}{start + offset:03d}" for offset in range(count)]
    first = next_number(field, letters)
    prefix = first[: len(letters) + 8]
    start = int(first[len(prefix):])
    return [f"{prefix}{start + offset:03d}" for offset in range(count)]

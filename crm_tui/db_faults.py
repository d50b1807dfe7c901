"""SQLite as the CRM uses it: faults told plainly, and no write into a file
that is not the database the CRM opened.

A full disk, a read-only database, a database file deleted or replaced
under a running app: each becomes a DatabaseFault, a CrmError whose message
is one line naming the cause, so a form shows it and keeps what was typed.
SQLite ends a transaction by itself on some faults (a full disk); the
ROLLBACK that follows is then skipped, so that "cannot rollback - no
transaction is active" never hides the real cause.

The file's identity (device and inode) is taken when it is first opened;
before each statement and each new connection the path must still lead to
that same file. A file deleted meanwhile is not created again by a new
connection, and a new empty database put in its place is never written.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from peewee import OperationalError, SqliteDatabase

from crm_tui.i18n import t
from crm_tui.models.errors import DatabaseFault

# What SQLite says (its message, lower case) -> the plain message's key.
_CAUSES = (
    ("database or disk is full", "rights.db_full"),
    ("readonly database", "rights.db_read_only"),
    ("read-only", "rights.db_read_only"),
    ("disk i/o error", "rights.db_io"),
    ("unable to open database file", "rights.db_gone"),
    ("no such table", "rights.db_replaced"),
    ("file is not a database", "rights.db_replaced"),
)


class FaultTellingSqliteDatabase(SqliteDatabase):
    def __init__(self, database: str, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._identity: tuple[int, int] | None = None

    # ----- the file -------------------------------------------------------
    @property
    def _on_disk(self) -> bool:
        return bool(self.database) and self.database != ":memory:"

    def _check_file(self) -> None:
        """Raise unless the path still leads to the file first opened."""
        if self._identity is None or not self._on_disk:
            return
        try:
            found = os.stat(self.database)
        except FileNotFoundError:
            raise DatabaseFault(t("rights.db_gone", path=self.database)) from None
        except OSError as error:
            raise DatabaseFault(t("rights.db_io", path=self.database,
                                  reason=error.strerror or str(error))) from None
        if (found.st_dev, found.st_ino) != self._identity:
            raise DatabaseFault(t("rights.db_replaced", path=self.database))

    def _connect(self):
        self._check_file()
        connection = super()._connect()
        if self._identity is None and self._on_disk:
            found = os.stat(self.database)
            self._identity = (found.st_dev, found.st_ino)
        return connection

    # ----- statements and transactions ---------------------------------------
    def execute_sql(self, sql, params=None):
        self._check_file()
        with self._plain_faults():
            return super().execute_sql(sql, params)

    def begin(self, lock_type=None):
        self._check_file()
        with self._plain_faults():
            return super().begin(lock_type)

    def commit(self):
        with self._plain_faults():
            return super().commit()

    def rollback(self):
        if not self.is_closed() and not self.connection().in_transaction:
            return  # SQLite already ended it (a full disk does): nothing to undo
        with self._plain_faults():
            return super().rollback()

    @contextmanager
    def _plain_faults(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as error:
            fault = plain_fault(error, self.database)
            if fault is None:
                raise
            raise fault from error


def plain_fault(error: Exception, path: str) -> DatabaseFault | None:
    """The DatabaseFault that tells `error`'s cause plainly; None for a
    fault without a plainer word (a lock held too long, say)."""
    text = str(error).lower()
    for said, key in _CAUSES:
        if said in text:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            return DatabaseFault(t(key, path=path, reason=first_line))
    return None

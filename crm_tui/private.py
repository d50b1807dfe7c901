"""The CRM's files are its users' business only.

The database (and SQLite's -wal/-shm beside it), the demo database, the
worker's log and the document store are created owner-only (0600 files,
0700 folders) whatever the umask of the process that creates them. Files
and folders that already exist keep the modes their administrator gave them.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def private_folder(path: str | os.PathLike) -> Path:
    """`path` as a folder; the folders created for it are owner-only."""
    folder = Path(path)
    missing = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    for created in missing:
        os.chmod(created, PRIVATE_FOLDER)
    return folder


def private_file(path: str | os.PathLike) -> Path:
    """`path` as a file, created empty and owner-only when missing."""
    file = Path(path)
    if file.parent != file:
        private_folder(file.parent)
    try:
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return file
    os.fchmod(descriptor, PRIVATE_FILE)  # the umask may have taken bits off, never added
    os.close(descriptor)
    return file


@contextmanager
def owner_only_umask() -> Iterator[None]:
    """Files created meanwhile (by SQLite, say) are owner-only. SQLite gives
    a database's -wal and -shm the database file's own mode."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)

"""The document store (M8): files kept by the SHA-256 of their content.

A file's content is stored once, at <folder>/<first two hex digits>/<hash>,
however many customers it is attached to; the Document rows in the database
say who has which file under which name. Files are streamed (hashed while
they are copied), never read whole into memory.

Adding and removing are ordered so that a file never goes missing under a
row that points to it: an attach writes its row first and puts the file in
place after; a removal takes the file aside, checks again that no row
points to it, and puts it back if one does.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

from platformdirs import user_data_dir

from crm_tui.config import Config, DocumentsConfig

CHUNK = 1024 * 1024
MEGABYTE = 1024 * 1024


class TooLarge(Exception):
    """The file is larger than the limit; `limit_mb` says the limit."""

    def __init__(self, limit_mb: int):
        self.limit_mb = limit_mb
        super().__init__(f"larger than {limit_mb} MB")


class StoredFileDamaged(Exception):
    """The stored content no longer has the hash it was stored under."""


def default_folder() -> Path:
    return Path(user_data_dir("crm-tui")) / "documents"


class DocumentStore:
    def __init__(self, folder: str | os.PathLike | None, max_size_mb: int):
        self.folder = Path(folder).expanduser() if folder else default_folder()
        self.max_size_mb = max_size_mb

    @classmethod
    def from_config(cls, config: Config | DocumentsConfig) -> "DocumentStore":
        settings = config.documents if isinstance(config, Config) else config
        return cls(settings.folder, settings.max_size_mb)

    @property
    def max_bytes(self) -> int:
        return self.max_size_mb * MEGABYTE

    def path_of(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.folder / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    # ----- adding -----------------------------------------------------------
    def receive(self, source: BinaryIO) -> "IncomingFile":
        """Copy `source` into a temporary file of the store while hashing it;
        raise TooLarge as soon as it passes the limit."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".incoming-", dir=self.folder)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(handle, "wb") as target:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TooLarge(self.max_size_mb)
                    digest.update(chunk)
                    target.write(chunk)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return IncomingFile(self, Path(temporary), digest.hexdigest(), size)

    # ----- reading ----------------------------------------------------------
    def copy_out(self, sha256: str, target: BinaryIO) -> None:
        """Write the stored content to `target`, checking its hash on the way."""
        digest = hashlib.sha256()
        with self.path_of(sha256).open("rb") as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                target.write(chunk)
        if digest.hexdigest() != sha256:
            raise StoredFileDamaged(sha256)

    # ----- removing ---------------------------------------------------------
    def remove_if_unused(self, sha256: str, in_use: Callable[[], bool]) -> bool:
        """Remove the content unless `in_use()` says a row still points to
        it; True when the file went. `in_use` is asked again after the file
        is taken aside, so an attach racing with this removal keeps it."""
        if in_use():
            return False
        path = self.path_of(sha256)
        aside = path.with_name(f".removing-{sha256}-{os.getpid()}")
        try:
            os.replace(path, aside)
        except FileNotFoundError:
            return False
        if in_use() and not path.exists():
            os.replace(aside, path)
            return False
        aside.unlink(missing_ok=True)
        return True


class IncomingFile:
    """Received content waiting in the store for its row to be written."""

    def __init__(self, store: DocumentStore, temporary: Path, sha256: str, size: int):
        self.store = store
        self.temporary = temporary
        self.sha256 = sha256
        self.size = size

    def keep(self) -> None:
        """Put the content in place (after its row is committed)."""
        path = self.store.path_of(self.sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.stat().st_size == self.size:
            self.temporary.unlink(missing_ok=True)
        else:
            os.replace(self.temporary, path)

    def discard(self) -> None:
        self.temporary.unlink(missing_ok=True)


def export_to(store: DocumentStore, sha256: str, name: str, destination: str | os.PathLike) -> Path:
    """Copy stored content to `destination` (a file path, or a folder to put
    `name` in) without overwriting anything; returns the path written."""
    target = Path(destination).expanduser()
    if target.is_dir():
        target = target / name
    # "x": refuse an existing file rather than overwrite it.
    with target.open("xb") as output:
        try:
            store.copy_out(sha256, output)
        except BaseException:
            output.close()
            target.unlink(missing_ok=True)
            raise
    return target

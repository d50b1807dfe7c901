"""The document store (M8): files kept by the SHA-256 of their content.

A file's content is stored once, at <folder>/<first two hex digits>/<hash>,
however many customers it is attached to; the Document rows in the database
say who has which file under which name. Files are streamed (hashed while
they are copied), never read whole into memory.

Adding and removing are ordered so that a file never goes missing under a
row that points to it: an attach writes its row first and puts the file in
place after; a removal takes the file aside, checks again that no row
points to it, and puts it back if one does. A stored copy found damaged
when the same content is attached again is replaced.

Files come in only from the configured upload folders and go out only into
the export folder (both by default the home folder of the account the CRM
runs as): under a shared service account with a ForceCommand, users have no
shell, and the CRM must not become one. Only regular files are read, never
the CRM's own database, its -wal/-shm, its config or its document store.
"""
from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable
from urllib.parse import urlparse

from platformdirs import user_data_dir

from crm_tui.config import Config, DocumentsConfig
from crm_tui.private import PRIVATE_FILE, private_folder

CHUNK = 1024 * 1024
MEGABYTE = 1024 * 1024


class TooLarge(Exception):
    """The file is larger than the limit; `limit_mb` says the limit."""

    def __init__(self, limit_mb: int):
        self.limit_mb = limit_mb
        super().__init__(f"larger than {limit_mb} MB")


class StoredFileDamaged(Exception):
    """The stored content no longer has the hash it was stored under."""


class StoreWriteFailed(Exception):
    """The store could not take the content (its disk is full, say): the
    fault is the store's, not the source file's. `error` is the OSError."""

    def __init__(self, error: OSError):
        self.error = error
        super().__init__(error.strerror or str(error))

    @property
    def disk_full(self) -> bool:
        return self.error.errno in (errno.ENOSPC, errno.EDQUOT)


class FileRefused(Exception):
    """A path outside what a user may attach from or export to; `key` and
    `values` make the message."""

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values
        super().__init__(key)


# Not files of anybody's business, whatever folder is configured.
PSEUDO_FILESYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def default_folder() -> Path:
    return Path(user_data_dir("crm-tui")) / "documents"


class DocumentStore:
    def __init__(self, folder: str | os.PathLike | None, max_size_mb: int,
                 upload_folders: tuple[str | os.PathLike, ...] = (),
                 export_folder: str | os.PathLike = "",
                 protected: tuple[str | os.PathLike, ...] = ()):
        self.folder = Path(folder).expanduser() if folder else default_folder()
        self.max_size_mb = max_size_mb
        self.upload_folders = tuple(Path(folder).expanduser() for folder in upload_folders
                                    ) or (Path.home(),)
        self.export_folder = export_folder_of(export_folder)
        # The CRM's own files (database, config), never attached.
        self.protected = tuple(Path(path) for path in protected)

    @classmethod
    def from_config(cls, config: Config | DocumentsConfig) -> "DocumentStore":
        settings = config.documents if isinstance(config, Config) else config
        protected: list[str] = []
        if isinstance(config, Config):
            for url in (config.database.url, config.database.sales_url):
                if urlparse(url).scheme == "sqlite" and url[len("sqlite:///"):]:
                    protected += [url[len("sqlite:///"):] + suffix for suffix in SQLITE_COMPANIONS]
            if config.source and Path(config.source).is_file():
                protected.append(config.source)
        return cls(settings.folder, settings.max_size_mb, settings.upload_folders,
                   settings.export_folder, tuple(protected))

    # ----- what may come in and go out -----------------------------------
    def open_upload(self, path: str | os.PathLike) -> tuple[BinaryIO, str]:
        """The file at `path` opened for reading, and its name; FileRefused
        unless it is a regular file in an upload folder and none of the
        CRM's own. A relative path is taken in the first upload folder."""
        source = Path(str(path).strip()).expanduser()
        if not source.is_absolute():
            source = self.upload_folders[0] / source
        real = Path(os.path.realpath(source))
        if any(_inside(real, Path(os.path.realpath(pseudo))) for pseudo in PSEUDO_FILESYSTEMS):
            raise FileRefused("rights.not_regular")
        if not any(_inside(real, Path(os.path.realpath(folder))) for folder in self.upload_folders):
            raise FileRefused("rights.upload_outside", folders=", ".join(
                str(folder) for folder in self.upload_folders))
        if _inside(real, Path(os.path.realpath(self.folder))):
            raise FileRefused("rights.crm_file")
        try:
            # O_NOFOLLOW: the real path was checked, a link put there since is
            # refused; O_NONBLOCK: a FIFO does not hang the open.
            descriptor = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            raise FileRefused("documents.error.no_file") from None
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise FileRefused("rights.not_regular") from None
            raise FileRefused("documents.error.unreadable",
                              reason=error.strerror or str(error)) from None
        try:
            opened = os.fstat(descriptor)
            if not stat.S_ISREG(opened.st_mode):
                raise FileRefused("rights.not_regular")
            if self._is_protected(opened):
                raise FileRefused("rights.crm_file")
            os.set_blocking(descriptor, True)
            reader = os.fdopen(descriptor, "rb")
        except BaseException:
            os.close(descriptor)
            raise
        return reader, source.name

    def _is_protected(self, opened: os.stat_result) -> bool:
        """Whether the opened file is one of the CRM's own, under whatever
        name or hard link it was reached."""
        for path in self.protected:
            try:
                own = os.stat(path)
            except OSError:
                continue
            if (own.st_dev, own.st_ino) == (opened.st_dev, opened.st_ino):
                return True
        return False

    def export_target(self, destination: str | os.PathLike, name: str) -> Path:
        """The file an export to `destination` writes (a file, or a folder
        for `name`); FileRefused outside the export folder."""
        return export_target(self.export_folder, destination, name)

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
        raise TooLarge as soon as it passes the limit, StoreWriteFailed when
        the store cannot take it (an OSError is the source's)."""
        try:
            private_folder(self.folder)
            handle, temporary = tempfile.mkstemp(prefix=".incoming-", dir=self.folder)
        except OSError as error:
            raise StoreWriteFailed(error) from None
        digest = hashlib.sha256()
        size = 0
        try:
            # Unbuffered: a write that fails fails here, not later at close.
            with os.fdopen(handle, "wb", buffering=0) as target:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TooLarge(self.max_size_mb)
                    digest.update(chunk)
                    _write(target, chunk)
                _write(target, b"", flush=True)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return IncomingFile(self, Path(temporary), digest.hexdigest(), size)

    def holds_intact(self, sha256: str) -> bool:
        """Whether the stored copy exists and still has its hash."""
        try:
            with self.path_of(sha256).open("rb") as stored:
                digest = hashlib.sha256()
                while chunk := stored.read(CHUNK):
                    digest.update(chunk)
        except OSError:
            return False
        return digest.hexdigest() == sha256

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
        """Put the content in place (after its row is committed). A stored
        copy already there is kept only when intact: a damaged one is
        replaced by this good content."""
        path = self.store.path_of(self.sha256)
        private_folder(path.parent)
        if self.store.holds_intact(self.sha256):
            self.temporary.unlink(missing_ok=True)
        else:
            os.replace(self.temporary, path)

    def discard(self) -> None:
        self.temporary.unlink(missing_ok=True)


def export_folder_of(setting: str | os.PathLike) -> Path:
    """The export folder `setting` names (documents.export_folder); the home
    folder when it names none."""
    return Path(setting).expanduser() if str(setting) else Path.home()


def export_target(folder: Path, destination: str | os.PathLike, name: str = "") -> Path:
    """The file an export to `destination` writes: a file, or a folder for
    `name`; a relative path is taken in `folder`. FileRefused when it lies
    outside `folder` (also through a link)."""
    target = Path(str(destination).strip()).expanduser()
    if not target.is_absolute():
        target = folder / target
    if name and target.is_dir():
        target = target / _safe_name(name)
    parent = Path(os.path.realpath(target.parent))
    if not _inside(parent, Path(os.path.realpath(folder))):
        raise FileRefused("rights.export_outside", folder=str(folder))
    return parent / target.name


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _safe_name(name: str) -> str:
    """A stored document name as a file name in a folder: no folder part."""
    base = Path(name).name
    return base if base not in ("", ".", "..") else "document"


def _write(target: BinaryIO, chunk: bytes, flush: bool = False) -> None:
    """Write all of `chunk` to the store's unbuffered file; a failure is the
    store's (StoreWriteFailed)."""
    try:
        view = memoryview(chunk)
        while view:
            view = view[target.write(view):]
        if flush:
            os.fsync(target.fileno())
    except OSError as error:
        raise StoreWriteFailed(error) from None


def export_to(store: DocumentStore, sha256: str, name: str, destination: str | os.PathLike) -> Path:
    """Copy stored content to `destination` (a file path, or a folder to put
    `name` in) inside the store's export folder, without overwriting
    anything or following a link; returns the path written."""
    target = store.export_target(destination, name)
    # O_EXCL: refuse an existing file (or link) rather than overwrite it.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                         PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as output:
        try:
            store.copy_out(sha256, output)
        except BaseException:
            output.close()
            target.unlink(missing_ok=True)
            raise
    return target

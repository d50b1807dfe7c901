"""Backup and restore: the database and the document store in one archive.

An archive is a .tar.gz holding `manifest.json`, the database (an SQLite
copy or a PostgreSQL dump) and every stored document, each listed in the
manifest with its SHA-256 and size.

Backing up works while people keep working: SQLite is copied with its online
backup API (one consistent snapshot), PostgreSQL with pg_dump (one
transaction). The archive is written beside its final name and checked (the
SQLite copy's integrity check, every file's hash read back) before it takes
that name, so a file with the final name is always a whole, verified backup.

Restoring checks everything before it touches anything: the manifest, the
schema (an archive of a newer crm-tui is refused), every hash and the
database copy's integrity. Only then are the documents swapped in and the
database replaced in one transaction; if that fails, the documents are put
back, so the current data stays as it was.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from crm_tui import __version__
from crm_tui.config import Config
from crm_tui.db import MIGRATION_TABLE, known_migrations, redact, sqlite_path
from crm_tui.documents import CHUNK, DocumentStore
from crm_tui.models.base import is_postgres

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.sql"
_DOCUMENT_MEMBER = re.compile(r"^documents/([0-9a-f]{2})/(\1[0-9a-f]{62})$")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for people."""


@dataclass
class Backup:
    path: Path
    kind: str
    migrations: list[str]
    documents: int
    size: int


@dataclass
class Manifest:
    created_at: str
    kind: str
    migrations: list[str]
    schema: str
    files: dict[str, dict]

    @classmethod
    def read(cls, archive: tarfile.TarFile) -> "Manifest":
        try:
            data = json.load(archive.extractfile(MANIFEST))
            if data.get("format") != FORMAT:
                raise BackupError(f"unknown backup format {data.get('format')!r}")
            database = data["database"]
            return cls(data["created_at"], database["kind"], list(database["migrations"]),
                       database.get("schema", ""), {f["name"]: f for f in data["files"]})
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BackupError("not a crm-tui backup (no readable manifest)") from None

    @property
    def database_member(self) -> str:
        return SQLITE_MEMBER if self.kind == "sqlite" else POSTGRES_MEMBER


# ----- backing up -------------------------------------------------------------

def default_name(now: dt.datetime | None = None) -> str:
    return f"crm-tui-{(now or dt.datetime.now()).strftime('%Y%m%d-%H%M%S')}.tar.gz"


def make_backup(config: Config, crm_db, target: str | os.PathLike | None = None) -> Backup:
    """Back up the CRM's database and documents into `target` (a file, a
    folder to put a dated file in, or None: the configured backup folder)."""
    path = _target_path(config, target)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = DocumentStore.from_config(config)
    with tempfile.TemporaryDirectory(prefix=".crm-backup-", dir=path.parent) as staging:
        staging = Path(staging)
        if is_postgres(crm_db):
            kind, member, schema = "postgresql", POSTGRES_MEMBER, _current_schema(crm_db)
            migrations = _migrations_in(crm_db)
            _pg_dump(config.database.effective_url, schema, staging / member)
        else:
            kind, member, schema = "sqlite", SQLITE_MEMBER, ""
            _sqlite_copy(sqlite_path(config.database.effective_url), staging / member)
            migrations = _sqlite_migrations(staging / member)
        files = [_describe(staging / member, member)]
        documents = list(_stored_documents(store))
        files += [_describe(source, name) for name, source in documents]
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "crm_tui_version": __version__,
            "database": {"kind": kind, "migrations": migrations, "schema": schema},
            "documents_folder": str(store.folder),
            "files": files,
        }
        partial = path.with_name(f".{path.name}.partial")
        try:
            _write_archive(partial, manifest, [(member, staging / member), *documents])
            verify(partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return Backup(path, kind, migrations, len(documents), path.stat().st_size)


def _target_path(config: Config, target: str | os.PathLike | None) -> Path:
    if target is None:
        return config.backup_folder / default_name()
    path = Path(target).expanduser()
    if path.is_dir() or str(target).endswith(os.sep):
        return path / default_name()
    return path


def _sqlite_copy(source: Path | None, copy: Path) -> None:
    """A consistent copy of a live SQLite database, checked."""
    if source is None or not source.is_file():
        raise BackupError(f"no database file at {source}")
    reading = sqlite3.connect(source)
    writing = sqlite3.connect(copy)
    try:
        reading.backup(writing)
        writing.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        writing.close()
        reading.close()
    _check_sqlite(copy)


def _check_sqlite(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the database copy is damaged: {error}") from None
    finally:
        connection.close()
    if result != "ok":
        raise BackupError(f"the database copy is damaged: {result}")


def _sqlite_migrations(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(f'SELECT name FROM "{MIGRATION_TABLE}" ORDER BY name').fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        connection.close()
    return [name for (name,) in rows]


def _migrations_in(crm_db) -> list[str]:
    if not crm_db.table_exists(MIGRATION_TABLE):
        return []
    cursor = crm_db.execute_sql(f'SELECT name FROM "{MIGRATION_TABLE}" ORDER BY name')
    return [name for (name,) in cursor.fetchall()]


def _current_schema(crm_db) -> str:
    return crm_db.execute_sql("SELECT current_schema()").fetchone()[0]


def _stored_documents(store: DocumentStore):
    """(archive name, path) of every file in the document store."""
    if not store.folder.is_dir():
        return
    for prefix in sorted(store.folder.iterdir()):
        if not prefix.is_dir() or not re.fullmatch(r"[0-9a-f]{2}", prefix.name):
            continue
        for stored in sorted(prefix.iterdir()):
            name = f"documents/{prefix.name}/{stored.name}"
            if stored.is_file() and not stored.is_symlink() and _DOCUMENT_MEMBER.match(name):
                yield name, stored


def _describe(path: Path, name: str) -> dict:
    return {"name": name, "sha256": file_hash(path), "size": path.stat().st_size}


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_archive(path: Path, manifest: dict, members: list[tuple[str, Path]]) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as output, tarfile.open(fileobj=output, mode="w:gz") as archive:
        text = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(text), 0o600
        info.mtime = int(dt.datetime.now().timestamp())
        archive.addfile(info, io.BytesIO(text))
        for name, source in members:
            archive.add(source, arcname=name, recursive=False)


def verify(path: str | os.PathLike) -> Manifest:
    """Read the archive back: every file listed, with its size and hash."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            manifest = Manifest.read(archive)
            seen = set()
            for member in archive:
                if member.name == MANIFEST:
                    continue
                expected = manifest.files.get(member.name)
                if expected is None or not member.isfile():
                    raise BackupError(f"{path}: unexpected member {member.name!r}")
                digest = hashlib.sha256()
                source = archive.extractfile(member)
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                if digest.hexdigest() != expected["sha256"] or member.size != expected["size"]:
                    raise BackupError(f"{path}: {member.name} does not match its hash")
                seen.add(member.name)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{path}: not a readable backup ({error})") from None
    missing = set(manifest.files) - seen
    if missing:
        raise BackupError(f"{path}: {len(missing)} listed files are missing, e.g. {sorted(missing)[0]}")
    if manifest.database_member not in seen:
        raise BackupError(f"{path}: the database is missing")
    return manifest


# ----- PostgreSQL -------------------------------------------------------------

def _libpq(url: str) -> tuple[str, dict]:
    """A libpq connection string for `url` without its password, and the
    environment that passes the password (never on a command line)."""
    from playhouse.db_url import parse

    settings = parse(url)
    password = settings.pop("password", None)
    names = {"database": "dbname"}
    parts = []
    for key, value in settings.items():
        text = str(value).replace("\\", "\\\\").replace("'", "\\'")
        parts.append(f"{names.get(key, key)}='{text}'")
    environment = dict(os.environ)
    if password:
        environment["PGPASSWORD"] = str(password)
    return " ".join(parts), environment


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools "
                          f"(e.g. apt install postgresql-client) of the server's version")
    return found


def _pg_dump(url: str, schema: str, target: Path) -> None:
    connection, environment = _libpq(url)
    command = [_tool("pg_dump"), "--format=plain", "--no-owner", "--no-privileges", "--clean",
               "--if-exists", f"--schema={schema}", f"--file={target}", f"--dbname={connection}"]
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed on {redact(url)}: {_first_line(result.stderr)}")


def _psql_restore(url: str, schema: str, dump: Path) -> None:
    """Replace `schema` by the dump, in one transaction: all or nothing."""
    connection, environment = _libpq(url)
    quoted = '"' + schema.replace('"', '""') + '"'
    command = [_tool("psql"), "--quiet", "--no-psqlrc", "--single-transaction", "-v", "ON_ERROR_STOP=1",
               "-c", f"DROP SCHEMA IF EXISTS {quoted} CASCADE", "-f", str(dump), f"--dbname={connection}"]
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"restoring into {redact(url)} failed, nothing was changed: "
                          f"{_first_line(result.stderr)}")


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no message"


# ----- restoring --------------------------------------------------------------

def check_restorable(path: str | os.PathLike, config: Config, crm_db) -> Manifest:
    """The archive's manifest, once it is known to fit this install."""
    manifest = verify(path)
    known = known_migrations()
    newer = [name for name in manifest.migrations if name not in known]
    if newer:
        raise BackupError(f"{path} was made by a newer crm-tui (schema {newer[-1]}; this one knows "
                          f"up to {known[-1]}): restore it with that version")
    kind = "postgresql" if is_postgres(crm_db) else "sqlite"
    if manifest.kind != kind:
        raise BackupError(f"{path} holds a {manifest.kind} database; the configured one is {kind}")
    if kind == "postgresql" and manifest.schema != _current_schema(crm_db):
        raise BackupError(f"{path} holds schema {manifest.schema!r}; the configured database uses "
                          f"{_current_schema(crm_db)!r}")
    return manifest


def restore(path: str | os.PathLike, config: Config, crm_db) -> Manifest:
    """Replace the database and documents by the archive's; all or nothing."""
    manifest = check_restorable(path, config, crm_db)
    store = DocumentStore.from_config(config)
    store.folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Staged beside the store, so the documents swap in by renaming.
    with tempfile.TemporaryDirectory(prefix=".crm-restore-", dir=store.folder.parent) as staging:
        staging = Path(staging)
        _extract(path, manifest, staging)
        database_copy = staging / manifest.database_member
        if manifest.kind == "sqlite":
            _check_sqlite(database_copy)
        previous = _swap_documents(store.folder, staging / "documents")
        try:
            crm_db.close()
            if manifest.kind == "sqlite":
                _sqlite_replace(database_copy, sqlite_path(config.database.effective_url))
            else:
                _psql_restore(config.database.effective_url, manifest.schema, database_copy)
        except BaseException:
            _swap_back(store.folder, previous, staging / "documents")
            raise
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    return manifest


def _extract(path: str | os.PathLike, manifest: Manifest, staging: Path) -> None:
    """Only the manifest's files, by their checked names, hashed again."""
    (staging / "documents").mkdir(mode=0o700)
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            if member.name == MANIFEST:
                continue
            if member.name != manifest.database_member and not _DOCUMENT_MEMBER.match(member.name):
                raise BackupError(f"{path}: unexpected member {member.name!r}")
            target = staging / member.name
            target.parent.mkdir(mode=0o700, exist_ok=True)
            digest = hashlib.sha256()
            source = archive.extractfile(member)
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as output:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    output.write(chunk)
            if digest.hexdigest() != manifest.files[member.name]["sha256"]:
                raise BackupError(f"{path}: {member.name} does not match its hash")


def _swap_documents(folder: Path, incoming: Path) -> Path | None:
    """Put `incoming` where `folder` is; returns where the old folder went."""
    previous = None
    if folder.exists():
        previous = folder.with_name(f".{folder.name}.before-restore-{os.getpid()}")
        os.replace(folder, previous)
    os.replace(incoming, folder)
    return previous


def _swap_back(folder: Path, previous: Path | None, incoming: Path) -> None:
    os.replace(folder, incoming)
    if previous is not None:
        os.replace(previous, folder)


def _sqlite_replace(copy: Path, target: Path | None) -> None:
    """Copy the pages of `copy` into the live database in one step: other
    connections see the old database or the new, never a mix."""
    if target is None:
        raise BackupError("the configured database is not an SQLite file")
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    source = sqlite3.connect(copy)
    destination = sqlite3.connect(target, timeout=30)
    try:
        source.backup(destination)
    except sqlite3.Error as error:
        raise BackupError(f"restoring into {target} failed, nothing was changed: {error}") from None
    finally:
        destination.close()
        source.close()

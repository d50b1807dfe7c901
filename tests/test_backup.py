"""crm-tui backup / restore: round trips on SQLite and PostgreSQL, refusals
that leave the data as it was, and the backup made before a migration."""
from __future__ import annotations

import io
import json
import os
import sqlite3
import tarfile
import threading
import uuid
from pathlib import Path

import pytest

from crm_tui import backup, cli
from crm_tui.config import load_config
from crm_tui.db import MIGRATION_TABLE, MIGRATIONS, open_database
from crm_tui.documents import DocumentStore
from crm_tui.models import CRM_MODELS, SALES_MODELS, User, database
from crm_tui.models.documents import Document
from tests.conftest import BACKENDS, PG_URL, make_customer, make_user


class Install:
    def __init__(self, folder: Path, url: str):
        self.folder = folder
        self.config_file = folder / "config.yaml"
        self.config_file.write_text(
            f"database:\n  url: \"{url}\"\n"
            f"documents:\n  folder: {folder / 'documents'}\n"
            f"  upload_folders: [{folder}]\n  export_folder: {folder}\n"
            f"logs:\n  folder: {folder / 'logs'}\n"
            f"backup:\n  folder: {folder / 'backups'}\n", encoding="utf-8")

    def run(self, *arguments: str) -> int:
        return cli.main(["--config", str(self.config_file), *arguments])

    @property
    def config(self):
        return load_config(str(self.config_file))

    @property
    def store(self) -> DocumentStore:
        return DocumentStore.from_config(self.config)


def _pg_schema_url():
    from playhouse.db_url import connect

    schema = f"crm_backup_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = connect(PG_URL)
    admin.execute_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"

    def drop():
        database.close()
        admin.execute_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.close()

    return f"{PG_URL}{separator}options=-c%20search_path%3D{schema}", drop


@pytest.fixture(params=BACKENDS)
def install(request, tmp_path):
    """A CRM made by `crm-tui init` on SQLite, and on PostgreSQL when configured."""
    if request.param == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path / 'crm.sqlite3'}", lambda: database.close()
    else:
        url, cleanup = _pg_schema_url()
    place = Install(tmp_path, url)
    assert place.run("init") == 0
    yield place
    cleanup()


def fill(place: Install, tmp_path: Path) -> None:
    """Users, customers and documents, one file shared by two customers."""
    manager = make_user("manager", "wang")
    first, second = make_customer(manager), make_customer(manager, name="上海明达贸易有限公司")
    for number, content in enumerate((b"contract one", "合同二".encode(), b"\x00\xffbinary")):
        source = tmp_path / f"upload-{number}.bin"
        source.write_bytes(content)
        Document.attach(manager, first.id, source, place.store)
    Document.attach(manager, second.id, tmp_path / "upload-0.bin", place.store)


def data_of() -> dict:
    """Every row of every table, in id order."""
    rows = {}
    for model in CRM_MODELS + SALES_MODELS:
        query = model.select().order_by(*model._meta.get_primary_keys())
        rows[model._meta.table_name] = [tuple(map(str, row)) for row in query.tuples()]
    return rows


def documents_of(store: DocumentStore) -> dict:
    return {str(path.relative_to(store.folder)): path.read_bytes()
            for path in sorted(store.folder.rglob("*")) if path.is_file()}


def change_everything(place: Install, tmp_path: Path) -> None:
    make_customer(make_user("manager", "zhao"), name="后来的客户有限公司")
    manager = User.get(User.login == "wang")
    Document.delete().where(Document.id == Document.select().first().id).execute()
    later = tmp_path / "later.txt"
    later.write_bytes(b"attached after the backup")
    Document.attach(manager, Document.select().first().customer_id, later, place.store)
    stored = next(path for path in place.store.folder.rglob("*") if path.is_file())
    stored.write_bytes(b"damaged")


def test_backup_and_restore_give_back_the_same_data_and_documents(install, tmp_path):
    fill(install, tmp_path)
    data, documents = data_of(), documents_of(install.store)
    assert len(documents) == 3
    archive = tmp_path / "nightly.tar.gz"
    assert install.run("backup", str(archive)) == 0
    manifest = backup.verify(archive)
    assert manifest.migrations == sorted(p.stem for p in MIGRATIONS.glob("0*.py"))
    assert len(manifest.files) == 1 + 3

    change_everything(install, tmp_path)
    assert data_of() != data and documents_of(install.store) != documents
    assert install.run("restore", "--yes", str(archive)) == 0
    assert data_of() == data
    assert documents_of(install.store) == documents
    assert install.run("user", "list") == 0  # the restored database opens as a ready CRM


def test_restore_refuses_a_backup_of_a_newer_schema_and_changes_nothing(install, tmp_path, capsys):
    fill(install, tmp_path)
    database.execute_sql(f'INSERT INTO "{MIGRATION_TABLE}" (name, applied) VALUES (%s, %s)'
                         .replace("%s", database.param), ("9999_from_the_future", "2030-01-01 00:00:00"))
    archive = tmp_path / "future.tar.gz"
    assert install.run("backup", str(archive)) == 0
    database.execute_sql(f'DELETE FROM "{MIGRATION_TABLE}" WHERE name = {database.param}',
                         ("9999_from_the_future",))
    change_everything(install, tmp_path)
    data, documents = data_of(), documents_of(install.store)
    capsys.readouterr()

    assert install.run("restore", "--yes", str(archive)) == cli.EXIT_USAGE
    error = capsys.readouterr().err
    assert "newer crm-tui" in error and "9999_from_the_future" in error
    assert len(error.strip().splitlines()) == 1
    assert data_of() == data and documents_of(install.store) == documents


def _rewrite(archive: Path, target: Path, change) -> None:
    """Copy `archive` to `target`, passing each member's bytes through `change`."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as output:
        for member in source:
            content = change(member.name, source.extractfile(member).read())
            member.size = len(content)
            output.addfile(member, io.BytesIO(content))


def test_a_damaged_archive_is_refused_and_changes_nothing(install, tmp_path, capsys):
    fill(install, tmp_path)
    archive = tmp_path / "good.tar.gz"
    assert install.run("backup", str(archive)) == 0
    damaged = tmp_path / "damaged.tar.gz"
    _rewrite(archive, damaged,
             lambda name, content: content[:-1] + b"!" if name.startswith("documents/") else content)
    change_everything(install, tmp_path)
    data, documents = data_of(), documents_of(install.store)
    capsys.readouterr()
    assert install.run("restore", "--yes", str(damaged)) == cli.EXIT_USAGE
    assert "does not match its hash" in capsys.readouterr().err
    assert data_of() == data and documents_of(install.store) == documents


def test_a_member_outside_the_manifest_is_refused(install, tmp_path, capsys):
    archive = tmp_path / "good.tar.gz"
    assert install.run("backup", str(archive)) == 0
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(evil, "w:gz") as output:
        for member in source:
            output.addfile(member, source.extractfile(member))
        extra = tarfile.TarInfo("../../outside.txt")
        extra.size = 4
        output.addfile(extra, io.BytesIO(b"evil"))
    assert install.run("restore", "--yes", str(evil)) == cli.EXIT_USAGE
    assert "unexpected member" in capsys.readouterr().err
    assert not (tmp_path.parent / "outside.txt").exists()


def test_restore_asks_and_does_nothing_without_a_yes(install, tmp_path, monkeypatch, capsys):
    fill(install, tmp_path)
    archive = tmp_path / "b.tar.gz"
    assert install.run("backup", str(archive)) == 0
    change_everything(install, tmp_path)
    data = data_of()
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda question: "n")
    assert install.run("restore", str(archive)) == cli.EXIT_USAGE
    assert "nothing restored" in capsys.readouterr().err
    assert data_of() == data
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert install.run("restore", str(archive)) == cli.EXIT_USAGE
    assert "--yes" in capsys.readouterr().err


def test_backup_without_a_file_goes_to_the_backup_folder(install, tmp_path, capsys):
    assert install.run("backup") == 0
    written = list((tmp_path / "backups").glob("crm-tui-*.tar.gz"))
    assert len(written) == 1 and str(written[0]) in capsys.readouterr().out
    assert oct(written[0].stat().st_mode & 0o777) == "0o600"
    assert install.run("backup", str(tmp_path / "backups") + "/") == 0
    assert len(list((tmp_path / "backups").glob("crm-tui-*.tar.gz"))) >= 1


def test_sqlite_backup_is_consistent_while_someone_writes(tmp_path):
    place = Install(tmp_path, f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    assert place.run("init") == 0
    writer = sqlite3.connect(tmp_path / "crm.sqlite3", check_same_thread=False)
    writer.execute("CREATE TABLE busy (n INTEGER)")
    writer.commit()
    stop = threading.Event()

    def keep_writing():
        n = 0
        while not stop.is_set():
            n += 1
            writer.execute("INSERT INTO busy VALUES (?)", (n,))
            writer.commit()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        for number in range(3):
            assert place.run("backup", str(tmp_path / f"b{number}.tar.gz")) == 0
    finally:
        stop.set()
        thread.join()
        writer.close()
    with tarfile.open(tmp_path / "b2.tar.gz") as archive:
        archive.extract("database.sqlite3", tmp_path / "out", filter="data")
    copy = sqlite3.connect(tmp_path / "out" / "database.sqlite3")
    numbers = [n for (n,) in copy.execute("SELECT n FROM busy ORDER BY n")]
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert numbers == list(range(1, len(numbers) + 1))  # a whole prefix: one moment's state
    database.close()


def test_init_backs_up_before_a_migration_changes_existing_data(tmp_path, capsys):
    from playhouse.migrations import Runner

    path = tmp_path / "crm.sqlite3"
    old = open_database(f"sqlite:///{path}")
    Runner(old, str(MIGRATIONS)).up(target="0001_initial")
    old.close()
    place = Install(tmp_path, f"sqlite:///{path}")
    assert place.run("init") == 0
    out = capsys.readouterr().out
    written = list((tmp_path / "backups").glob("*.tar.gz"))
    assert len(written) == 1 and f"backup before the upgrade: {written[0]}" in out
    assert backup.verify(written[0]).migrations == ["0001_initial"]
    assert "0002_seed_roles_and_dictionary" in out
    # Up to date now: no further backup.
    assert place.run("init") == 0
    assert len(list((tmp_path / "backups").glob("*.tar.gz"))) == 1
    database.close()


def test_postgres_backup_says_clearly_when_pg_dump_is_missing(install, monkeypatch, tmp_path, capsys):
    if install.config.database.url.startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    assert install.run("backup", str(tmp_path / "b.tar.gz")) == cli.EXIT_USAGE
    error = capsys.readouterr().err
    assert "pg_dump is not installed" in error and len(error.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.tar.gz")) and not list(tmp_path.glob(".*partial"))


def test_manifest_lists_every_file_with_its_hash(install, tmp_path):
    fill(install, tmp_path)
    archive = tmp_path / "b.tar.gz"
    assert install.run("backup", str(archive)) == 0
    with tarfile.open(archive) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
    names = {entry["name"] for entry in manifest["files"]}
    stored = {f"documents/{key}" for key in documents_of(install.store)}
    assert stored <= names and len(names) == len(stored) + 1
    for entry in manifest["files"]:
        if entry["name"].startswith("documents/"):
            assert entry["sha256"] == entry["name"].rsplit("/", 1)[1]


def test_init_upgrades_nothing_when_its_backup_cannot_be_made(tmp_path, capsys):
    from playhouse.migrations import Runner

    from crm_tui.db import applied_migrations

    path = tmp_path / "crm.sqlite3"
    old = open_database(f"sqlite:///{path}")
    Runner(old, str(MIGRATIONS)).up(target="0001_initial")
    old.close()
    place = Install(tmp_path, f"sqlite:///{path}")
    (tmp_path / "backups").write_text("a file where the backup folder should be")
    assert place.run("init") == cli.EXIT_USAGE
    error = capsys.readouterr().err
    assert "backup failed" in error and "--no-backup" in error
    assert applied_migrations(database) == ["0001_initial"]
    assert place.run("init", "--no-backup") == 0
    assert sorted(applied_migrations(database)) == sorted(p.stem for p in MIGRATIONS.glob("0*.py"))
    database.close()


def _with_database_changed(archive: Path, target: Path, change) -> None:
    """A copy of `archive` whose database member is changed by `change` and
    whose manifest says the new hash: it passes every check of the archive."""
    with tarfile.open(archive, "r:gz") as source:
        manifest = json.load(source.extractfile("manifest.json"))
        member_name = next(f["name"] for f in manifest["files"] if f["name"].startswith("database."))
        changed = change(source.extractfile(member_name).read())
    for entry in manifest["files"]:
        if entry["name"] == member_name:
            entry["sha256"], entry["size"] = __import__("hashlib").sha256(changed).hexdigest(), len(changed)

    def rewrite(name, content):
        if name == "manifest.json":
            return json.dumps(manifest).encode()
        return changed if name == member_name else content
    _rewrite(archive, target, rewrite)


def test_a_database_that_fails_while_being_restored_changes_nothing(install, tmp_path, capsys, monkeypatch):
    fill(install, tmp_path)
    archive = tmp_path / "good.tar.gz"
    assert install.run("backup", str(archive)) == 0
    change_everything(install, tmp_path)
    data, documents = data_of(), documents_of(install.store)
    broken = tmp_path / "broken.tar.gz"
    if install.config.database.url.startswith("sqlite"):
        # The replacement itself fails (say, the disk fills up) after the
        # documents were swapped in: they must go back.
        _rewrite(archive, broken, lambda name, content: content)

        def failing_replace(copy, target):
            raise backup.BackupError("disk full")
        monkeypatch.setattr(backup, "_sqlite_replace", failing_replace)
    else:
        # A dump whose last statement fails: psql runs it all in one transaction.
        _with_database_changed(archive, broken, lambda dump: dump + b"\nSELECT 1/0;\n")
    capsys.readouterr()
    assert install.run("restore", "--yes", str(broken)) == cli.EXIT_USAGE
    assert "restore failed" in capsys.readouterr().err
    assert data_of() == data and documents_of(install.store) == documents
    assert not [p for p in install.store.folder.parent.iterdir() if ".before-restore" in p.name
                or p.name.startswith(".crm-restore")]


def test_a_damaged_sqlite_copy_is_refused_before_anything_changes(tmp_path, capsys):
    place = Install(tmp_path, f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    assert place.run("init") == 0
    archive = tmp_path / "good.tar.gz"
    assert place.run("backup", str(archive)) == 0
    broken = tmp_path / "broken.tar.gz"
    _with_database_changed(archive, broken, lambda copy: copy[:8192] + b"\xff" * 4096 + copy[12288:])
    before = (tmp_path / "crm.sqlite3").read_bytes()
    assert place.run("restore", "--yes", str(broken)) == cli.EXIT_USAGE
    assert "damaged" in capsys.readouterr().err
    assert (tmp_path / "crm.sqlite3").read_bytes() == before
    database.close()

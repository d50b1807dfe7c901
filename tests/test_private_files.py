"""Files on disk are private: the database and its -wal/-shm, the demo
database, the worker's log and the document store are created owner-only
(0600 files, 0700 folders) whatever the umask."""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from crm_tui import cli, demo
from crm_tui.config import Config
from crm_tui.documents import DocumentStore
from crm_tui.models import Document, database
from crm_tui.worker import _start_logging, log
from tests.conftest import make_customer


@pytest.fixture
def open_umask():
    """A permissive umask, as a careless shell might have."""
    previous = os.umask(0o002)
    yield
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_init_creates_a_private_database_folder_and_files(tmp_path, open_umask):
    folder = tmp_path / "var" / "crm"
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: sqlite:///{folder / 'crm.sqlite3'}\n")
    assert cli.main(["--config", str(config), "init"]) == 0
    database.execute_sql("SELECT 1")  # the -wal and -shm exist while connected
    files = [folder / name for name in ("crm.sqlite3", "crm.sqlite3-wal", "crm.sqlite3-shm")]
    assert all(path.exists() for path in files)
    assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
    assert mode(folder) == 0o700 and mode(folder.parent) == 0o700
    database.close()


def test_the_demo_database_and_its_folder_are_private(tmp_path, open_umask):
    target = tmp_path / "data" / "crm-tui" / "demo.sqlite3"
    demo.prepare_demo(Config(), path=target, progress=lambda line: None)
    database.obj.close()
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700 and mode(target.parent.parent) == 0o700


def test_the_worker_log_is_private(tmp_path, open_umask):
    log_file = tmp_path / "logs" / "crm-worker.log"
    handlers = _start_logging(str(log_file))
    try:
        log.info("scan started (test)")
    finally:
        for handler in handlers:
            log.removeHandler(handler)
            handler.close()
    assert "scan started" in log_file.read_text(encoding="utf-8")
    assert mode(log_file) == 0o600 and mode(log_file.parent) == 0o700


def test_the_document_store_is_private(sqlite_db, people, tmp_path, open_umask):
    store = DocumentStore(tmp_path / "store" / "documents", max_size_mb=1,
                          upload_folders=(tmp_path,), export_folder=tmp_path / "out")
    (tmp_path / "out").mkdir()
    source = tmp_path / "contract.txt"
    source.write_bytes(b"contract")
    document = Document.attach(people.manager, make_customer(people.manager).id, source, store)
    stored = store.path_of(document.sha256)
    assert mode(stored) == 0o600
    assert mode(stored.parent) == 0o700
    assert mode(store.folder) == 0o700 and mode(store.folder.parent) == 0o700
    exported = document.export_by(people.manager, tmp_path / "out", store)
    assert mode(exported) == 0o600

"""Attaching and exporting stay inside the user's business: only regular
files from the upload folders, never the CRM's own files; copies only into
the export folder. And the store heals: a damaged stored copy is replaced
when the same content comes again; a full disk is said to be the store's."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pytest

from crm_tui.config import Config, DatabaseConfig, DocumentsConfig, load_config, parse_config
from crm_tui.documents import DocumentStore
from crm_tui.models import Document
from crm_tui.models.errors import CrmError, ValidationError
from tests.conftest import make_customer


@pytest.fixture
def customer(sqlite_db, people):
    return make_customer(people.manager)


@pytest.fixture
def folders(tmp_path):
    uploads, exports = tmp_path / "uploads", tmp_path / "exports"
    uploads.mkdir()
    exports.mkdir()
    return uploads, exports


@pytest.fixture
def store(tmp_path, folders):
    uploads, exports = folders
    return DocumentStore(tmp_path / "store", max_size_mb=1, upload_folders=(uploads,),
                         export_folder=exports)


def refused(customer, people, path, store) -> str:
    with pytest.raises(ValidationError) as error:
        Document.attach(people.manager, customer.id, path, store)
    return error.value.errors["path"]


def test_files_outside_the_upload_folders_are_refused(customer, people, store, folders, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    assert "only from" in refused(customer, people, outside, store)
    assert "only from" in refused(customer, people, "/etc/passwd", store)
    assert "only from" in refused(customer, people, "../outside.txt", store)
    assert Document.select().count() == 0


def test_a_link_leading_out_is_refused_one_inside_is_followed(customer, people, store, folders,
                                                              tmp_path):
    uploads, _ = folders
    (tmp_path / "outside.txt").write_text("secret")
    (uploads / "out").symlink_to(tmp_path / "outside.txt")
    assert "only from" in refused(customer, people, uploads / "out", store)
    (uploads / "报价单.txt").write_text("quote")
    (uploads / "in").symlink_to(uploads / "报价单.txt")
    assert Document.attach(people.manager, customer.id, uploads / "in", store).size == 5
    # A relative path is taken in the (first) upload folder.
    assert Document.attach(people.manager, customer.id, "报价单.txt", store).name == "报价单.txt"


def test_devices_pipes_and_system_files_are_refused_wherever_uploads_are(customer, people,
                                                                         tmp_path):
    everywhere = DocumentStore(tmp_path / "store", max_size_mb=1, upload_folders=("/",))
    for path in ("/proc/self/environ", "/sys/kernel/hostname", "/dev/zero", "/dev/null"):
        assert "ordinary files" in refused(customer, people, path, everywhere), path
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    # Refused at once, not hanging on the open.
    assert "ordinary files" in refused(customer, people, fifo, everywhere)
    assert Document.select().count() == 0


def test_the_crms_own_files_are_refused_even_inside_an_upload_folder(customer, people, tmp_path):
    database_file = tmp_path / "crm.sqlite3"  # the sqlite_db fixture's file
    config_file = tmp_path / "config.yaml"
    config_file.write_text(f"database:\n  url: sqlite:///{database_file}\n"
                           f"documents:\n  folder: {tmp_path / 'store'}\n"
                           f"  upload_folders: [{tmp_path}]\n", encoding="utf-8")
    store = DocumentStore.from_config(load_config(str(config_file)))
    assert store.upload_folders == (tmp_path,)
    os.link(database_file, tmp_path / "copy-by-hard-link")
    wal = Path(f"{database_file}-wal")
    assert wal.exists()
    for path in (database_file, wal, config_file, tmp_path / "copy-by-hard-link"):
        assert "own files" in refused(customer, people, path, store), path
    ordinary = tmp_path / "contract.txt"
    ordinary.write_bytes(b"contract")
    document = Document.attach(people.manager, customer.id, ordinary, store)
    assert "own files" in refused(customer, people, store.path_of(document.sha256), store)


def test_exports_go_only_into_the_export_folder(customer, people, store, folders, tmp_path):
    uploads, exports = folders
    (uploads / "a.txt").write_bytes(b"content")
    document = Document.attach(people.manager, customer.id, uploads / "a.txt", store)
    for destination in (tmp_path / "elsewhere.txt", "/etc/cron.d/x", "../escape.txt",
                        tmp_path):
        with pytest.raises(ValidationError) as error:
            document.export_by(people.manager, destination, store)
        assert "only into" in error.value.errors["path"], destination
    (exports / "link").symlink_to(tmp_path)
    with pytest.raises(ValidationError):
        document.export_by(people.manager, exports / "link" / "x.txt", store)
    # A link placed where the copy would go is not followed.
    (exports / "trap.txt").symlink_to(tmp_path / "trap-target.txt")
    with pytest.raises(ValidationError):
        document.export_by(people.manager, exports / "trap.txt", store)
    assert not (tmp_path / "trap-target.txt").exists()
    assert not list(tmp_path.glob("*.txt"))
    written = document.export_by(people.manager, "copy.txt", store)
    assert written == exports / "copy.txt" and written.read_bytes() == b"content"
    assert document.export_by(people.manager, exports, store) == exports / "a.txt"


def test_upload_and_export_folders_default_to_home_and_come_from_the_config():
    default = DocumentStore.from_config(Config())
    assert default.upload_folders == (Path.home(),) and default.export_folder == Path.home()
    config = parse_config("documents:\n  upload_folders: [/srv/crm/in, ~/in]\n"
                          "  export_folder: /srv/crm/out\n")
    store = DocumentStore.from_config(config)
    assert store.upload_folders == (Path("/srv/crm/in"), Path.home() / "in")
    assert store.export_folder == Path("/srv/crm/out")
    from crm_tui.config import ConfigError
    with pytest.raises(ConfigError, match="documents.upload_folders"):
        parse_config("documents:\n  upload_folders: /srv/crm/in\n")


# ----- the store heals ------------------------------------------------------

def test_a_damaged_stored_copy_is_replaced_when_the_content_comes_again(customer, people, store,
                                                                        folders):
    uploads, exports = folders
    content = b"the signed contract" * 100
    (uploads / "contract.pdf").write_bytes(content)
    document = Document.attach(people.manager, customer.id, uploads / "contract.pdf", store)
    stored = store.path_of(document.sha256)
    stored.write_bytes(b"X" * len(content))  # same size, other bytes
    with pytest.raises(CrmError):
        document.export_by(people.manager, exports, store)
    Document.attach(people.manager, customer.id, uploads / "contract.pdf", store)
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == document.sha256
    assert document.export_by(people.manager, exports, store).read_bytes() == content


def test_a_full_store_disk_is_said_to_be_the_stores(customer, people, store, folders,
                                                    monkeypatch):
    uploads, _ = folders
    (uploads / "a.txt").write_bytes(b"content")
    real_mkstemp = tempfile.mkstemp

    def on_a_full_disk(*args, **kwargs):
        # The temporary file is made as usual, but writes go to /dev/full,
        # which answers every write with ENOSPC as a full disk does.
        handle, name = real_mkstemp(*args, **kwargs)
        os.close(handle)
        return os.open("/dev/full", os.O_WRONLY), name

    monkeypatch.setattr(tempfile, "mkstemp", on_a_full_disk)
    with pytest.raises(CrmError) as error:
        Document.attach(people.manager, customer.id, uploads / "a.txt", store)
    assert not isinstance(error.value, ValidationError)  # not the source file's fault
    message = str(error.value)
    assert "full" in message and str(store.folder) in message and "read" not in message
    assert Document.select().count() == 0
    assert not [p for p in store.folder.rglob("*") if p.is_file()]


def test_list_exports_go_only_into_the_export_folder(tmp_path):
    from crm_tui.screens.list_export import check_path, default_path

    exports = tmp_path / "exports"
    exports.mkdir()
    for outside in ("/etc/cron.d/x.csv", str(tmp_path / "x.csv"), "../x.csv"):
        with pytest.raises(ValidationError) as error:
            check_path({"path": outside}, exports)
        assert "only into" in error.value.errors["path"], outside
    assert check_path({"path": "客户.csv"}, exports) == exports / "客户.csv"
    assert default_path("customers", exports).startswith(str(exports / "customers-"))

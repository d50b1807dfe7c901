"""Documents attached to customers (M8): content stored once by its hash,
the size limit, removal of a file only when nothing points to it, export,
and the customer's scope."""
from __future__ import annotations

import contextlib
import hashlib
import os
import threading

import pytest

from crm_tui.config import Config, DocumentsConfig
from crm_tui.documents import DocumentStore, TooLarge, default_folder
from crm_tui.models import AuditLog, Document
from crm_tui.models.errors import NotFound, PermissionDenied, ValidationError
from tests.conftest import make_customer


@pytest.fixture
def store(tmp_path):
    return DocumentStore(tmp_path / "store", max_size_mb=1, upload_folders=(tmp_path,),
                         export_folder=tmp_path)


@pytest.fixture
def customer(crm_db, people):
    return make_customer(people.manager, name="北京远大科技有限公司")


def write(path, content: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def stored_files(store):
    return sorted(p.name for p in store.folder.rglob("*") if p.is_file())


def test_attached_file_is_stored_under_its_hash_and_listed(customer, people, store, tmp_path):
    content = "合同 第一版\n".encode() * 1000
    source = write(tmp_path / "in" / "合同.docx", content)

    document = Document.attach(people.manager, customer.id, source, store)

    digest = hashlib.sha256(content).hexdigest()
    assert (document.name, document.size, document.sha256) == ("合同.docx", len(content), digest)
    assert store.path_of(digest).read_bytes() == content
    assert stored_files(store) == [digest]  # no temporary file left behind
    listed = list(Document.of_customer(people.manager, customer.id))
    assert [(d.name, d.size, d.uploader_name) for d in listed] == [
        ("合同.docx", len(content), "王经理")]
    assert AuditLog.select().where((AuditLog.table_name == "document")
                                   & (AuditLog.row_id == document.id)).exists()


def test_same_content_twice_is_stored_once(customer, people, store, tmp_path):
    other_customer = make_customer(people.manager, name="上海某公司")
    first = Document.attach(people.manager, customer.id, write(tmp_path / "a.pdf", b"same"), store)
    second = Document.attach(people.manager, other_customer.id,
                             write(tmp_path / "copy of a.pdf", b"same"), store)
    third = Document.attach(people.manager, customer.id, write(tmp_path / "b.pdf", b"other"), store)

    assert first.sha256 == second.sha256 != third.sha256
    assert Document.select().count() == 3
    assert stored_files(store) == sorted([first.sha256, third.sha256])


def test_over_the_limit_is_refused_with_the_limit_in_the_message(customer, people, store,
                                                                 tmp_path):
    just_right = write(tmp_path / "ok.bin", b"x" * (1024 * 1024))
    too_big = write(tmp_path / "big.bin", b"x" * (1024 * 1024 + 1))

    Document.attach(people.manager, customer.id, just_right, store)
    with pytest.raises(ValidationError) as error:
        Document.attach(people.manager, customer.id, too_big, store)

    assert "1 MB" in error.value.errors["path"]
    assert Document.select().count() == 1
    assert len(stored_files(store)) == 1


def test_limit_holds_while_copying_a_stream_that_grows(store, tmp_path):
    # A pipe reports no size up front: the limit stops it while copying.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def write_too_much():
        with contextlib.suppress(BrokenPipeError), open(fifo, "wb") as pipe:
            for _ in range(3):
                pipe.write(b"y" * (1024 * 1024))
    writer = threading.Thread(target=write_too_much)
    writer.start()
    try:
        with open(fifo, "rb") as reader, pytest.raises(TooLarge) as error:
            store.receive(reader)
    finally:
        writer.join(timeout=10)
    assert error.value.limit_mb == 1
    assert stored_files(store) == []


def test_deleted_documents_file_goes_only_when_nothing_points_to_it(customer, people, store,
                                                                    tmp_path):
    other_customer = make_customer(people.manager, name="上海某公司")
    first = Document.attach(people.manager, customer.id, write(tmp_path / "a.pdf", b"shared"),
                            store)
    second = Document.attach(people.manager, other_customer.id,
                             write(tmp_path / "a2.pdf", b"shared"), store)
    path = store.path_of(first.sha256)

    assert first.delete_by(people.manager, store) is False
    assert path.exists()
    assert second.delete_by(people.manager, store) is True
    assert not path.exists()
    assert Document.select().count() == 0
    with pytest.raises(NotFound):
        second.delete_by(people.manager, store)


def test_export_writes_a_copy_and_never_overwrites(customer, people, store, tmp_path):
    content = b"%PDF-1.4\n" + os.urandom(5000)
    document = Document.attach(people.manager, customer.id, write(tmp_path / "报价单.pdf", content),
                               store)
    out = tmp_path / "out"
    out.mkdir()

    into_folder = document.export_by(people.manager, out, store)
    assert into_folder == out / "报价单.pdf"
    assert into_folder.read_bytes() == content
    named = document.export_by(people.supervisor, out / "copy.pdf", store)
    assert named.read_bytes() == content

    with pytest.raises(ValidationError) as error:
        document.export_by(people.manager, out / "copy.pdf", store)
    assert "there already" in error.value.errors["path"]
    with pytest.raises(ValidationError):
        document.export_by(people.manager, tmp_path / "no such folder" / "x.pdf", store)


def test_damaged_store_is_reported_not_exported(customer, people, store, tmp_path):
    document = Document.attach(people.manager, customer.id, write(tmp_path / "a.txt", b"abc"),
                               store)
    store.path_of(document.sha256).write_bytes(b"tampered")
    target = tmp_path / "a-copy.txt"
    with pytest.raises(Exception, match="damaged"):
        document.export_by(people.manager, target, store)
    assert not target.exists()
    store.path_of(document.sha256).unlink()
    with pytest.raises(Exception, match="missing"):
        document.export_by(people.manager, target, store)


def test_scope_follows_the_customer(customer, people, store, tmp_path):
    source = write(tmp_path / "a.txt", b"abc")
    for outsider in (people.other_manager, people.executive, people.supervisor):
        with pytest.raises((PermissionDenied, NotFound)):
            Document.attach(outsider, customer.id, source, store)
    assert stored_files(store) == []

    document = Document.attach(people.manager, customer.id, source, store)
    # Readers who see every customer list and export; they do not delete.
    assert Document.of_customer(people.executive, customer.id).count() == 1
    document.export_by(people.executive, tmp_path / "exec-copy.txt", store)
    with pytest.raises(PermissionDenied):
        document.delete_by(people.executive, store)
    # Another manager neither sees nor touches it.
    with pytest.raises(NotFound):
        Document.of_customer(people.other_manager, customer.id)
    with pytest.raises(NotFound):
        document.export_by(people.other_manager, tmp_path / "theirs.txt", store)
    with pytest.raises(PermissionDenied):
        document.delete_by(people.other_manager, store)
    assert Document.select().count() == 1 and store.has(document.sha256)
    # The administrator may edit every customer.
    assert document.delete_by(people.admin, store) is True


def test_missing_path_is_said_at_the_field(customer, people, store, tmp_path):
    for path in ("", tmp_path / "nothing.txt", tmp_path):
        with pytest.raises(ValidationError) as error:
            Document.attach(people.manager, customer.id, path, store)
        assert "path" in error.value.errors


def test_store_folder_comes_from_the_config(tmp_path):
    configured = DocumentStore.from_config(Config(documents=DocumentsConfig(
        folder=str(tmp_path / "docs"), max_size_mb=7)))
    assert (configured.folder, configured.max_bytes) == (tmp_path / "docs", 7 * 1024 * 1024)
    empty = DocumentStore.from_config(DocumentsConfig(folder="", max_size_mb=20))
    assert empty.folder == default_folder()
    assert default_folder().parts[-2:] == ("crm-tui", "documents")

"""Documents attached to a contract (M11: "documents attach as in M8"): they
are the customer's documents too, the contract lists its own, and a contract
of another customer or out of the user's scope takes none."""
from __future__ import annotations

import pytest

from crm_tui.config import DocumentsConfig
from crm_tui.documents import DocumentStore
from crm_tui.models import AuditLog, Contract, Document
from crm_tui.models.errors import NotFound, ValidationError
from crm_tui.screens.documents import PathModal, RecordDocumentsScreen
from crm_tui.screens.records import RecordScreen
from tests.conftest import make_customer
from tests.pilot import app_for, press_and_settle, push_and_settle, save, sign_in, type_text
from tests.test_contracts import contract_values


@pytest.fixture
def store(tmp_path):
    return DocumentStore(tmp_path / "store", max_size_mb=1, upload_folders=(tmp_path,),
                         export_folder=tmp_path)


@pytest.fixture
def signed_copy(tmp_path):
    path = tmp_path / "合同扫描件.pdf"
    path.write_bytes(b"%PDF-1.4 signed copy\n")
    return path


@pytest.fixture
def contract(crm_db, people):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    return Contract.create_by(people.manager, contract_values(customer))


def test_a_document_attached_to_a_contract_is_also_the_customers(contract, people, store,
                                                                  signed_copy, tmp_path):
    loose = tmp_path / "名片.txt"
    loose.write_text("card", encoding="utf-8")
    Document.attach(people.manager, contract.customer_id, loose, store)
    attached = Document.attach(people.manager, contract.customer_id, signed_copy, store,
                               contract.id)

    assert attached.contract_id == contract.id
    of_contract = Document.of_customer(people.manager, contract.customer_id, contract.id)
    assert [document.name for document in of_contract] == ["合同扫描件.pdf"]
    of_customer = Document.of_customer(people.manager, contract.customer_id)
    assert sorted(document.name for document in of_customer) == ["合同扫描件.pdf", "名片.txt"]
    row = AuditLog.get(AuditLog.table_name == "document", AuditLog.row_id == attached.id,
                       AuditLog.field == "contract")
    assert row.new == str(contract.id)


def test_a_contract_of_another_customer_or_out_of_scope_takes_nothing(contract, people, store,
                                                                      signed_copy):
    other = make_customer(people.manager, name="上海浦东贸易有限公司")
    with pytest.raises(ValidationError) as refused:
        Document.attach(people.manager, other.id, signed_copy, store, contract.id)
    assert "contract" in refused.value.errors
    theirs = make_customer(people.other_manager, name="广州天河电子有限公司")
    their_contract = Contract.create_by(people.other_manager, contract_values(theirs))
    with pytest.raises(NotFound):
        Document.attach(people.manager, contract.customer_id, signed_copy, store, their_contract.id)
    assert Document.select().count() == 0
    assert not list(store.folder.rglob("*.*"))


def test_deleting_the_contract_keeps_the_customers_document(contract, people, store, signed_copy):
    document = Document.attach(people.manager, contract.customer_id, signed_copy, store,
                               contract.id)
    contract.delete_by(people.manager)
    assert Document.get_by_id(document.id).contract_id is None


async def test_attach_a_signed_copy_from_the_contracts_screen(sqlite_db, sqlite_url, people,
                                                             tmp_path, signed_copy):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    contract = Contract.create_by(people.manager, contract_values(customer))
    app = app_for(sqlite_url, documents=DocumentsConfig(
        folder=str(tmp_path / "store"), max_size_mb=1, upload_folders=(str(tmp_path),),
        export_folder=str(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await push_and_settle(pilot, RecordScreen("contract", contract.id))
        await press_and_settle(pilot, "f")
        assert isinstance(app.screen, RecordDocumentsScreen)
        assert contract.number in str(app.screen.query_one(".screen-title").render())
        await press_and_settle(pilot, "n")
        assert isinstance(app.screen, PathModal)
        await type_text(pilot, str(signed_copy))
        await save(pilot)
        assert isinstance(app.screen, RecordDocumentsScreen)
        assert app.screen.query_one("#documents-table").row_count == 1
    document = Document.get()
    assert (document.name, document.customer_id, document.contract_id) == (
        "合同扫描件.pdf", customer.id, contract.id)

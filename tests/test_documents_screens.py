"""The documents screen driven like a person: attach a file picked in the
folder tree, attach by a typed path, refuse one over the limit, export a
copy, delete after confirming."""
from __future__ import annotations

from pathlib import Path

from textual.widgets import DirectoryTree, Input, Static

from crm_tui.app import CrmApp
from crm_tui.config import DocumentsConfig
from crm_tui.models import Document
from crm_tui.screens.documents import CustomerDocumentsScreen, PathModal
from crm_tui.widgets.confirm import ConfirmModal
from tests.conftest import make_customer
from tests.pilot import (app_for, open_tab, press_and_settle, push_and_settle, save, settle,
                         sign_in, type_text)


def documents_app(sqlite_url, store_folder, work: Path | None = None) -> CrmApp:
    """Files come from, and copies go to, `work` (default: the home folder)."""
    folders = {} if work is None else {"upload_folders": (str(work),), "export_folder": str(work)}
    return app_for(sqlite_url, documents=DocumentsConfig(folder=str(store_folder), max_size_mb=1,
                                                         **folders))


async def test_attach_export_and_delete_a_document(sqlite_db, sqlite_url, people, tmp_path,
                                                   monkeypatch):
    home = tmp_path / "home"
    (home / "quotes").mkdir(parents=True)
    (home / "quotes" / "offer.txt").write_bytes(b"offer for Q3\n")
    (home / "big.bin").write_bytes(b"x" * (1024 * 1024 + 1))
    monkeypatch.setenv("HOME", str(home))  # where the folder tree opens
    store_folder = tmp_path / "store"
    customer = make_customer(people.manager, name="北京远大科技有限公司")

    app = documents_app(sqlite_url, store_folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await push_and_settle(pilot, CustomerDocumentsScreen(customer.id))
        screen = app.screen
        table = screen.query_one("#documents-table")

        # Pick a file in the tree: Tab to the tree, open the folder, choose the file.
        await press_and_settle(pilot, "n")
        assert isinstance(app.screen, PathModal)
        await pilot.press("tab")
        tree = app.screen.query_one(DirectoryTree)
        assert tree.has_focus
        await settle(pilot)
        labels = [str(node.label) for node in tree.root.children]
        # The first line is the home folder itself.
        await pilot.press(*["down"] * (labels.index("quotes") + 1))
        assert str(tree.cursor_node.label) == "quotes"
        await press_and_settle(pilot, "enter")  # open the folder
        await press_and_settle(pilot, "down", "enter")  # the file in it
        path_input = app.screen.query_one("#documents-path", Input)
        assert path_input.value == str(home / "quotes" / "offer.txt")
        await save(pilot)

        assert app.screen is screen
        document = Document.get()
        assert (document.name, document.size, document.customer_id, document.uploaded_by_id) == (
            "offer.txt", 13, customer.id, people.manager.id)
        assert (store_folder / document.sha256[:2] / document.sha256).read_bytes() == b"offer for Q3\n"
        assert table.row_count == 1

        # A typed path over the limit: refused, the limit said, the form open.
        await press_and_settle(pilot, "n")
        await type_text(pilot, "~/big.bin")
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, PathModal)
        assert "1 MB" in str(app.screen.query_one("#documents-error", Static).render())
        # A file outside the upload folder (the home folder): refused, the form open.
        path_input = app.screen.query_one("#documents-path", Input)
        path_input.value = ""
        await type_text(pilot, "/etc/passwd")
        await press_and_settle(pilot, "enter")
        assert isinstance(app.screen, PathModal)
        assert "only from" in str(app.screen.query_one("#documents-error", Static).render())
        await press_and_settle(pilot, "escape")
        assert Document.select().count() == 1

        # Export a copy into a folder.
        out = home / "out"
        out.mkdir()
        await press_and_settle(pilot, "x")
        # The path starts as the home folder: add the folder's name.
        assert app.screen.query_one("#documents-path", Input).value == f"{home}/"
        await type_text(pilot, "out")
        await save(pilot)
        assert app.screen is screen
        assert (out / "offer.txt").read_bytes() == b"offer for Q3\n"

        # Delete, after saying yes.
        await press_and_settle(pilot, "d")
        assert isinstance(app.screen, ConfirmModal)
        await press_and_settle(pilot, "y")
        assert Document.select().count() == 0
        assert not (store_folder / document.sha256[:2] / document.sha256).exists()
        assert table.row_count == 0


async def test_read_only_user_sees_no_attach_or_delete_keys(sqlite_db, sqlite_url, people,
                                                            tmp_path):
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    app = documents_app(sqlite_url, tmp_path / "store")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "exec")
        await push_and_settle(pilot, CustomerDocumentsScreen(customer.id))
        keys = {active.binding.id for active in app.screen.active_bindings.values()
                if active.binding.id and active.binding.id.startswith("documents.")}
        assert keys == {"documents.export"}
        await press_and_settle(pilot, "n")
        assert isinstance(app.screen, CustomerDocumentsScreen)


async def test_mail_and_documents_panes_work_as_customer_screen_tabs(sqlite_db, sqlite_url,
                                                                     people, tmp_path,
                                                                     monkeypatch):
    from crm_tui.screens import customer_detail
    from crm_tui.screens.customer_detail import CustomerDetailScreen, DetailTab, pane
    from crm_tui.screens.mail import ComposeMailModal

    tabs = {tab.key for tab in customer_detail.DETAIL_TABS}
    extra = [DetailTab("mail", "mail.module", pane("crm_tui.screens.mail", "CustomerMailPane")),
             DetailTab("documents", "documents.module",
                       pane("crm_tui.screens.documents", "CustomerDocumentsPane"))]
    monkeypatch.setattr(customer_detail, "DETAIL_TABS",
                        customer_detail.DETAIL_TABS + [tab for tab in extra if tab.key not in tabs])
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    (tmp_path / "spec.txt").write_bytes(b"spec")
    app = documents_app(sqlite_url, tmp_path / "store", work=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await push_and_settle(pilot, CustomerDetailScreen(customer.id))

        await open_tab(pilot, "documents")
        await press_and_settle(pilot, "n")
        assert isinstance(app.screen, PathModal)
        app.screen.query_one("#documents-path", Input).value = str(tmp_path / "spec.txt")
        await save(pilot)
        assert Document.get().name == "spec.txt"

        await open_tab(pilot, "mail")
        await press_and_settle(pilot, "n")
        assert isinstance(app.screen, ComposeMailModal)

"""Database faults told plainly: a full disk, a read-only database and a
database file deleted or replaced under a running app each give one line
naming the cause; the open form keeps what was typed; nothing is ever
written into a new file that appeared in place of the configured one."""
from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from crm_tui.models import Customer, Opportunity, database
from crm_tui.models.errors import DatabaseFault
from crm_tui.screens.records import RecordListScreen
from crm_tui.widgets.forms import FormModal
from tests.conftest import customer_values, make_customer
from tests.pilot import (app_for, fill, form_message, open_module, press_and_settle, save,
                         sign_in)

NOT_THESE = ("cannot rollback", "no such table", "no transaction")


def one_plain_line(error: Exception, *words: str) -> str:
    text = str(error)
    assert "\n" not in text
    assert not any(bad in text for bad in NOT_THESE), text
    assert all(word in text for word in words), text
    return text


def files_of(path: Path) -> list[Path]:
    return [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]


def test_a_full_disk_is_said_and_the_database_stays_usable(sqlite_db, people):
    make_customer(people.manager, name="第一个客户")
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    # SQLite's own limit on the file's size: the same SQLITE_FULL a full disk gives.
    database.execute_sql(f"PRAGMA max_page_count = {pages}")
    saved = 1
    with pytest.raises(DatabaseFault) as error:
        for number in range(1000):  # until the file cannot grow
            Customer.create_by(people.manager, customer_values(
                people.manager, name=f"客户{number}", address="很长的地址" * 40))
            saved += 1
    one_plain_line(error.value, "full", str(sqlite_db.database))
    database.execute_sql("PRAGMA max_page_count = 1073741823")
    # What was saved before stays; the failed one left nothing half-written.
    assert Customer.select().count() == saved
    make_customer(people.manager, name="又一个客户")
    assert Customer.select().count() == saved + 1


def test_a_read_only_database_is_said(sqlite_db, people):
    database.execute_sql("PRAGMA query_only = 1")  # SQLITE_READONLY, as a read-only file gives
    try:
        with pytest.raises(DatabaseFault) as error:
            make_customer(people.manager)
        one_plain_line(error.value, "read only")
    finally:
        database.execute_sql("PRAGMA query_only = 0")
    assert Customer.select().count() == 0


def test_a_deleted_database_file_is_said_and_not_created_again(sqlite_db, people):
    path = Path(sqlite_db.database)
    make_customer(people.manager)
    for file in files_of(path):
        file.unlink(missing_ok=True)
    with pytest.raises(DatabaseFault) as error:
        make_customer(people.manager)
    one_plain_line(error.value, "gone", str(path))
    # A new connection (another session's thread) does not make a new empty file.
    outcome = []

    def other_session():
        try:
            database.connect()
            Customer.select().count()
        except DatabaseFault as fault:
            outcome.append(str(fault))
        finally:
            database.close()

    thread = threading.Thread(target=other_session)
    thread.start()
    thread.join()
    assert outcome and "gone" in outcome[0]
    assert not path.exists()


def test_a_database_file_replaced_by_an_empty_one_is_never_written(sqlite_db, people):
    path = Path(sqlite_db.database)
    make_customer(people.manager)
    for file in files_of(path):
        file.unlink(missing_ok=True)
    sqlite3.connect(path).close()  # a new empty database where the CRM's was
    size = path.stat().st_size
    with pytest.raises(DatabaseFault) as error:
        make_customer(people.manager)
    one_plain_line(error.value, "replaced", str(path))
    with pytest.raises(DatabaseFault):
        database.execute_sql("SELECT 1")
    assert path.stat().st_size == size
    tables = sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == []


TYPED = (("customer_name", "上海新客户"), ("success_rate", "70"), ("summary", "包装线"),
         ("description", "第二个工厂"))
# Pasted into the description when the disk is full: more than a page, so
# the file must grow.
PASTED = "第二个工厂的包装线需要改造。" * 120


async def _new_opportunity_form(pilot) -> FormModal:
    await sign_in(pilot, "wang")
    await open_module(pilot, "opportunities", RecordListScreen)
    await press_and_settle(pilot, "n")
    form = pilot.app.screen
    assert isinstance(form, FormModal)
    for name, text in TYPED:
        await fill(pilot, name, text)
    return form


@pytest.mark.parametrize("fault", ["full", "read only", "gone", "locked"])
async def test_the_open_form_keeps_what_was_typed(sqlite_db, sqlite_url, people, fault):
    app = app_for(sqlite_url)
    path = Path(sqlite_db.database)
    holder = None
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _new_opportunity_form(pilot)
        if fault == "locked":
            # Another process holds the write lock longer than this one waits.
            database.execute_sql("PRAGMA busy_timeout = 100")
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
        elif fault == "full":
            form.widget_for("description").load_text(PASTED)
            pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
            database.execute_sql(f"PRAGMA max_page_count = {pages}")
        elif fault == "read only":
            database.execute_sql("PRAGMA query_only = 1")
        else:
            for file in files_of(path):
                file.unlink(missing_ok=True)
        await save(pilot)
        assert app.screen is form
        one_plain_line(Exception(form_message(form)), fault)
        values = form.values()
        kept = dict(TYPED, description=PASTED) if fault == "full" else dict(TYPED)
        assert {name: values[name] for name, _ in TYPED} == kept
        if fault == "read only":
            database.execute_sql("PRAGMA query_only = 0")
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
    if fault != "gone":
        assert Opportunity.select().count() == 0
    else:
        assert not path.exists()

"""Login does not reveal accounts: a locked account, an unknown login, a
disabled account and a wrong password get one and the same message. The
administrator sees who is locked and since when, and lifts the lock on the
admin screen or with `crm-tui user unlock LOGIN`."""
from __future__ import annotations

import datetime as dt

import pytest

from crm_tui import cli, clock
from crm_tui.models import AuditLog, User
from crm_tui.models import admin
from crm_tui.models.accounts import set_active
from crm_tui.models.errors import InvalidTransition, PermissionDenied
from crm_tui.models.users import LoginFailed, authenticate, is_locked, locked_users
from crm_tui.screens.admin import AdminScreen
from crm_tui.widgets.lazy_table import LazyTable
from tests.conftest import PASSWORD, at, make_user
from tests.pilot import app_for, notices, open_module, press_and_settle, settle, sign_in

LOCKOUT = dict(max_failures=3, lockout_minutes=15)


def _lock(login: str) -> None:
    for _ in range(LOCKOUT["max_failures"]):
        with pytest.raises(LoginFailed):
            authenticate(login, "bad", **LOCKOUT)


def _message(login: str, password: str) -> str:
    with pytest.raises(LoginFailed) as error:
        authenticate(login, password, **LOCKOUT)
    return str(error.value)


def test_locked_unknown_disabled_and_wrong_password_say_the_same(crm_db, people):
    make_user("manager", "li")
    make_user("manager", "gone")
    at(2026, 11, 24, 9)
    _lock("li")
    set_active(None, User.get(User.login == "gone"), False)
    messages = {_message("li", PASSWORD), _message("nobody", PASSWORD),
                _message("gone", PASSWORD), _message("wang", "wrong password")}
    assert len(messages) == 1
    # Nothing in it names the lock's end, as the old message did.
    assert "09:15" not in messages.pop()


def test_the_administrator_sees_who_is_locked_since_when_and_unlocks(crm_db, people):
    at(2026, 11, 24, 9)
    _lock("wang")
    locked = list(locked_users())
    assert [(user.login, user.locked_at) for user in locked] == [
        ("wang", dt.datetime(2026, 11, 24, 9))]
    row = admin.user_query("wang").dicts().first()
    assert str(row["locked_since"]).startswith("2026-11-24 09:00")
    with pytest.raises(PermissionDenied):
        admin.unlock_user(people.other_manager, User.get_by_id(people.manager.id))
    admin.unlock_user(people.admin, User.get_by_id(people.manager.id))
    assert not is_locked(User.get_by_id(people.manager.id))
    assert authenticate("wang", PASSWORD, **LOCKOUT).login == "wang"
    assert AuditLog.select().where((AuditLog.table_name == "user")
                                   & (AuditLog.row_id == people.manager.id)
                                   & (AuditLog.action == "unlock")).exists()
    with pytest.raises(InvalidTransition):
        admin.unlock_user(people.admin, User.get_by_id(people.manager.id))
    # A lock that ran out is no longer listed.
    _lock("wang")
    clock.set_clock(lambda: dt.datetime(2026, 11, 24, 9, 16))
    assert list(locked_users()) == []
    assert admin.user_query("wang").dicts().first()["locked_since"] is None


def test_user_unlock_command(sqlite_db, people, tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: sqlite:///{tmp_path / 'crm.sqlite3'}\nlocale: en\n")
    _lock("wang")
    assert cli.main(["--config", str(config), "user", "list"]) == 0
    assert "wang\t王经理\tmanager\tactive, locked since" in capsys.readouterr().out
    assert cli.main(["--config", str(config), "user", "unlock", "wang"]) == 0
    assert "user wang unlocked" in capsys.readouterr().out
    assert not is_locked(User.get_by_id(people.manager.id))
    assert cli.main(["--config", str(config), "user", "unlock", "wang"]) == cli.EXIT_USAGE
    assert "not locked" in capsys.readouterr().err


async def test_admin_screen_shows_the_lock_and_u_lifts_it(sqlite_url, people):
    _lock("wang")
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await open_module(pilot, "admin", AdminScreen)
        table = app.screen.query_one("#user-table", LazyTable)
        table.set_filter("wang")
        await settle(pilot)
        assert table.current_row["login"] == "wang"
        assert table.current_row["locked_since"] is not None
        await press_and_settle(pilot, "u")
        assert any("unlocked" in text for text in notices(app))
        assert table.current_row["locked_since"] is None
    assert not is_locked(User.get_by_id(people.manager.id))

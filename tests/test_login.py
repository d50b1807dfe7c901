"""Passwords and login: slow salted hash, one error for every failure, lockout."""
import datetime as dt
import logging
import time

import pytest

from crm_tui import clock
from crm_tui.models import User
from crm_tui.models.errors import ValidationError
from crm_tui.models.accounts import change_own_password, set_active
from crm_tui.models.users import LoginFailed, authenticate
from tests.conftest import PASSWORD, at, make_user

LOCKOUT = dict(max_failures=3, lockout_minutes=15)


@pytest.mark.real_hashing
def test_password_is_stored_as_argon2id_with_a_salt(crm_db):
    first = make_user("manager", "li")
    second = make_user("manager", "liu")
    assert first.password_hash.startswith("$argon2id$")
    assert "m=65536,t=3,p=4" in first.password_hash
    assert first.password_hash != second.password_hash  # salted
    assert PASSWORD not in first.password_hash
    assert PASSWORD not in repr(first)


@pytest.mark.real_hashing
def test_unknown_user_and_wrong_password_look_the_same(crm_db):
    make_user("manager", "li")
    timings, messages = {}, {}
    for case, login in (("unknown", "nobody"), ("wrong", "li")):
        started = time.perf_counter()
        with pytest.raises(LoginFailed) as error:
            authenticate(login, "wrong password", **LOCKOUT)
        timings[case] = time.perf_counter() - started
        messages[case] = str(error.value)
    assert messages["unknown"] == messages["wrong"]
    # Both pay one argon2 verification; allow generous noise on a busy machine.
    ratio = timings["unknown"] / timings["wrong"]
    assert 0.3 < ratio < 3, timings


def test_lockout_after_the_configured_failures_and_release_after_the_time(crm_db):
    make_user("manager", "li")
    at(2026, 11, 24, 9)
    for _ in range(3):
        with pytest.raises(LoginFailed):
            authenticate("li", "bad", **LOCKOUT)
    with pytest.raises(LoginFailed):
        authenticate("li", PASSWORD, **LOCKOUT)  # even the right password
    clock.set_clock(lambda: dt.datetime(2026, 11, 24, 9, 16))
    assert authenticate("li", PASSWORD, **LOCKOUT).login == "li"


def test_success_resets_the_failure_count(crm_db):
    make_user("manager", "li")
    for _ in range(2):
        with pytest.raises(LoginFailed):
            authenticate("li", "bad", **LOCKOUT)
    authenticate("li", PASSWORD, **LOCKOUT)
    for _ in range(2):
        with pytest.raises(LoginFailed):
            authenticate("li", "bad", **LOCKOUT)
    assert authenticate("li", PASSWORD, **LOCKOUT).failed_logins == 0


def test_disabled_user_cannot_log_in_and_last_admin_stays(crm_db, people):
    set_active(people.admin, people.manager, False)
    with pytest.raises(LoginFailed):
        authenticate("wang", PASSWORD, **LOCKOUT)
    with pytest.raises(ValidationError):
        set_active(people.admin, people.admin, False)
    assert User.get_by_id(people.admin.id).active


def test_change_own_password_needs_the_old_one(crm_db, people):
    with pytest.raises(ValidationError):
        change_own_password(people.manager, "not it", "new password 1")
    with pytest.raises(ValidationError):
        change_own_password(people.manager, PASSWORD, "short")
    change_own_password(people.manager, PASSWORD, "new password 1")
    assert authenticate("wang", "new password 1", **LOCKOUT).id == people.manager.id


def test_password_never_reaches_the_log(crm_db, caplog):
    caplog.set_level(logging.DEBUG)  # peewee logs every SQL statement at DEBUG
    make_user("manager", "li")
    with pytest.raises(LoginFailed):
        authenticate("li", "secret-attempt", **LOCKOUT)
    authenticate("li", PASSWORD, **LOCKOUT)
    assert caplog.records, "peewee's query log should have been captured"
    assert "secret-attempt" not in caplog.text and PASSWORD not in caplog.text

"""The app log: sign-ins, refusals, slow queries, rotation, owner-only; an
unexpected error leaves a traceback without locals in the log and one short
line for the user; the login screen of a database without users."""
from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Static

from crm_tui import applog, cli, db
from crm_tui.config import Config, DatabaseConfig, LogsConfig, MailConfig, SmtpConfig
from crm_tui.models.errors import PermissionDenied
from crm_tui.models.users import require
from crm_tui.screens.home import HomeScreen
from crm_tui.screens.login import LoginScreen
from tests.conftest import PASSWORD
from tests.pilot import app_for, settle, sign_in

ROOT = Path(__file__).resolve().parent.parent
SMTP_SECRET = "smtp-secret-4711"


@pytest.fixture
def app_log(tmp_path):
    """The app log started on a config with an SMTP password to keep out of it."""
    config = Config(logs=LogsConfig(folder=str(tmp_path / "logs")),
                    mail=MailConfig(smtp=SmtpConfig(password=SMTP_SECRET)))
    path = applog.start(config)
    yield path
    applog.stop()


def read(path: Path) -> str:
    for handler in logging.getLogger("crm_tui").handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_the_log_is_owner_only_in_the_configured_folder(app_log, tmp_path):
    logging.getLogger("crm_tui.anything").info("hello")
    assert app_log == tmp_path / "logs" / "crm-tui.log"
    assert oct(app_log.stat().st_mode & 0o777) == "0o600"
    assert oct(app_log.parent.stat().st_mode & 0o777) == "0o700"
    assert "hello" in read(app_log)


def test_default_log_folder_is_the_users_log_folder(tmp_path):
    import os

    assert Config().app_log_path == Path(os.environ["XDG_STATE_HOME"]) / "crm-tui" / "log" / "crm-tui.log"


def test_the_log_rotates(tmp_path):
    config = Config(logs=LogsConfig(folder=str(tmp_path), max_size_mb=1, keep=2))
    applog.start(config)
    try:
        for _ in range(3000):
            logging.getLogger("crm_tui.test").info("x" * 1000)
    finally:
        applog.stop()
    assert (tmp_path / "crm-tui.log.1").is_file() and (tmp_path / "crm-tui.log.2").is_file()
    assert not (tmp_path / "crm-tui.log.3").exists()
    assert (tmp_path / "crm-tui.log").stat().st_size <= 1024 * 1024


def test_secrets_are_masked_in_every_line(app_log):
    logging.getLogger("crm_tui.mail").error("login failed with %s", SMTP_SECRET)
    text = read(app_log)
    assert SMTP_SECRET not in text and "login failed with ***" in text


def test_permission_refusals_are_logged(app_log, crm_db, people):
    with pytest.raises(PermissionDenied):
        require(people.manager, "user.manage")
    assert "refused: 'wang' lacks user.manage" in read(app_log)


def test_slow_queries_are_logged_without_their_parameters(tmp_path, app_log):
    path = tmp_path / "slow.sqlite3"
    database = db.open_database(f"sqlite:///{path}", slow_query_ms=1)
    slow = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) "
            "SELECT count(*) FROM n WHERE ? != ''")
    database.execute_sql(slow, ("personal-data-123",))
    fast = db.open_database(f"sqlite:///{path}", slow_query_ms=60_000)
    fast.execute_sql("SELECT 'this one is fast'")
    text = read(app_log)
    assert "slow query" in text and "WITH RECURSIVE" in text
    assert "personal-data-123" not in text and "this one is fast" not in text
    database.close()
    fast.close()


async def test_sign_ins_and_refused_sign_ins_are_logged(app_log, sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang", "not the password", expect_home=False)
        await sign_in(pilot, "wang", PASSWORD)
    text = read(app_log)
    assert "sign-in refused: 'wang' (LoginFailed)" in text
    assert "signed in: 'wang' (manager)" in text
    assert "not the password" not in text and PASSWORD not in text


async def test_an_unexpected_error_goes_to_the_log_without_locals(app_log, sqlite_url, people, monkeypatch,
                                                                  capfd):
    def broken_mount(self):
        password = "local-secret-0815"  # a local that must not be written anywhere
        raise RuntimeError("figures failed " + str(len(password)))

    monkeypatch.setattr(HomeScreen, "on_mount", broken_mount)
    app = app_for(sqlite_url, mail=MailConfig(smtp=SmtpConfig(password=SMTP_SECRET)))
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, "wang", PASSWORD, expect_home=False)
    text = read(app_log)
    assert "unexpected error: RuntimeError" in text and "Traceback" in text and "broken_mount" in text
    assert "local-secret-0815" not in text and SMTP_SECRET not in text
    assert app.return_code == 1
    shown = " ".join(capfd.readouterr().err.split())
    # A long path is wrapped at the terminal's width (a parallel test run's are longer).
    assert str(app_log) in "".join(shown.split())
    assert "RuntimeError" in shown and "local-secret-0815" not in shown


def test_an_unexpected_error_in_a_command_is_one_line_naming_the_log(tmp_path, monkeypatch, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(f"logs:\n  folder: {tmp_path / 'logs'}\n"
                      f"database:\n  url: postgresql://crm:pg-secret-42@127.0.0.1:1/crm\n")

    def broken_backup(args, settings):
        url = settings.database.url  # a local holding the database URL
        raise ValueError("cannot go on " + url.split("@")[1])

    monkeypatch.setitem(cli.COMMANDS, "backup", broken_backup)
    try:
        assert cli.main(["--config", str(config), "backup"]) == cli.EXIT_CRASH
    finally:
        applog.stop()
    error = capsys.readouterr().err.strip().splitlines()
    log = tmp_path / "logs" / "crm-tui.log"
    assert len(error) == 1 and str(log) in error[0] and "ValueError" in error[0]
    text = log.read_text()
    assert "Traceback" in text and "broken_backup" in text and "pg-secret-42" not in text


def test_the_real_command_prints_no_traceback_on_an_unexpected_error(tmp_path):
    # A folder where the database file should be: sqlite3 fails in a way no
    # expected error covers.
    (tmp_path / "crm.sqlite3").mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: sqlite:///{tmp_path / 'crm.sqlite3'}\n"
                      f"logs:\n  folder: {tmp_path / 'logs'}\n")
    result = subprocess.run([sys.executable, "-m", "crm_tui", "--config", str(config), "backup"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# ----- the login screen of a database without users ---------------------------------

async def test_login_screen_says_how_to_make_the_first_administrator(sqlite_url):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        hint = app.screen.query_one("#login-no-users", Static)
        assert "crm-tui user add LOGIN --name NAME --role admin" in str(hint.render())
        assert hint.region.width > 0 and hint.region.bottom <= 24


async def test_login_screen_says_nothing_of_it_once_a_user_exists(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.query("#login-no-users")

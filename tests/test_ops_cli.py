"""The command line as an administrator meets it: where data goes, what
init says, version, help, completion, config show / init, secrets, and
commands that refuse to create a database."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from crm_tui import cli
from crm_tui.config import ConfigError, load_config, parse_config
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parent.parent


def crm_tui(*arguments: str, cwd: Path | None = None, env: dict | None = None, **options):
    """The real command, in a process of its own, on this checkout's code
    (whatever folder it starts in)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "crm_tui", *arguments], capture_output=True, text=True,
                          cwd=cwd, env=environment, **options)


# ----- where data lives ------------------------------------------------------

def test_without_a_config_the_data_goes_to_the_user_folders_not_the_current_one(tmp_path):
    work = tmp_path / "somewhere"
    work.mkdir()
    data = Path(os.environ["XDG_DATA_HOME"]) / "crm-tui"
    logs = Path(os.environ["XDG_STATE_HOME"]) / "crm-tui" / "log"
    result = crm_tui("init", cwd=work)
    assert result.returncode == 0, result.stderr
    assert f"database:  {data / 'crm.sqlite3'}" in result.stdout
    assert f"documents: {data / 'documents'}" in result.stdout
    assert f"logs:      {logs}" in result.stdout
    assert "crm-tui user add LOGIN --name NAME --role admin" in result.stdout
    assert (data / "crm.sqlite3").is_file()
    assert list(work.iterdir()) == []


def test_a_config_file_takes_the_database_where_it_says(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: sqlite:///{tmp_path / 'shared' / 'crm.sqlite3'}\n")
    result = crm_tui("--config", str(config), "init")
    assert result.returncode == 0 and (tmp_path / "shared" / "crm.sqlite3").is_file()


@pytest.mark.parametrize("command", [[], ["worker", "--once"], ["user", "list"], ["mail", "fetch"],
                                     ["demo-data", "--customers", "1"]])
def test_only_init_creates_a_database_a_typo_stops_with_one_line(tmp_path, command):
    typo = tmp_path / "crm.sqlte3"
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: sqlite:///{typo}\n")
    result = crm_tui("--config", str(config), *command, stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"no database at {typo}" in lines[0] and "crm-tui init" in lines[0]
    assert not typo.exists()
    assert [path.name for path in tmp_path.rglob("*") if "sql" in path.name] == []


def test_an_empty_database_is_refused_too(tmp_path):
    empty = tmp_path / "crm.sqlite3"
    empty.touch()
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: sqlite:///{empty}\n")
    for command in (["worker", "--once"], ["user", "list"]):
        result = crm_tui("--config", str(config), *command)
        assert result.returncode != 0 and "holds no CRM tables" in result.stderr
        assert "crm-tui init" in result.stderr
    assert empty.stat().st_size == 0


def test_an_sqlite_file_without_the_crm_tables_is_refused(tmp_path):
    import sqlite3

    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: sqlite:///{other}\n")
    result = crm_tui("--config", str(config), "worker", "--once")
    assert result.returncode != 0 and "holds no CRM tables" in result.stderr
    with sqlite3.connect(other) as connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert tables == ["notes"]


@pytest.mark.skipif(not PG_URL, reason="needs CRM_TEST_PG_URL")
def test_an_empty_postgres_schema_is_refused(tmp_path):
    import uuid

    from playhouse.db_url import connect

    schema = f"crm_empty_{uuid.uuid4().hex[:8]}"
    admin = connect(PG_URL)
    admin.execute_sql(f"CREATE SCHEMA {schema}")
    try:
        config = tmp_path / "config.yaml"
        config.write_text(f"database:\n  url: \"{PG_URL}?options=-c%20search_path%3D{schema}\"\n")
        result = crm_tui("--config", str(config), "user", "list")
        assert result.returncode != 0 and "holds no CRM tables" in result.stderr
        tables = admin.execute_sql("SELECT count(*) FROM information_schema.tables WHERE table_schema = %s",
                                   (schema,)).fetchone()[0]
        assert tables == 0
    finally:
        admin.execute_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


def test_a_database_that_needs_an_upgrade_says_run_init(tmp_path):
    from playhouse.migrations import Runner

    from crm_tui.db import MIGRATIONS, open_database

    path = tmp_path / "crm.sqlite3"
    old = open_database(f"sqlite:///{path}")
    Runner(old, str(MIGRATIONS)).up(target="0001_initial")
    old.close()
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: sqlite:///{path}\n")
    result = crm_tui("--config", str(config), "worker", "--once")
    assert result.returncode != 0 and "needs an upgrade: run `crm-tui init`" in result.stderr


# ----- version, help, completion ----------------------------------------------

def test_version():
    result = crm_tui("--version")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert result.returncode == 0 and result.stdout.strip() == f"crm-tui {version}"


def _subparsers(parser):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, subparser in action.choices.items():
                yield name, helps.get(name), subparser
                yield from _subparsers(subparser)


def test_every_command_and_every_argument_has_help():
    commands = list(_subparsers(cli.build_parser()))
    names = {name for name, _help, _parser in commands}
    assert {"init", "backup", "restore", "config", "show", "completion", "passwd", "list"} <= names
    for name, text, subparser in commands:
        assert text, f"{name} has no help"
        for action in subparser._actions:
            if action.dest != "help" and action.__class__.__name__ != "_SubParsersAction":
                assert action.help, f"{name} {action.dest} has no help"


def test_help_names_the_environment_variables():
    result = crm_tui("--help")
    for variable in ("CRM_TUI_CONFIG", "CRM_TUI_PASSWORD", "CRM_TUI_SMTP_PASSWORD", "CRM_TUI_IMAP_PASSWORD"):
        assert variable in result.stdout


@pytest.mark.parametrize("shell, marker", [("bash", "complete "), ("zsh", "compdef"), ("fish", "complete ")])
def test_completion_scripts(shell, marker):
    result = crm_tui("completion", shell)
    assert result.returncode == 0 and "crm-tui" in result.stdout and marker in result.stdout


def test_completion_answers_the_shell(tmp_path):
    answer = tmp_path / "answer"
    line = "crm-tui ba"
    env = {"_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
           "_ARGCOMPLETE_STDOUT_FILENAME": str(answer)}
    result = crm_tui(env=env)
    assert result.returncode == 0
    assert answer.read_text().split("\x0b") == ["backup "]


# ----- config show / config init ------------------------------------------------

def test_config_show_masks_secrets_and_names_its_file(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("database:\n  url: postgresql://crm:pg-secret-77@db.example:5432/crm\n"
                      "mail:\n  smtp:\n    host: smtp.example\n    password: smtp-secret-88\n")
    result = crm_tui("--config", str(config), "config", "show", env={"CRM_TUI_IMAP_PASSWORD": "imap-secret-99"})
    assert result.returncode == 0, result.stderr
    assert f"# from: {config}" in result.stdout
    assert "# mail.imap.password: from $CRM_TUI_IMAP_PASSWORD" in result.stdout
    for secret in ("pg-secret-77", "smtp-secret-88", "imap-secret-99"):
        assert secret not in result.stdout
    assert "postgresql://crm:***@db.example:5432/crm" in result.stdout
    assert result.stdout.count("'***'") == 2
    assert "slow_query_ms: 500" in result.stdout  # defaults filled in


def test_config_init_writes_the_commented_sample_once(tmp_path):
    target = tmp_path / "etc" / "config.yaml"
    result = crm_tui("config", "init", str(target))
    assert result.returncode == 0 and target.read_text() == (ROOT / "config.yaml").read_text()
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    target.write_text("locale: en\n")
    again = crm_tui("config", "init", str(target))
    assert again.returncode == 2 and "--force" in again.stderr and target.read_text() == "locale: en\n"
    assert crm_tui("config", "init", "--force", str(target)).returncode == 0
    assert target.read_text().startswith("# crm-tui configuration")


def test_config_init_default_place_is_the_user_config_folder(tmp_path):
    result = crm_tui("config", "init")
    written = Path(os.environ["XDG_CONFIG_HOME"]) / "crm-tui" / "config.yaml"
    assert result.returncode == 0 and written.is_file()
    # ... where crm-tui then finds it.
    assert crm_tui("config", "show", cwd=tmp_path).stdout.startswith(f"# from: {written}")


def test_config_init_works_even_when_the_current_config_is_broken(tmp_path):
    broken = tmp_path / "config.yaml"
    broken.write_text("colour: blue\n")
    result = crm_tui("--config", str(broken), "config", "init", str(tmp_path / "new.yaml"))
    assert result.returncode == 0 and (tmp_path / "new.yaml").is_file()


def test_the_packaged_sample_is_the_root_config_and_is_named_in_package_data():
    packaged = ROOT / "crm_tui" / "config.default.yaml"
    assert packaged.read_text() == (ROOT / "config.yaml").read_text()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for pattern in package_data["crm_tui"]:
        assert list((ROOT / "crm_tui").glob(pattern)), f"package-data names {pattern}, which is not there"
    assert cli.sample_config() == packaged.read_text()
    assert parse_config(cli.sample_config()) == parse_config("")


# ----- secrets in config errors and from the environment ------------------------------

@pytest.mark.parametrize("text, key", [
    ("mail:\n  smtp:\n    password: 31415926\n", "mail.smtp.password"),
    ("mail:\n  imap:\n    password: [31415926]\n", "mail.imap.password"),
    ("database:\n  url: 31415926\n", "database.url"),
    ("database:\n  sales_url: {pw: 31415926}\n", "database.sales_url"),
])
def test_a_config_error_never_prints_a_secret(text, key):
    with pytest.raises(ConfigError) as error:
        parse_config(text, "my.yaml")
    assert key in str(error.value) and "value not shown" in str(error.value)
    assert "31415926" not in str(error.value)


def test_a_config_error_through_the_command_is_one_line_without_the_secret(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("mail:\n  smtp:\n    password: 31415926\n")
    result = crm_tui("--config", str(config), "user", "list")
    assert result.returncode == 2 and "31415926" not in result.stderr + result.stdout
    assert "mail.smtp.password: expected text" in result.stderr


def test_mail_passwords_may_come_from_the_environment(tmp_path, monkeypatch):
    config = tmp_path / "config.yaml"
    config.write_text("mail:\n  smtp:\n    password: from-file\n")
    assert load_config(str(config)).mail.smtp.password == "from-file"
    monkeypatch.setenv("CRM_TUI_SMTP_PASSWORD", "from-env-1")
    monkeypatch.setenv("CRM_TUI_IMAP_PASSWORD", "from-env-2")
    loaded = load_config(str(config))
    assert (loaded.mail.smtp.password, loaded.mail.imap.password) == ("from-env-1", "from-env-2")
    assert loaded.from_environment == ("mail.smtp.password", "mail.imap.password")

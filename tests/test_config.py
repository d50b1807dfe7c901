"""config.yaml: the shipped file, the search order, and one clear line per mistake."""
import subprocess
import sys
from pathlib import Path

import pytest

from crm_tui.config import Config, ConfigError, find_config_path, load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_config_parses_to_the_defaults():
    assert parse_config((ROOT / "config.yaml").read_text(encoding="utf-8")) == Config()


def test_empty_file_means_defaults():
    assert parse_config("") == Config()


@pytest.mark.parametrize("text, message", [
    ("colour: blue\n", "unknown key 'colour'"),
    ("churn:\n  mnths: 3\n", "unknown key 'churn.mnths'"),
    ("churn:\n  months_without_orders: six\n", "churn.months_without_orders: expected a whole number"),
    ("security:\n  lockout_minutes: true\n", "security.lockout_minutes: expected a whole number"),
    ("churn:\n  schedule: '0 25 * * *'\n", "churn.schedule: not a valid cron expression"),
    ("churn:\n  months_without_orders: 0\n", "churn.months_without_orders: must be at least 1"),
    ("locale: fr\n", "locale: must be one of"),
    ("database: sqlite\n", "database: expected a mapping"),
    ("mail:\n  smtp:\n    security: ssl\n", "mail.smtp.security: must be one of"),
    ("keymap:\n  customers.search: 5\n", "keymap.customers.search"),
    ("database:\n  url: [unclosed\n", "not readable as YAML (line 3)"),
    ("- just\n- a list\n", "expected a mapping"),
])
def test_each_mistake_is_named_with_file_and_key(text, message):
    with pytest.raises(ConfigError) as error:
        parse_config(text, "my.yaml")
    assert str(error.value).startswith("my.yaml: ")
    assert message in str(error.value)


def test_search_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRM_TUI_CONFIG", raising=False)
    monkeypatch.setattr("crm_tui.config.user_config_path", lambda: tmp_path / "user" / "config.yaml")
    assert find_config_path() is None
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "config.yaml").write_text("locale: en\n")
    assert find_config_path() == tmp_path / "user" / "config.yaml"
    (tmp_path / "config.yaml").write_text("locale: zh_CN\n")
    assert find_config_path() == Path("config.yaml")
    monkeypatch.setenv("CRM_TUI_CONFIG", str(tmp_path / "env.yaml"))
    assert find_config_path() == tmp_path / "env.yaml"
    assert find_config_path("given.yaml") == Path("given.yaml")


def test_missing_explicit_file_is_one_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(str(tmp_path / "nope.yaml"))


def test_command_line_prints_one_line_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("churn:\n  schedule: 'every saturday'\n")
    result = subprocess.run([sys.executable, "-m", "crm_tui", "--config", str(bad), "init"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"crm-tui: {bad}: churn.schedule: not a valid cron expression: 'every saturday'"]

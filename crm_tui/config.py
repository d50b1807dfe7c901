"""Load and validate config.yaml into frozen dataclasses.

Every problem with a config file (unreadable YAML, an unknown key, a value of
the wrong type, a cron expression that does not parse) becomes one
`ConfigError` whose message names the file and the key, so the command line
can print a single clear line instead of a traceback.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

import yaml
from platformdirs import user_config_dir


class ConfigError(Exception):
    """A config file that cannot be used; the message is meant for people."""


@dataclass(frozen=True)
class DatabaseConfig:
    # peewee db_url form: sqlite:///relative.db, sqlite:////absolute.db,
    # postgresql://user:password@host:5432/name
    url: str = "sqlite:///crm.sqlite3"
    # The sales system (orders, products, stock). Empty: the same database.
    sales_url: str = ""


@dataclass(frozen=True)
class ChurnConfig:
    months_without_orders: int = 6
    schedule: str = "0 2 * * 6"
    check_interval_minutes: int = 60
    log_file: str = "crm-worker.log"


@dataclass(frozen=True)
class SecurityConfig:
    max_failed_logins: int = 5
    lockout_minutes: int = 15
    idle_lock_minutes: int = 15


@dataclass(frozen=True)
class SmtpConfig:
    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = ""
    sender: str = ""


@dataclass(frozen=True)
class ImapConfig:
    host: str = ""
    port: int = 993
    security: str = "tls"
    username: str = ""
    password: str = ""
    folder: str = "INBOX"


@dataclass(frozen=True)
class MailConfig:
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    imap: ImapConfig = field(default_factory=ImapConfig)


@dataclass(frozen=True)
class DocumentsConfig:
    folder: str = ""
    max_size_mb: int = 20


@dataclass(frozen=True)
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    locale: str = "auto"
    churn: ChurnConfig = field(default_factory=ChurnConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    documents: DocumentsConfig = field(default_factory=DocumentsConfig)
    # Binding id -> comma-separated keys, e.g. {"customers.new": "ctrl+n"}.
    keymap: dict = field(default_factory=dict)
    # Where the config came from, for messages; not a key of the file.
    source: str = field(default="(defaults)", compare=False)


LOCALES = ("auto", "en", "zh_CN")
MAIL_SECURITY = ("none", "starttls", "tls")

_TYPE_NAMES = {int: "a whole number", str: "text", bool: "true or false", dict: "a mapping"}


def _check_value(expected: type, value: Any, where: str) -> Any:
    # bool is a subclass of int in Python; "port: yes" must still be refused.
    if expected is int and isinstance(value, bool):
        raise ConfigError(f"{where}: expected {_TYPE_NAMES[int]}, got {value!r}")
    if expected is str and value is None:
        return ""
    if not isinstance(value, expected):
        raise ConfigError(f"{where}: expected {_TYPE_NAMES[expected]}, got {value!r}")
    return value


def _build(cls: type, data: Any, where: str, prefix: str = "") -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: {prefix.rstrip('.') or 'the file'}: expected a mapping")
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    for key in data:
        if key not in names:
            raise ConfigError(f"{where}: unknown key '{prefix}{key}'")
    values = {}
    for name in names:
        if name not in data:
            continue
        expected = hints[name]
        key = f"{prefix}{name}"
        if dataclasses.is_dataclass(expected):
            values[name] = _build(expected, data[name], where, key + ".")
        else:
            values[name] = _check_value(expected, data[name], f"{where}: {key}")
    return cls(**values)


def _valid_schedule(schedule: str) -> bool:
    # croniter (and the dateutil it loads) costs tens of milliseconds at every
    # start; the default schedule is known good, so only another one is parsed.
    if schedule == ChurnConfig.schedule:
        return True
    from croniter import croniter

    return croniter.is_valid(schedule)


def _validate(config: Config, where: str) -> None:
    def fail(key: str, message: str) -> None:
        raise ConfigError(f"{where}: {key}: {message}")

    if config.locale not in LOCALES:
        fail("locale", f"must be one of {', '.join(LOCALES)}, got {config.locale!r}")
    if not config.database.url:
        fail("database.url", "must not be empty")
    if not _valid_schedule(config.churn.schedule):
        fail("churn.schedule", f"not a valid cron expression: {config.churn.schedule!r}")
    positive = {
        "churn.months_without_orders": config.churn.months_without_orders,
        "security.max_failed_logins": config.security.max_failed_logins,
        "security.lockout_minutes": config.security.lockout_minutes,
        "documents.max_size_mb": config.documents.max_size_mb,
    }
    for key, value in positive.items():
        if value < 1:
            fail(key, f"must be at least 1, got {value}")
    not_negative = {
        "churn.check_interval_minutes": config.churn.check_interval_minutes,
        "security.idle_lock_minutes": config.security.idle_lock_minutes,
    }
    for key, value in not_negative.items():
        if value < 0:
            fail(key, f"must be 0 (off) or more, got {value}")
    for key, security in (("mail.smtp.security", config.mail.smtp.security),
                          ("mail.imap.security", config.mail.imap.security)):
        if security not in MAIL_SECURITY:
            fail(key, f"must be one of {', '.join(MAIL_SECURITY)}, got {security!r}")
    for binding_id, keys in config.keymap.items():
        if not isinstance(keys, str) or not keys.strip():
            fail(f"keymap.{binding_id}", "expected keys as text, e.g. 'ctrl+n'")


def parse_config(text: str, where: str = "config") -> Config:
    """Build a Config from YAML text; `where` names the source in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        place = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{where}: not readable as YAML{place}") from None
    config = _build(Config, data, where)
    _validate(config, where)
    return dataclasses.replace(config, source=where)


def user_config_path() -> Path:
    return Path(user_config_dir("crm-tui")) / "config.yaml"


def find_config_path(explicit: str | None = None) -> Path | None:
    """--config, then CRM_TUI_CONFIG, then ./config.yaml, then the user's folder."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("CRM_TUI_CONFIG")
    if from_env:
        return Path(from_env)
    for candidate in (Path("config.yaml"), user_config_path()):
        if candidate.is_file():
            return candidate
    return None


def load_config(explicit: str | None = None) -> Config:
    path = find_config_path(explicit)
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None
    return parse_config(text, str(path))

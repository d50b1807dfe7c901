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
from platformdirs import user_config_dir, user_data_dir, user_log_dir


class ConfigError(Exception):
    """A config file that cannot be used; the message is meant for people."""


def data_folder() -> Path:
    """The user's data folder: the default database, documents and backups."""
    return Path(user_data_dir("crm-tui"))


def default_log_folder() -> Path:
    return Path(user_log_dir("crm-tui"))


@dataclass(frozen=True)
class DatabaseConfig:
    # peewee db_url form: sqlite:///relative.db, sqlite:////absolute.db,
    # postgresql://user:password@host:5432/name. Empty: crm.sqlite3 in the
    # user's data folder.
    url: str = ""
    # The sales system (orders, products, stock). Empty: the same database.
    sales_url: str = ""

    @property
    def effective_url(self) -> str:
        return self.url or f"sqlite:///{data_folder() / 'crm.sqlite3'}"

    @property
    def effective_sales_url(self) -> str:
        return self.sales_url or self.effective_url


@dataclass(frozen=True)
class ChurnConfig:
    months_without_orders: int = 6
    # A customer created less than this many days ago gets no alert yet.
    grace_days: int = 182
    schedule: str = "0 2 * * 6"
    check_interval_minutes: int = 60
    # A relative name is placed in logs.folder; empty: no log file.
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
    # Folders files may be attached from; empty: the user's home folder.
    upload_folders: tuple = ()
    # The folder exported copies are written into; empty: the user's home folder.
    export_folder: str = ""


@dataclass(frozen=True)
class LogsConfig:
    # Empty: the user's log folder.
    folder: str = ""
    # Database statements slower than this are written to the app log; 0: none.
    slow_query_ms: int = 500
    # The app log rotates at this size, keeping `keep` older files.
    max_size_mb: int = 5
    keep: int = 5


@dataclass(frozen=True)
class BackupConfig:
    # Where `crm-tui init` puts the backup it makes before changing the
    # schema. Empty: the backups folder in the user's data folder.
    folder: str = ""


@dataclass(frozen=True)
class ContractsConfig:
    # Above this amount (in yuan) an executive approves after the supervisor.
    executive_approval_amount: int = 1_000_000


@dataclass(frozen=True)
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    locale: str = "auto"
    # A Textual theme name; a user's choice in the command palette wins.
    theme: str = "textual-dark"
    churn: ChurnConfig = field(default_factory=ChurnConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    documents: DocumentsConfig = field(default_factory=DocumentsConfig)
    logs: LogsConfig = field(default_factory=LogsConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    contracts: ContractsConfig = field(default_factory=ContractsConfig)
    # Binding id -> comma-separated keys, e.g. {"customers.new": "ctrl+n"}.
    keymap: dict = field(default_factory=dict)
    # Where the config came from, for messages; not a key of the file.
    source: str = field(default="(defaults)", compare=False)
    # Keys whose value came from the environment, not the file.
    from_environment: tuple = field(default=(), compare=False)

    @property
    def log_folder(self) -> Path:
        return Path(self.logs.folder).expanduser() if self.logs.folder else default_log_folder()

    @property
    def app_log_path(self) -> Path:
        return self.log_folder / "crm-tui.log"

    @property
    def worker_log_path(self) -> Path | None:
        if not self.churn.log_file:
            return None
        return self.log_folder / Path(self.churn.log_file).expanduser()

    @property
    def backup_folder(self) -> Path:
        return Path(self.backup.folder).expanduser() if self.backup.folder else data_folder() / "backups"


# Keys whose values are secrets: never printed, masked by `config show`.
SECRET_KEYS = ("database.url", "database.sales_url", "mail.smtp.password", "mail.imap.password")
# Secrets that may come from the environment instead of the file.
SECRET_ENVIRONMENT = {
    "CRM_TUI_SMTP_PASSWORD": ("smtp", "password"),
    "CRM_TUI_IMAP_PASSWORD": ("imap", "password"),
}


LOCALES = ("auto", "en", "zh_CN")
MAIL_SECURITY = ("none", "starttls", "tls")

_TYPE_NAMES = {int: "a whole number", str: "text", bool: "true or false", dict: "a mapping",
               tuple: "a list"}


def _shown(value: Any, secret: bool) -> str:
    """A wrong value as an error message shows it: a secret only by its type."""
    if not secret:
        return repr(value)
    return f"{_TYPE_NAMES.get(type(value), type(value).__name__)} (value not shown)"


def _check_value(expected: type, value: Any, where: str, secret: bool = False) -> Any:
    # bool is a subclass of int in Python; "port: yes" must still be refused.
    if expected is tuple:
        # A YAML list, kept as a tuple: the config is frozen.
        if value is None:
            return ()
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected {_TYPE_NAMES[tuple]}, got {_shown(value, secret)}")
        return tuple(value)
    wrong = (expected is int and isinstance(value, bool)) or (
        value is not None and not isinstance(value, expected)) or (value is None and expected is not str)
    if wrong:
        raise ConfigError(f"{where}: expected {_TYPE_NAMES[expected]}, got {_shown(value, secret)}")
    return "" if value is None else value


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
            values[name] = _check_value(expected, data[name], f"{where}: {key}", key in SECRET_KEYS)
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
    if not config.theme.strip():
        fail("theme", "expected a theme name, e.g. textual-dark or textual-light")
    if not _valid_schedule(config.churn.schedule):
        fail("churn.schedule", f"not a valid cron expression: {config.churn.schedule!r}")
    positive = {
        "churn.months_without_orders": config.churn.months_without_orders,
        "security.max_failed_logins": config.security.max_failed_logins,
        "security.lockout_minutes": config.security.lockout_minutes,
        "documents.max_size_mb": config.documents.max_size_mb,
        "logs.max_size_mb": config.logs.max_size_mb,
        "contracts.executive_approval_amount": config.contracts.executive_approval_amount,
    }
    for key, value in positive.items():
        if value < 1:
            fail(key, f"must be at least 1, got {value}")
    not_negative = {
        "churn.check_interval_minutes": config.churn.check_interval_minutes,
        "security.idle_lock_minutes": config.security.idle_lock_minutes,
        "churn.grace_days": config.churn.grace_days,
        "logs.slow_query_ms": config.logs.slow_query_ms,
        "logs.keep": config.logs.keep,
    }
    for key, value in not_negative.items():
        if value < 0:
            fail(key, f"must be 0 (off) or more, got {value}")
    for key, security in (("mail.smtp.security", config.mail.smtp.security),
                          ("mail.imap.security", config.mail.imap.security)):
        if security not in MAIL_SECURITY:
            fail(key, f"must be one of {', '.join(MAIL_SECURITY)}, got {security!r}")
    for folder in config.documents.upload_folders:
        if not isinstance(folder, str) or not folder.strip():
            fail("documents.upload_folders", f"expected folder paths as text, got {folder!r}")
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
    """The config file found by find_config_path (defaults when there is
    none), with the secrets the environment gives."""
    path = find_config_path(explicit)
    if path is None:
        return with_environment_secrets(Config())
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None
    return with_environment_secrets(parse_config(text, str(path)))


def with_environment_secrets(config: Config) -> Config:
    """SMTP and IMAP passwords from CRM_TUI_SMTP_PASSWORD / CRM_TUI_IMAP_PASSWORD
    win over the file's, so the file need not hold them."""
    mail = config.mail
    taken = []
    for variable, (server, key) in SECRET_ENVIRONMENT.items():
        value = os.environ.get(variable)
        if value:
            mail = dataclasses.replace(
                mail, **{server: dataclasses.replace(getattr(mail, server), **{key: value})})
            taken.append(f"mail.{server}.{key}")
    if not taken:
        return config
    return dataclasses.replace(config, mail=mail, from_environment=tuple(taken))

"""The app log: sign-ins, refusals, errors and slow queries, in one rotating file.

`start(config)` attaches a rotating file handler to the `crm_tui` logger, so
every module logs with `logging.getLogger(__name__)`. The file is created
owner-only: it names users and holds tracebacks.

Secrets never reach the file: every formatted line has the configured
passwords (database, SMTP, IMAP) replaced by ***, and tracebacks are written
without local variables (a frame's locals may hold the config).
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import traceback
from pathlib import Path
from urllib.parse import urlparse

from crm_tui.config import Config

LOG = logging.getLogger("crm_tui")
MEGABYTE = 1024 * 1024
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class MaskingFormatter(logging.Formatter):
    """Formats like logging.Formatter, then blanks out every secret."""

    def __init__(self, secrets: list[str]):
        super().__init__(_FORMAT, "%Y-%m-%d %H:%M:%S")
        # Longest first, so a secret containing another is blanked whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record), self.secrets)

    def formatException(self, exc_info) -> str:
        # No locals: traceback.format_exception prints code lines only.
        return "".join(traceback.format_exception(*exc_info)).rstrip()


def mask(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def secrets_of(config: Config) -> list[str]:
    """The values in `config` that must never be written anywhere."""
    found = [config.mail.smtp.password, config.mail.imap.password]
    for url in (config.database.url, config.database.sales_url):
        password = urlparse(url).password if url else None
        if password:
            found.append(password)
    return [secret for secret in found if secret]


class _OwnerOnlyRotatingHandler(logging.handlers.RotatingFileHandler):
    def _open(self):
        # Created 0600 whatever the umask; an existing file keeps its mode.
        descriptor = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(descriptor, self.mode.replace("w", "a"), encoding=self.encoding)


_handler: logging.Handler | None = None


def start(config: Config) -> Path | None:
    """Write the `crm_tui` logger's records to the config's app log.

    Returns the log's path, or None when the log folder cannot be written
    (the CRM then runs without a log rather than not at all)."""
    global _handler
    path = config.app_log_path
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler = _OwnerOnlyRotatingHandler(path, maxBytes=config.logs.max_size_mb * MEGABYTE,
                                            backupCount=config.logs.keep, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(MaskingFormatter(secrets_of(config)))
    stop()
    _handler = handler
    LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    return path


def stop() -> None:
    global _handler
    if _handler is not None:
        LOG.removeHandler(_handler)
        _handler.close()
        _handler = None


def log_path() -> Path | None:
    return Path(_handler.baseFilename) if _handler is not None else None


def record_crash(error: BaseException) -> Path | None:
    """Write `error`'s traceback to the app log; the log's path, if any."""
    LOG.error("unexpected error: %s", type(error).__name__, exc_info=(type(error), error, error.__traceback__))
    return log_path()


def crash_message(error: BaseException, path: Path | None) -> str:
    """The short message the user sees instead of a traceback."""
    from crm_tui.i18n import t

    if path is None:
        return t("ops.crash.no_log", kind=type(error).__name__)
    return t("ops.crash", kind=type(error).__name__, path=str(path))

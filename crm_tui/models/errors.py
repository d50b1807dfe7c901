"""The errors a rule can raise. Screens show their message; none is a crash."""
from __future__ import annotations

from peewee import DatabaseError


class CrmError(Exception):
    """Base of every error a business rule raises on purpose."""


class PermissionDenied(CrmError):
    """The actor lacks the permission, or the record is outside their scope."""


class InvalidTransition(CrmError):
    """The record is not in a state that allows this action."""


class NotFound(CrmError):
    """The record does not exist (or no longer exists)."""


class ConcurrentEdit(CrmError):
    """Someone else saved the record after it was opened here."""


class ValidationError(CrmError):
    """One or more fields are wrong; `errors` maps field name -> message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


class DatabaseFault(CrmError, DatabaseError):
    """The database cannot do what was asked (a full disk, a read-only or
    vanished file); the message names the cause in one line. Nothing of the
    action was saved."""


def first_line(error: BaseException) -> str:
    """An error's message as one line (its type when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

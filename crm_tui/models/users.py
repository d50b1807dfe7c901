"""Users, roles and permissions; login with lockout; the permission check.

Permissions are data (role x permission code), so the administrator can
change what a role may do. Every rule elsewhere asks `require(actor, code)`.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models.base import BaseModel, database
from crm_tui.models.errors import CrmError, PermissionDenied, ValidationError

ADMIN, EXECUTIVE, SUPERVISOR, MANAGER = "admin", "executive", "supervisor", "manager"
ROLE_KEYS = (ADMIN, EXECUTIVE, SUPERVISOR, MANAGER)

# argon2id with argon2-cffi's defaults (RFC 9106 "low memory": t=3, m=64 MiB,
# p=4), above OWASP's minimum (m=19 MiB, t=2, p=1).
_hasher = PasswordHasher()
# Verified against when the login name is unknown, so that an unknown user
# costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("no such user: this hash only burns time")

MIN_PASSWORD_LENGTH = 8


class Role(BaseModel):
    key = CharField(max_length=40, unique=True)
    name = CharField(max_length=60)

    def __str__(self) -> str:
        return self.name


class Permission(BaseModel):
    code = CharField(max_length=60, unique=True)
    description = CharField(max_length=200, default="")


class RolePermission(BaseModel):
    role = ForeignKeyField(Role, backref="grants", on_delete="CASCADE")
    permission = ForeignKeyField(Permission, backref="grants", on_delete="CASCADE")

    class Meta:
        indexes = ((("role", "permission"), True),)


class User(BaseModel):
    login = CharField(max_length=40, unique=True)
    display_name = CharField(max_length=60)
    role = ForeignKeyField(Role, backref="users")
    active = BooleanField(default=True)
    password_hash = CharField(max_length=200)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    created_at = DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.display_name

    def __repr__(self) -> str:
        # Never show the password hash in logs or tracebacks.
        return f"<User {self.login!r} role={self.role_id}>"

    @property
    def role_key(self) -> str:
        return self.role.key

    def permissions(self) -> set[str]:
        """The codes this user's role grants, read fresh from the database."""
        query = (Permission.select(Permission.code)
                 .join(RolePermission).where(RolePermission.role == self.role_id))
        return {code for (code,) in query.tuples()}

    def has_perm(self, code: str) -> bool:
        if not self.active:
            return False
        return (RolePermission.select().join(Permission)
                .where((RolePermission.role == self.role_id) & (Permission.code == code))
                .exists())

    def set_password(self, password: str) -> None:
        check_password_strength(password)
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


class LoginFailed(CrmError):
    """Wrong user name or password: one message for both."""


class AccountLocked(CrmError):
    """Too many failed logins; the account opens again at `until`."""

    def __init__(self, until: dt.datetime):
        self.until = until
        super().__init__(t("login.locked", time=until.strftime("%H:%M")))


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError({"password": t("error.password_short", length=MIN_PASSWORD_LENGTH)})


def require(actor: User | None, code: str) -> None:
    """Raise PermissionDenied unless `actor` holds permission `code`."""
    if actor is None or not actor.has_perm(code):
        raise PermissionDenied(t("error.permission", permission=code))


def scoped(query, user: User | None, all_code: str, own_codes: set[str],
           own_records: Callable[[User], Any]):
    """Narrow `query` to what `user` may see; the one scope rule of the CRM.

    With `all_code` every row; with any of `own_codes` the rows
    `own_records(user)` selects; otherwise (an unknown role, a disabled or
    missing user) none: scope fails closed.
    """
    if user is None or not user.active:
        return query.where(False)
    granted = user.permissions()
    if all_code in granted:
        return query
    if granted & own_codes:
        return query.where(own_records(user))
    return query.where(False)


def authenticate(login: str, password: str, max_failures: int, lockout_minutes: int) -> User:
    """Return the active user for these credentials, or raise.

    Unknown user, disabled user and wrong password all raise the same
    LoginFailed after one password verification each, so neither the message
    nor the time tells which. `max_failures` failures in a row lock the
    account for `lockout_minutes`.
    """
    user = User.get_or_none(User.login == login.strip())
    if user is None:
        _hasher_verify_dummy(password)
        raise LoginFailed(t("login.failed"))
    now = clock.now()
    if user.locked_until and user.locked_until > now:
        _hasher_verify_dummy(password)
        raise AccountLocked(user.locked_until)
    if not user.check_password(password) or not user.active:
        _record_failure(user, now, max_failures, lockout_minutes)
        raise LoginFailed(t("login.failed"))
    User.update(failed_logins=0, locked_until=None).where(User.id == user.id).execute()
    if _hasher.check_needs_rehash(user.password_hash):
        User.update(password_hash=_hasher.hash(password)).where(User.id == user.id).execute()
    return User.get_by_id(user.id)


def _hasher_verify_dummy(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def _record_failure(user: User, now: dt.datetime, max_failures: int, lockout_minutes: int) -> None:
    with database.atomic():
        # Increment in SQL, so two failed logins at once both count.
        User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
        failures = User.select(User.failed_logins).where(User.id == user.id).scalar()
        if failures >= max_failures:
            until = now + dt.timedelta(minutes=lockout_minutes)
            User.update(failed_logins=0, locked_until=until).where(User.id == user.id).execute()

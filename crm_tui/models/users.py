"""Users, roles and permissions; login with lockout; the permission check.

Permissions are data (role x permission code), so the administrator can
change what a role may do. Every rule elsewhere asks `require(actor, code)`.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models.base import BaseModel, database
from crm_tui.models.errors import CrmError, PermissionDenied, ValidationError

log = logging.getLogger(__name__)

ADMIN, EXECUTIVE, SUPERVISOR, MANAGER = "admin", "executive", "supervisor", "manager"
ROLE_KEYS = (ADMIN, EXECUTIVE, SUPERVISOR, MANAGER)

# argon2id with argon2-cffi's defaults (RFC 9106 "low memory": t=3, m=64 MiB,
# p=4), above OWASP's minimum (m=19 MiB, t=2, p=1).
_hasher = PasswordHasher()
# Verified against when the login name is unknown, so that an unknown user
# costs the same time as a wrong password. Made on first use: hashing takes
# a good part of a second, which every app, worker and CLI start would pay.
_dummy_hash: str | None = None

MIN_PASSWORD_LENGTH = 8


class Role(BaseModel):
    key = CharField(max_length=40, unique=True)
    name = CharField(max_length=60)
    # Raised by every rename; a rename that finds another version is stale.
    version = IntegerField(default=1)

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
    # When the current lockout began (shown to the administrator).
    locked_at = DateTimeField(null=True)
    created_at = DateTimeField(default=clock.now)
    # Raised by every edit of the name, role or state (not by logins); an
    # edit that finds another version is stale.
    version = IntegerField(default=1)

    def __str__(self) -> str:
        return self.display_name

    def __repr__(self) -> str:
        # Never show the password hash in logs or tracebacks.
        return f"<User {self.login!r} role={self.role_id}>"

    @property
    def role_key(self) -> str:
        return self.role.key

    # The rights below are read from the database each time, through the
    # user's row as it is now: a user disabled, given another role, or whose
    # role lost a permission loses the right at their next action, whatever
    # this copy in memory (an open session's) still says.
    def permissions(self) -> set[str]:
        """The codes this user's role grants now; none once disabled."""
        query = (Permission.select(Permission.code)
                 .join(RolePermission)
                 .join(User, on=(User.role == RolePermission.role))
                 .where((User.id == self.id) & (User.active == True)))  # noqa: E712
        return {code for (code,) in query.tuples()}

    def has_perm(self, code: str) -> bool:
        return (RolePermission.select()
                .join(Permission)
                .switch(RolePermission)
                .join(User, on=(User.role == RolePermission.role))
                .where((User.id == self.id) & (User.active == True)  # noqa: E712
                       & (Permission.code == code))
                .exists())

    def still_active(self) -> bool:
        """Whether the account still exists and is enabled."""
        return User.select().where((User.id == self.id) & (User.active == True)).exists()  # noqa: E712

    def set_password(self, password: str) -> None:
        check_password_strength(password)
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


class LoginFailed(CrmError):
    """Unknown user, wrong password, disabled or locked account: one message
    for all, so that trying logins tells nothing about the accounts."""

    def __init__(self) -> None:
        super().__init__(t("rights.login_refused"))


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError({"password": t("error.password_short", length=MIN_PASSWORD_LENGTH)})


def require(actor: User | None, code: str) -> None:
    """Raise PermissionDenied unless `actor` holds permission `code`."""
    if actor is None or not actor.has_perm(code):
        log.warning("refused: %r lacks %s", actor.login if actor else None, code)
        raise PermissionDenied(t("error.permission", permission=code))


def scoped(query, user: User | None, all_code: str, own_codes: set[str],
           own_records: Callable[[User], Any]):
    """Narrow `query` to what `user` may see; the one scope rule of the CRM.

    With `all_code` every row; with any of `own_codes` the rows
    `own_records(user)` selects; otherwise (an unknown role, a disabled or
    missing user) none: scope fails closed.
    """
    if user is None:
        return query.where(False)
    granted = user.permissions()
    if all_code in granted:
        return query
    if granted & own_codes:
        return query.where(own_records(user))
    return query.where(False)


def authenticate(login: str, password: str, max_failures: int, lockout_minutes: int) -> User:
    """Return the active user for these credentials, or raise.

    Unknown user, disabled user, locked account and wrong password all
    raise the same LoginFailed after one password verification each, so
    neither the message nor the time tells which (OWASP authentication
    guidance). `max_failures` failures in a row lock the account for
    `lockout_minutes`; the administrator sees the lock and may lift it.
    """
    user = User.get_or_none(User.login == login.strip())
    if user is None:
        _hasher_verify_dummy(password)
        raise LoginFailed()
    now = clock.now()
    if is_locked(user, now):
        _hasher_verify_dummy(password)
        raise LoginFailed()
    if not user.check_password(password) or not user.active:
        _record_failure(user, now, max_failures, lockout_minutes)
        raise LoginFailed()
    User.update(failed_logins=0, locked_until=None, locked_at=None).where(
        User.id == user.id).execute()
    if _hasher.check_needs_rehash(user.password_hash):
        User.update(password_hash=_hasher.hash(password)).where(User.id == user.id).execute()
    return User.get_by_id(user.id)


def _hasher_verify_dummy(password: str) -> None:
    global _dummy_hash
    # Made anew when the hasher's parameters differ from the hash's, so it
    # always costs what a real account's verification costs.
    if _dummy_hash is None or _hasher.check_needs_rehash(_dummy_hash):
        _dummy_hash = _hasher.hash("no such user: this hash only burns time")
    try:
        _hasher.verify(_dummy_hash, password)
    except VerificationError:
        pass


def _record_failure(user: User, now: dt.datetime, max_failures: int, lockout_minutes: int) -> None:
    with database.atomic():
        # Increment in SQL, so two failed logins at once both count.
        User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
        failures = User.select(User.failed_logins).where(User.id == user.id).scalar()
        if failures >= max_failures:
            until = now + dt.timedelta(minutes=lockout_minutes)
            User.update(failed_logins=0, locked_until=until, locked_at=now).where(
                User.id == user.id).execute()


def is_locked(user: User, now: dt.datetime | None = None) -> bool:
    """Whether too many failed logins keep `user` out now."""
    return user.locked_until is not None and user.locked_until > (now or clock.now())


def locked_users():
    """The accounts locked now, longest locked first."""
    return (User.select().where(User.locked_until > clock.now())
            .order_by(User.locked_at, User.login))

"""Access control (权限管理): users, roles, the permission matrix, the audit log.

Creating users, resetting passwords and enabling or disabling accounts are
in models/accounts.py; this module adds what the administrator's screens need
beyond them. Three rules keep the system manageable whatever is clicked:

- the last active administrator can neither be disabled nor lose the
  administrator role;
- the administrator role always keeps user.manage;
- a role can be deleted only when no user has it, and the four seeded roles
  never.

Every change needs user.manage and writes an audit row. A changed grant
takes effect at the next screen load, since `User.has_perm` and
`Customer.visible_to` read the grants from the database each time.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from peewee import JOIN, Case, IntegrityError, fn

from crm_tui import clock

from crm_tui.i18n import t
from crm_tui.models import accounts, audit
from crm_tui.models import permissions as perm
from crm_tui.models.audit import AuditLog
from crm_tui.models.base import database, is_postgres
from crm_tui.models.errors import InvalidTransition, NotFound, ValidationError
from crm_tui.models.users import (ADMIN, ROLE_KEYS, Permission, Role, RolePermission, User,
                                  require)
from crm_tui.models.validation import Field, clean
from crm_tui.models.workflow import update_as_read

ROLE_KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")

ROLE_FIELDS = (
    Field("key", "admin.role.key", required=True, max_length=40),
    Field("name", "admin.role.name", required=True, max_length=60),
)


def _role_choices() -> list[tuple[str, str]]:
    return [(role.key, role.name) for role in Role.select().order_by(Role.id)]


USER_FIELDS = (
    Field("login", "admin.user.login", required=True, max_length=40),
    Field("display_name", "admin.user.display_name", required=True, max_length=60),
    Field("role", "admin.user.role", kind="choice", required=True, choices=_role_choices),
    Field("password", "admin.user.password", kind="password", required=True, max_length=200),
)
USER_EDIT_FIELDS = USER_FIELDS[1:3]
PASSWORD_FIELDS = (USER_FIELDS[3],)


def _lock_administrators() -> None:
    """Serialise the transactions that could leave no active administrator.

    SQLite write transactions already run one at a time (BEGIN IMMEDIATE).
    On PostgreSQL two administrators demoting each other at once would each
    still see the other as active; locking the administrator role's row
    makes the second wait for the first and then count again.
    """
    if is_postgres():
        list(Role.select(Role.id).where(Role.key == ADMIN).for_update())


def _other_active_admins(user: User) -> int:
    return (User.select().join(Role)
            .where((Role.key == ADMIN) & (User.active == True) & (User.id != user.id))  # noqa: E712
            .count())


# ----- users -------------------------------------------------------------

def user_query(text: str = ""):
    """Users with their role's name and, for an account locked now, since
    when (locked_since); by login; filtered by login, name or role."""
    locked_since = Case(None, [(User.locked_until > clock.now(), User.locked_at)], None)
    query = (User.select(User, Role.name.alias("role_name"), locked_since.alias("locked_since"))
             .join(Role).order_by(User.login))
    if text.strip():
        text = text.strip()
        query = query.where(User.login.contains(text) | User.display_name.contains(text)
                            | Role.name.contains(text) | Role.key.contains(text))
    return query


def get_user(user_id: int) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFound(t("error.not_found"))
    return user


def create_user(actor: User, values: dict[str, Any]) -> User:
    """A new user from the user form (login, display name, role key, password)."""
    require(actor, perm.USER_MANAGE)
    return accounts.create_user(actor, str(values.get("login") or ""),
                             str(values.get("display_name") or ""),
                             str(values.get("role") or ""), str(values.get("password") or ""))


def update_user(actor: User, user: User, values: dict[str, Any]) -> User:
    """Change a user's display name and role (role given by its key)."""
    require(actor, perm.USER_MANAGE)
    data = clean(USER_EDIT_FIELDS, values, partial=True)
    changes: dict[str, Any] = {}
    if "display_name" in data:
        changes["display_name"] = data["display_name"]
    if "role" in data:
        role = Role.get_or_none(Role.key == data["role"])
        if role is None:
            raise ValidationError({"role": t("error.not_a_choice")})
        changes["role"] = role.id
    with database.atomic():
        _lock_administrators()
        current = get_user(user.id)
        if (changes.get("role", current.role_id) != current.role_id
                and current.role.key == ADMIN and current.active
                and _other_active_admins(current) == 0):
            raise ValidationError({"role": t("error.last_admin")})
        # Compared with the user as the form opened it: a save over someone
        # else's change since then is refused, not silently merged.
        diff = audit.diff(user, changes)
        if diff:
            update_as_read(user, changes)
            audit.record(actor, "user", current.id, audit.UPDATE, diff)
    return User.get_by_id(user.id)


def set_user_active(actor: User, user: User, active: bool) -> None:
    """Enable or disable an account; never the last active administrator."""
    require(actor, perm.USER_MANAGE)
    with database.atomic():
        _lock_administrators()
        accounts.set_active(actor, get_user(user.id), active)


def reset_user_password(actor: User, user: User, values: dict[str, Any]) -> None:
    """Set a new password for `user` (who forgot theirs); also lifts a lockout."""
    require(actor, perm.USER_MANAGE)
    # Passwords are taken as typed: spaces count.
    password = values.get("password") or ""
    if not password:
        raise ValidationError({"password": t("error.required")})
    accounts.reset_password(actor, get_user(user.id), password)


def unlock_user(actor: User, user: User) -> None:
    """Lift the lockout of an account too many failed logins closed."""
    require(actor, perm.USER_MANAGE)
    accounts.unlock(actor, user)


# ----- roles -------------------------------------------------------------

def role_query():
    """Roles with how many users have each and how many codes they grant."""
    members = (User.select(fn.COUNT(User.id)).where(User.role == Role.id))
    grants = (RolePermission.select(fn.COUNT(RolePermission.id))
              .where(RolePermission.role == Role.id))
    return (Role.select(Role, members.alias("users"), grants.alias("permissions"))
            .order_by(Role.id))


def get_role(role_id: int) -> Role:
    role = Role.get_or_none(Role.id == role_id)
    if role is None:
        raise NotFound(t("error.not_found"))
    return role


def create_role(actor: User, values: dict[str, Any]) -> Role:
    """A new role with no permissions; key: lower-case letters, digits, _."""
    require(actor, perm.USER_MANAGE)
    data = clean(ROLE_FIELDS, values)
    if not ROLE_KEY.match(data["key"]):
        raise ValidationError({"key": t("admin.error.role_key")})
    try:
        with database.atomic():
            if Role.select().where(Role.key == data["key"]).exists():
                raise ValidationError({"key": t("admin.error.role_key_taken")})
            role = Role.create(**data)
            audit.record(actor, "role", role.id, audit.CREATE,
                         {"key": (None, role.key), "name": (None, role.name)})
    except IntegrityError:
        raise ValidationError({"key": t("admin.error.role_key_taken")}) from None
    return role


def rename_role(actor: User, role: Role, values: dict[str, Any]) -> Role:
    """Change a role's name (its key, which the code may speak of, stays)."""
    require(actor, perm.USER_MANAGE)
    data = clean(ROLE_FIELDS[1:], values)
    with database.atomic():
        changes = audit.diff(role, data)
        if changes:
            update_as_read(role, data)
            audit.record(actor, "role", role.id, audit.UPDATE, changes)
    return Role.get_by_id(role.id)


def delete_role(actor: User, role: Role) -> None:
    """Delete a role no user has; the four seeded roles stay."""
    require(actor, perm.USER_MANAGE)
    if role.key in ROLE_KEYS:
        raise InvalidTransition(t("admin.error.role_seeded"))
    try:
        with database.atomic():
            members = User.select().where(User.role == role.id).count()
            if members:
                raise InvalidTransition(t("admin.error.role_in_use", users=members))
            RolePermission.delete().where(RolePermission.role == role.id).execute()
            if Role.delete().where(Role.id == role.id).execute() != 1:
                raise NotFound(t("error.not_found"))
            audit.record(actor, "role", role.id, audit.DELETE,
                         {"key": (role.key, None), "name": (role.name, None)})
    except IntegrityError:
        # A user was given this role after the count: the foreign key refused.
        raise InvalidTransition(t("admin.error.role_in_use",
                                  users=User.select().where(User.role == role.id).count())) from None


# ----- the permission matrix ---------------------------------------------

def permission_matrix(role: Role) -> list[tuple[str, str, bool]]:
    """(code, description, granted) of every permission, by code."""
    granted = (RolePermission.select(RolePermission.id)
               .where((RolePermission.role == role.id)
                      & (RolePermission.permission == Permission.id)))
    query = (Permission.select(Permission.code, Permission.description,
                               fn.EXISTS(granted).alias("granted"))
             .order_by(Permission.code))
    return [(code, description, bool(is_granted)) for code, description, is_granted in query.tuples()]


def set_grant(actor: User, role: Role, code: str, granted: bool) -> bool:
    """Grant or revoke `code` for `role`; True when something changed.

    The administrator role keeps user.manage: without it nobody could ever
    give any right back.
    """
    require(actor, perm.USER_MANAGE)
    permission = Permission.get_or_none(Permission.code == code)
    if permission is None:
        raise NotFound(t("error.not_found"))
    role = get_role(role.id)
    if not granted and role.key == ADMIN and code == perm.USER_MANAGE:
        raise InvalidTransition(t("admin.error.keep_user_manage"))
    with database.atomic():
        if granted:
            exists = (RolePermission.select().where((RolePermission.role == role.id)
                                                    & (RolePermission.permission == permission.id))
                      .exists())
            if exists:
                return False
            (RolePermission.insert(role=role.id, permission=permission.id)
             .on_conflict_ignore().execute())
        else:
            removed = (RolePermission.delete()
                       .where((RolePermission.role == role.id)
                              & (RolePermission.permission == permission.id))
                       .execute())
            if not removed:
                return False
        audit.record(actor, "role_permission", role.id, "grant" if granted else "revoke",
                     {code: (not granted, granted)})
    return True


# ----- the audit log -----------------------------------------------------

def audit_query(actor: User, user_id: int | None = None, table: str = "",
                date_from: dt.date | None = None, date_to: dt.date | None = None,
                text: str = ""):
    """Audit rows, newest first, with the actor's login; filtered by who
    (user id), which table, a date range (both days included) and `text`
    found in the field or the old or new value."""
    require(actor, perm.AUDIT_VIEW)
    query = (AuditLog.select(AuditLog, User.login.alias("actor_login"))
             .join(User, JOIN.LEFT_OUTER, on=(AuditLog.actor == User.id))
             .order_by(AuditLog.at.desc(), AuditLog.id.desc()))
    if user_id is not None:
        query = query.where(AuditLog.actor == user_id)
    if table:
        query = query.where(AuditLog.table_name == table)
    if date_from:
        query = query.where(AuditLog.at >= dt.datetime.combine(date_from, dt.time.min))
    if date_to:
        query = query.where(AuditLog.at < dt.datetime.combine(date_to + dt.timedelta(days=1),
                                                              dt.time.min))
    if text.strip():
        text = text.strip()
        query = query.where(AuditLog.field.contains(text) | AuditLog.old.contains(text)
                            | AuditLog.new.contains(text) | AuditLog.action.contains(text))
    return query


def audit_tables(actor: User) -> list[str]:
    require(actor, perm.AUDIT_VIEW)
    query = AuditLog.select(AuditLog.table_name).distinct().order_by(AuditLog.table_name)
    return [name for (name,) in query.tuples()]

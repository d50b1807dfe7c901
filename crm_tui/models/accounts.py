"""Account changes, each written to the audit log: creating users, resetting
and changing passwords, enabling and disabling accounts, lifting a lockout.

They sit above the audit log, which refers to users, so that models/users.py
(the tables, login and the permission check) does not import it back.

`actor` is the signed-in administrator on screens; None means the shell
(crm-tui user ...), whose operator already holds the database itself.
"""
from __future__ import annotations

from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models.base import database
from crm_tui.models.errors import InvalidTransition, NotFound, ValidationError
from crm_tui.models.users import ADMIN, MIN_PASSWORD_LENGTH, Role, User, is_locked, require
from crm_tui.models.validation import check_text


def unlock(actor: User | None, user: User) -> None:
    """Lift a lockout before its time (the administrator, or the shell's
    `crm-tui user unlock LOGIN`)."""
    _require_admin(actor)
    with database.atomic():
        current = User.get_or_none(User.id == user.id)
        if current is None:
            raise NotFound(t("error.not_found"))
        if not is_locked(current):
            raise InvalidTransition(t("rights.not_locked", login=current.login))
        User.update(failed_logins=0, locked_until=None, locked_at=None).where(
            User.id == user.id).execute()
        audit.record(actor, "user", user.id, "unlock",
                     {"locked_until": (current.locked_until, None)})


def _require_admin(actor: User | None) -> None:
    if actor is not None:
        require(actor, "user.manage")


def create_user(actor: User | None, login: str, display_name: str, role_key: str,
                password: str) -> User:
    _require_admin(actor)
    errors = {}
    login = login.strip()
    login_error = _name_error(login, 40)
    if login_error is None and any(char.isspace() for char in login):
        login_error = t("error.login_spaces")
    if login_error:
        errors["login"] = login_error
    elif User.select().where(User.login == login).exists():
        errors["login"] = t("error.login_taken")
    display_error = _name_error(display_name.strip(), 60)
    if display_error:
        errors["display_name"] = display_error
    role = Role.get_or_none(Role.key == role_key)
    if role is None:
        errors["role"] = t("error.not_a_choice")
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = t("error.password_short", length=MIN_PASSWORD_LENGTH)
    if errors:
        raise ValidationError(errors)
    with database.atomic():
        user = User(login=login, display_name=display_name.strip(), role=role)
        user.set_password(password)
        user.save()
        audit.record(actor, "user", user.id, audit.CREATE)
    return user


def _name_error(text: str, limit: int) -> str | None:
    """The field message for a login or display name, None when it is fine:
    one line of printable text (no control characters, NUL, bidi overrides
    or lone surrogates, which would be stored and later act on a terminal,
    or fail inside the write)."""
    if not text:
        return t("error.required")
    try:
        check_text(text, multiline=False)
    except ValueError as error:
        return str(error)
    if len(text) > limit:
        return t("error.too_long", limit=limit)
    return None


def reset_password(actor: User | None, user: User, password: str) -> None:
    _require_admin(actor)
    user.set_password(password)
    with database.atomic():
        User.update(password_hash=user.password_hash, failed_logins=0, locked_until=None,
                    locked_at=None).where(
            User.id == user.id).execute()
        audit.record(actor, "user", user.id, "password")


def change_own_password(user: User, old_password: str, new_password: str) -> None:
    """Every user may change their own password, knowing the old one."""
    if not user.check_password(old_password):
        # The user is known here: say which field is wrong.
        raise ValidationError({"old_password": t("ops.password.wrong_current")})
    user.set_password(new_password)
    with database.atomic():
        User.update(password_hash=user.password_hash).where(User.id == user.id).execute()
        audit.record(user, "user", user.id, "password")


def set_active(actor: User | None, user: User, active: bool) -> None:
    """Enable or disable an account; the last active administrator stays."""
    _require_admin(actor)
    with database.atomic():
        if not active and user.role.key == ADMIN and _active_admins().where(
                User.id != user.id).count() == 0:
            raise ValidationError({"active": t("error.last_admin")})
        User.update(active=active, version=User.version + 1).where(User.id == user.id).execute()
        audit.record(actor, "user", user.id, audit.UPDATE, {"active": (user.active, active)})


def _active_admins():
    return User.select().join(Role).where((Role.key == ADMIN) & (User.active == True))  # noqa: E712

"""Account changes, each written to the audit log: creating users, resetting
and changing passwords, enabling and disabling accounts.

They sit above the audit log, which refers to users, so that models/users.py
(the tables, login and the permission check) does not import it back.

`actor` is the signed-in administrator on screens; None means the shell
(crm-tui user ...), whose operator already holds the database itself.
"""
from __future__ import annotations

from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models.base import database
from crm_tui.models.errors import ValidationError
from crm_tui.models.users import ADMIN, MIN_PASSWORD_LENGTH, Role, User, require


def _require_admin(actor: User | None) -> None:
    if actor is not None:
        require(actor, "user.manage")


def create_user(actor: User | None, login: str, display_name: str, role_key: str,
                password: str) -> User:
    _require_admin(actor)
    errors = {}
    login = login.strip()
    if not login or len(login) > 40 or any(char.isspace() for char in login):
        errors["login"] = t("error.required") if not login else t("error.too_long", limit=40)
    elif User.select().where(User.login == login).exists():
        errors["login"] = t("error.login_taken")
    if not display_name.strip():
        errors["display_name"] = t("error.required")
    role = Role.get_or_none(Role.key == role_key)
    if role is None:
        errors["role"] = t("error.not_a_choice")
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = t("error.password_short", length=MIN_PASSWORD_LENGTH)
    if errors:
        raise ValidationError(errors)
    with database.atomic():
        user = User(login=login, display_name=display_name.strip()[:60], role=role)
        user.set_password(password)
        user.save()
        audit.record(actor, "user", user.id, audit.CREATE)
    return user


def reset_password(actor: User | None, user: User, password: str) -> None:
    _require_admin(actor)
    user.set_password(password)
    with database.atomic():
        User.update(password_hash=user.password_hash, failed_logins=0, locked_until=None).where(
            User.id == user.id).execute()
        audit.record(actor, "user", user.id, "password")


def change_own_password(user: User, old_password: str, new_password: str) -> None:
    """Every user may change their own password, knowing the old one."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": t("login.failed")})
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
        User.update(active=active).where(User.id == user.id).execute()
        audit.record(actor, "user", user.id, audit.UPDATE, {"active": (user.active, active)})


def _active_admins():
    return User.select().join(Role).where((Role.key == ADMIN) & (User.active == True))  # noqa: E712

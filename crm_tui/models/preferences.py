"""What a user chose for their own sessions (the colour theme, the language)
and the end of a session.

A preference is empty until the user chooses: then config.yaml's `theme`
and `locale` apply. Choosing is not a business change, so it writes no
audit row; signing out does (and the app log says so too).
"""
from __future__ import annotations

from peewee import CharField, ForeignKeyField

from crm_tui.i18n import LOCALES
from crm_tui.models import audit
from crm_tui.models.base import BaseModel, database
from crm_tui.models.errors import ValidationError
from crm_tui.models.users import User

SIGN_OUT = "sign_out"


class UserPreference(BaseModel):
    user = ForeignKeyField(User, backref="+", unique=True, on_delete="CASCADE")
    # A Textual theme name ("textual-light"); "": the configured theme.
    theme = CharField(max_length=60, default="")
    # "en" or "zh_CN"; "": the configured locale.
    locale = CharField(max_length=10, default="")


def preference_of(user: User) -> UserPreference:
    """The user's preferences (empty ones, not saved, when none were chosen)."""
    return (UserPreference.get_or_none(UserPreference.user == user.id)
            or UserPreference(user=user.id))


def _save(user: User, **values: str) -> None:
    with database.atomic():
        updated = (UserPreference.update(**values)
                   .where(UserPreference.user == user.id).execute())
        if not updated:
            UserPreference.create(user=user.id, **values)


def remember_theme(user: User, theme: str) -> None:
    """Keep `theme` as the user's own, for the next sessions too."""
    theme = theme.strip()
    if len(theme) > 60:
        raise ValidationError({"theme": "too long"})
    _save(user, theme=theme)


def remember_locale(user: User, locale: str) -> None:
    """Keep `locale` ("en", "zh_CN", or "" for the configured one) as the user's own."""
    if locale and locale not in LOCALES:
        raise ValidationError({"locale": f"one of {', '.join(LOCALES)}"})
    _save(user, locale=locale)


def sign_out(user: User) -> None:
    """The audit row of a session ended by its user."""
    with database.atomic():
        audit.record(user, "user", user.id, SIGN_OUT)

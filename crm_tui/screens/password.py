"""Every user changes their own password here (M6), knowing the old one."""
from __future__ import annotations

from typing import Any

from textual.app import App

from crm_tui.i18n import t
from crm_tui.models.accounts import change_own_password
from crm_tui.models.errors import ValidationError
from crm_tui.models.users import User
from crm_tui.models.validation import Field
from crm_tui.widgets.forms import FormModal

PASSWORD_FIELDS = (
    Field("old_password", "password.old", kind="password", required=True, max_length=200),
    Field("new_password", "password.new", kind="password", required=True, max_length=200),
    Field("new_password_again", "password.again", kind="password", required=True, max_length=200),
)


def change_password_with(user: User, values: dict[str, Any]) -> bool:
    """Check the form and change the password; errors name the form's fields."""
    # Passwords are taken as typed (spaces count), so only blanks are refused here.
    missing = {field.name: t("error.required") for field in PASSWORD_FIELDS if not values.get(field.name)}
    if missing:
        raise ValidationError(missing)
    data = values
    if data["new_password"] != data["new_password_again"]:
        raise ValidationError({"new_password_again": t("password.differ")})
    try:
        change_own_password(user, data["old_password"], data["new_password"])
    except ValidationError as error:
        # The model names the new password "password".
        raise ValidationError({("new_password" if name == "password" else name): message
                               for name, message in error.errors.items()}) from None
    return True


def password_form(user: User) -> FormModal:
    return FormModal(t("password.title"), PASSWORD_FIELDS, {},
                     lambda values: change_password_with(user, values))


def open_password_change(app: App) -> None:
    def done(changed: bool | None) -> None:
        if changed:
            app.notify(t("password.changed"))

    app.push_screen(password_form(app.user), done)

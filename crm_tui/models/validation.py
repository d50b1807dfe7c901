"""Field rules shared by the models (which enforce them) and the forms (which
show them).

A form is a list of `Field`s. `clean(fields, values)` checks every value,
converts it (text to int, date, Decimal) and either returns the cleaned dict
or raises one `ValidationError` naming every wrong field — never another
exception, so a screen can always show the message at the field.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Sequence

from crm_tui.i18n import t
from crm_tui.models.errors import ValidationError
from crm_tui.plain_text import unsafe_chars

# Digits with spaces, dashes and brackets: 010-62345678, (010) 62345678, +86 138 0013 8000
PHONE = re.compile(r"^\+?[0-9(][0-9 \-()]{4,24}$")
# A number that can be dialled has 7 (a local number) to 15 (ITU E.164) digits:
# "021-1" is the start of a number, not a number.
PHONE_DIGITS = (7, 15)
POSTCODE = re.compile(r"^[0-9]{6}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEXT_KINDS = ("text", "phone", "postcode", "email", "website")
WEBSITE = re.compile(r"^(https?://)?[\w.-]+\.[a-zA-Z]{2,}(/\S*)?$")


@dataclass(frozen=True)
class Field:
    """One input: its name, the i18n key of its label, and its rule."""

    name: str
    label: str
    kind: str = "text"  # text, int, decimal, date, phone, postcode, email, website, choice
    required: bool = False
    max_length: int = 100
    minimum: int | None = None
    maximum: int | None = None
    # For kind "choice": a callable giving [(value, label), ...] at form time.
    choices: Callable[[], Sequence[tuple[Any, str]]] | None = None
    # For a "choice" too long to list (thousands of products): the form
    # searches it, `search(text, limit)` giving [(value, label), ...], and
    # `describe(value)` gives the label of the value it opens with.
    search: Callable[[str, int], Sequence[tuple[Any, str]]] | None = None
    describe: Callable[[Any], str] | None = None
    multiline: bool = False



CENT = Decimal("0.01")


def cents(value: Any) -> Decimal:
    """An amount read from the database as money, to the cent. SQLite sums
    and stores decimal columns as floating point, so a float is read
    through its shortest text (25899.99, not 25899.989999...)."""
    if isinstance(value, float):
        # The same for sums of cent amounts (whose error is far below half
        # a cent), and a quarter of the cost: reports convert every row.
        return Decimal(f"{value:.2f}")
    if isinstance(value, Decimal):  # PostgreSQL's numeric
        return value.quantize(CENT)
    return Decimal(str(value or 0)).quantize(CENT)

def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_one(field: Field, value: Any) -> Any:
    """Return the cleaned value or raise ValueError with the message."""
    if isinstance(value, str) and not _storable(value):
        raise ValueError(t("error.not_storable"))
    if _blank(value):
        if field.required:
            raise ValueError(t("error.required"))
        # Text-like columns store "" for blank; numbers, dates and choices NULL.
        return "" if field.kind in TEXT_KINDS else None
    if field.kind == "choice":
        return value
    if field.kind == "date" and isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if field.kind == "int":
        try:
            number = int(text)
        except ValueError:
            raise ValueError(t("error.not_whole_number")) from None
        _check_range(field, number)
        return number
    if field.kind == "decimal":
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(t("error.not_number")) from None
        if not number.is_finite() or abs(number) >= Decimal("1e12"):
            raise ValueError(t("error.not_number"))
        _check_range(field, number)
        return number.quantize(Decimal("0.01"))
    if field.kind == "date":
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(t("error.bad_date")) from None
    if len(text) > field.max_length:
        raise ValueError(t("error.too_long", limit=field.max_length))
    patterns = {"phone": (PHONE, "error.bad_phone"), "postcode": (POSTCODE, "error.bad_postcode"),
                "email": (EMAIL, "error.bad_email"), "website": (WEBSITE, "error.bad_website")}
    if field.kind in patterns:
        pattern, message = patterns[field.kind]
        if not pattern.match(text):
            raise ValueError(t(message))
    if field.kind == "phone" and not PHONE_DIGITS[0] <= sum(c.isdigit() for c in text) <= PHONE_DIGITS[1]:
        raise ValueError(t("error.bad_phone"))
    check_text(text, multiline=field.multiline)
    return text


def check_text(text: str, multiline: bool = True) -> None:
    """Raise ValueError for text no field stores: text no database can
    store, and control characters (C0 but line breaks and tabs in
    `multiline` text, DEL, C1) and bidi overrides, which would act on the
    terminal or reorder the line when shown."""
    if not _storable(text):
        raise ValueError(t("error.not_storable"))
    if unsafe_chars(text, allow="\n\t" if multiline else ""):
        raise ValueError(t("error.control_chars"))


def _storable(text: str) -> bool:
    """False for text no database can store (lone surrogates from a broken
    paste): it would fail inside the write instead of at the field."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_range(field: Field, number: Any) -> None:
    if field.minimum is not None and number < field.minimum:
        raise ValueError(t("error.out_of_range", minimum=field.minimum, maximum=field.maximum))
    if field.maximum is not None and number > field.maximum:
        raise ValueError(t("error.out_of_range", minimum=field.minimum, maximum=field.maximum))


def clean(fields: Sequence[Field], values: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """Check and convert `values` against `fields`.

    With `partial`, fields absent from `values` are left alone (an edit of
    some fields); otherwise every field is checked, absent ones as blank.
    """
    known = {field.name for field in fields}
    unknown = set(values) - known
    if unknown:
        raise ValidationError({name: t("error.unknown_field") for name in sorted(unknown)})
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields:
        if partial and field.name not in values:
            continue
        try:
            cleaned[field.name] = _clean_one(field, values.get(field.name))
        except ValueError as error:
            errors[field.name] = str(error)
    if errors:
        raise ValidationError(errors)
    return cleaned

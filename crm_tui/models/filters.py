"""The filter language applied to a record kind's list.

`list_query(kind, user, text, within)` is the one search path of every
list: the kind's query in the user's scope, narrowed by the terms of `text`
(crm_tui.models.filter_language) turned into conditions on the fields the
kind declares (`RecordKind.filters`) and on its searchable fields for the
free words (`RecordKind.search`). `check(kind, text)` reads and compiles the
text without touching the database, so a screen can show where a filter
goes wrong before running it.
"""
from __future__ import annotations

import datetime as dt
import operator
import re
from functools import reduce
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from types import FunctionType
from typing import Any

from peewee import SQL, DateTimeField

from crm_tui.i18n import t
from crm_tui.models.dictionary import DictionaryEntry
from crm_tui.models.filter_language import Filter, FilterError, Term, parse
from crm_tui.models.kinds import (CHOICE, DATE, LOOKUP, NUMBER, TEXT, FilterField,
                                  RecordKind)
from crm_tui.models.users import User

NOTHING = SQL("1 = 0")


def uses_language(record_kind: RecordKind) -> bool:
    return bool(record_kind.filters) or record_kind.search is not None


def list_query(record_kind: RecordKind, user: Any, text: str, within: dict[str, Any]) -> Any:
    """The rows of the kind `user` may see, narrowed by `within` and by the
    filter `text`; FilterError when the text cannot be read."""
    if not uses_language(record_kind):
        return record_kind.query(user, text, within)
    parsed = parse(text)
    query = record_kind.query(user, "", within)
    for condition in conditions(record_kind, parsed):
        query = query.where(condition)
    return query


def check(record_kind: RecordKind, text: str) -> Filter:
    """The filter `text` read, and every field and value in it understood;
    FilterError otherwise. Reads nothing from the database except the
    lookups of LOOKUP fields, which are not run here."""
    parsed = parse(text)
    if uses_language(record_kind):
        for term in parsed.terms:
            if term.field is not None:
                _compile_field(_field(record_kind, term), term, lookups=False)
    return parsed


def error_text(error: FilterError) -> str:
    """A parse or compile error as one line for the user."""
    return t("filters.error.at", position=error.position + 1,
             reason=t(error.reason, **error.words))


def conditions(record_kind: RecordKind, parsed: Filter) -> list[Any]:
    found = []
    for term in parsed.terms:
        if term.field is None:
            if not term.value.strip() or record_kind.search is None:
                continue
            condition = record_kind.search(term.value)
        else:
            condition = _compile_field(_field(record_kind, term), term)
        found.append(~condition if term.negated else condition)
    return found


def while_typing(record_kind: RecordKind, text: str) -> str:
    """What of `text` to apply while it is still being typed: all of it,
    but a last word that may be the start of a field's name ("re" on the
    way to "region:"), which would otherwise be searched for as a word
    (and a word of one or two letters has no index to help)."""
    if not text or text[-1].isspace() or not uses_language(record_kind):
        return text
    start = max(text.rfind(space) for space in " \t\u3000") + 1
    word = text[start:].lstrip("-").casefold()
    if not word or any(char in word for char in ':：=<>!"'):
        return text
    if any(name.casefold().startswith(word) for name in field_names(record_kind)):
        return text[:start]
    return text


def field_names(record_kind: RecordKind) -> list[str]:
    """Every name the kind's fields answer to, for help and errors."""
    return [name for filter_field in record_kind.filters for name in filter_field.names]


def _field(record_kind: RecordKind, term: Term) -> FilterField:
    wanted = term.field.casefold()
    for filter_field in record_kind.filters:
        if any(name.casefold() == wanted for name in filter_field.names):
            return filter_field
    raise FilterError(term.start + (1 if term.negated else 0), "filters.error.unknown_field",
                      field=term.field,
                      known=", ".join(filter_field.name for filter_field in record_kind.filters))


def _compile_field(filter_field: FilterField, term: Term, lookups: bool = True) -> Any:
    if isinstance(filter_field.expression, FunctionType):
        # An expression made when the query is (a status shown as of today).
        filter_field = replace(filter_field, expression=filter_field.expression())
    compile_type = {TEXT: _text, NUMBER: _number, DATE: _date, CHOICE: _choice,
                    LOOKUP: _lookup}[filter_field.type]
    return compile_type(filter_field, term, lookups)


def _operator_error(filter_field: FilterField, term: Term, allowed: str) -> FilterError:
    return FilterError(term.value_start - len(term.op), "filters.error.operator",
                       field=term.field, op=term.op, allowed=allowed)


def _compare(expression: Any, op: str, value: Any) -> Any:
    return {"=": expression == value, ":": expression == value, "!=": expression != value,
            "<": expression < value, "<=": expression <= value,
            ">": expression > value, ">=": expression >= value}[op]


def _text(filter_field: FilterField, term: Term, lookups: bool) -> Any:
    if term.op == ":":
        if filter_field.match is not None:
            return filter_field.match(":", term.value) if lookups else NOTHING
        return filter_field.expression.contains(term.value)
    return _compare(filter_field.expression, term.op, term.value)


def _number(filter_field: FilterField, term: Term, _lookups: bool) -> Any:
    try:
        value = Decimal(term.value.replace(",", ""))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise FilterError(term.value_start, "filters.error.number", field=term.field)
    if value == value.to_integral_value():
        value = int(value)
    return _compare(filter_field.expression, term.op, value)


_PERIOD = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def period(text: str) -> tuple[dt.date, dt.date] | None:
    """The days "2026-03-05", "2026-03" or "2026" stand for, as a half-open
    range [first day, day after the last); None for anything else."""
    matched = _PERIOD.fullmatch(text.strip())
    if matched is None:
        return None
    year, month, day = (int(part) if part else None for part in matched.groups())
    try:
        if month is None:
            return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        if day is None:
            start = dt.date(year, month, 1)
            return start, (start + dt.timedelta(days=32)).replace(day=1)
        start = dt.date(year, month, day)
        return start, start + dt.timedelta(days=1)
    except (ValueError, OverflowError):
        return None


def _date(filter_field: FilterField, term: Term, _lookups: bool) -> Any:
    found = period(term.value)
    if found is None:
        raise FilterError(term.value_start, "filters.error.date", field=term.field)
    start, end = found
    expression = filter_field.expression
    if isinstance(expression, DateTimeField):
        start, end = (dt.datetime.combine(day, dt.time()) for day in (start, end))
    if term.op in (":", "="):
        return (expression >= start) & (expression < end)
    return {"!=": (expression < start) | (expression >= end),
            "<": expression < start, "<=": expression < end,
            ">": expression >= end, ">=": expression >= start}[term.op]


def _choice(filter_field: FilterField, term: Term, _lookups: bool) -> Any:
    if term.op not in (":", "=", "!="):
        raise _operator_error(filter_field, term, ": = !=")
    codes = chosen_codes(filter_field, term.value)
    if not codes:
        shown = ", ".join(code for code, _labels in filter_field.choices())
        raise FilterError(term.value_start, "filters.error.choice", field=term.field,
                          choices=shown)
    condition = filter_field.expression.in_(codes)
    return ~condition if term.op == "!=" else condition


def chosen_codes(filter_field: FilterField, value: str) -> list[str]:
    """The codes `value` names: the one it is (code or label), else those
    it begins, else those it is part of."""
    wanted = value.casefold()
    choices = [(code, [code.casefold(), *(label.casefold() for label in labels)])
               for code, labels in filter_field.choices()]
    for fits in (lambda name: name == wanted, lambda name: name.startswith(wanted),
                 lambda name: wanted in name):
        codes = [code for code, names in choices if any(fits(name) for name in names)]
        if codes:
            return codes
    return []


def _lookup(filter_field: FilterField, term: Term, lookups: bool) -> Any:
    if term.op not in (":", "=", "!="):
        raise _operator_error(filter_field, term, ": = !=")
    if not lookups:
        return NOTHING
    if term.op == "!=":
        return ~filter_field.match("=", term.value)
    return filter_field.match(term.op, term.value)


# ----- matches for the fields the kinds declare ---------------------------------

def dictionary_match(column: Any, entry_type: str):
    """`match` of a LOOKUP field naming a dictionary entry (a region, a
    level): the entries whose item contains (":") or is ("=") the value,
    looked up first and compared by id, so the list's own index serves."""
    def match(op: str, value: str) -> Any:
        item = DictionaryEntry.item
        found = DictionaryEntry.select(DictionaryEntry.id).where(
            (DictionaryEntry.type == entry_type)
            & ((item == value) if op == "=" else item.contains(value)))
        return column.in_([entry_id for (entry_id,) in found.tuples()])
    return match


def words_in(*columns: Any):
    """`search` of a kind: a free word is in one of `columns`."""
    def search(word: str) -> Any:
        return reduce(operator.or_, [column.contains(word) for column in columns])
    return search


def user_match(column: Any):
    """`match` of a LOOKUP field naming a user (an account manager): users
    whose name contains (":") or is ("=") the value, or whose login is it."""
    def match(op: str, value: str) -> Any:
        name = User.display_name
        found = User.select(User.id).where(
            ((name == value) if op == "=" else name.contains(value)) | (User.login == value))
        return column.in_([user_id for (user_id,) in found.tuples()])
    return match


__all__ = ["FilterError", "check", "conditions", "dictionary_match", "error_text", "field_names",
           "list_query", "period", "user_match", "uses_language", "while_typing", "words_in"]

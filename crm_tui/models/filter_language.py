"""The filter language of every list: text → terms → text again.

    福建 大客户                  free words: every one must match some searchable field
    region:福建 manager:王       field:value (a field's name in English or Chinese)
    satisfaction<3 created>=2026-01-01 amount>100000
    -status:lost                 a leading minus negates a term
    name:"华东 电力"              quotes keep spaces (\\" and \\\\ inside quotes)

The operators are `:` (contains, for text; equals otherwise), `=`, `!=`,
`<`, `<=`, `>`, `>=`; the full-width colon `：` that a Chinese input method
types is read as `:`. Terms are separated by white space and all must hold.

`parse(text)` gives a `Filter` (a tuple of `Term`s) or raises `FilterError`
with the position (0-based, in characters) where the text went wrong;
`str(filter)` prints it back in a form that parses to the same terms. What a
field name means and how a value is compared is the business of the record
kind the filter is applied to (crm_tui.models.filters); this module knows
no fields and no database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as attribute

OPERATORS = (">=", "<=", "!=", ":", "=", "<", ">")
FULL_WIDTH_COLON = "："
# A field name, then an operator, at the start of a term.
_FIELD_START = re.compile(r"(\w+)(>=|<=|!=|:|：|=|<|>)")
_OPERATOR_CHARACTERS = frozenset(":：=<>!")


class FilterError(ValueError):
    """A filter that cannot be read (or names something the list does not
    know); `position` is where it went wrong, `reason` the i18n key of why,
    `words` what the message names."""

    def __init__(self, position: int, reason: str, **words: object):
        self.position = position
        self.reason = reason
        self.words = words
        super().__init__(f"{reason} at {position}")


@dataclass(frozen=True)
class Term:
    """One condition: a free word (`field` None) or `field op value`;
    `negated` for a leading minus. `start`/`end` locate the term in the text
    it was read from (not part of equality)."""

    value: str
    field: str | None = None
    op: str = ":"
    negated: bool = False
    start: int = attribute(default=0, compare=False)
    end: int = attribute(default=0, compare=False)
    # Where the value begins in the text (for errors about the value).
    value_start: int = attribute(default=0, compare=False)

    def __str__(self) -> str:
        sign = "-" if self.negated else ""
        if self.field is None:
            return sign + _free_word_text(self.value)
        return f"{sign}{self.field}{self.op}{_value_text(self.value)}"


@dataclass(frozen=True)
class Filter:
    terms: tuple[Term, ...] = ()

    def __str__(self) -> str:
        return " ".join(str(term) for term in self.terms)

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def words(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if term.field is None)


def parse(text: str) -> Filter:
    """The terms of `text`; FilterError when it cannot be read."""
    terms = []
    position = 0
    length = len(text)
    while True:
        while position < length and text[position].isspace():
            position += 1
        if position >= length:
            return Filter(tuple(terms))
        term, position = _term(text, position)
        terms.append(term)


def _term(text: str, start: int) -> tuple[Term, int]:
    position = start
    negated = text[position] == "-"
    if negated:
        position += 1
        if position >= len(text) or text[position].isspace():
            raise FilterError(start, "filters.error.lone_minus")
    matched = _FIELD_START.match(text, position)
    if matched is None:
        value, end = _value(text, position)
        return Term(value, None, ":", negated, start, end, position), end
    name, op = matched.group(1), matched.group(2)
    if op == FULL_WIDTH_COLON:
        op = ":"
    value_start = matched.end()
    if value_start >= len(text) or text[value_start].isspace():
        raise FilterError(value_start, "filters.error.no_value", field=name, op=op)
    value, end = _value(text, value_start)
    return Term(value, name, op, negated, start, end, value_start), end


def _value(text: str, start: int) -> tuple[str, int]:
    """A quoted or a bare value beginning at `start`; (value, end)."""
    if text[start] != '"':
        end = start
        while end < len(text) and not text[end].isspace():
            if text[end] == '"':
                raise FilterError(end, "filters.error.quote_inside")
            end += 1
        return text[start:end], end
    characters = []
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text):
            characters.append(text[position + 1])
            position += 2
            continue
        if char == '"':
            end = position + 1
            if end < len(text) and not text[end].isspace():
                raise FilterError(end, "filters.error.after_quote")
            return "".join(characters), end
        characters.append(char)
        position += 1
    raise FilterError(start, "filters.error.open_quote")


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _bare_is_safe(value: str) -> bool:
    return bool(value) and not any(char.isspace() or char == '"' for char in value)


def _value_text(value: str) -> str:
    """A field's value as typed: bare when it reads back the same."""
    if _bare_is_safe(value) and value[0] not in _OPERATOR_CHARACTERS:
        return value
    return _quoted(value)


def _free_word_text(value: str) -> str:
    """A free word as typed: bare unless it would read as something else
    (a negation, a field term, a quoted phrase)."""
    if _bare_is_safe(value) and value[0] != "-" and not _FIELD_START.match(value):
        return value
    return _quoted(value)


__all__ = ["Filter", "FilterError", "OPERATORS", "Term", "parse"]

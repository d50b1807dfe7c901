"""Record kinds: every entity a user works on, declared once.

A `RecordKind` says what a list of the entity shows (columns, the query in
the user's scope, the default order), how one record is shown (its fields
as label/value rows and any sections such as a history), and what can be
done to it (`Action`s). The screens are drawn from the kind; the footer,
F1, the actions menu and the tests read the same declaration.

An action names the model method it runs and the model check that says
whether the user may run it now (`check(record, actor)`, which raises
PermissionDenied or InvalidTransition). "What may this user do to this
record" is therefore answered by the same code that guards the write.

Records that move through states declare their `Transitions`: the model
methods check them (see `workflow.StateMachine`) and the property tests
walk them.

Nothing here imports Textual: kinds are models-layer data.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence

import crm_tui.models  # load_all: every model module, which declares its kinds
from crm_tui.i18n import t
from crm_tui.models.errors import InvalidTransition, NotFound, PermissionDenied
from crm_tui.models.validation import Field


@dataclass(frozen=True)
class Column:
    """One list column: the row key it shows, its label, width in terminal
    cells, the SQL expression to sort by (None: not sortable), and an
    optional `format(value) -> str`.

    A list is made for 80 columns; a wider terminal shows more. `priority`
    0 is always shown; a column of priority 1, 2, ... only when the list
    has room for it (and for every column of a lower priority). What room
    is left goes to the columns with a `max_width` (a name, a summary),
    up to that many cells."""

    key: str
    label_key: str
    width: int
    expression: Any = None
    format: Callable[[Any], str] | None = None
    priority: int = 0
    max_width: int = 0

    def text(self, row: dict) -> str:
        value = row.get(self.key)
        if self.format is not None:
            return self.format(value)
        return "" if value is None else str(value)


@dataclass(frozen=True)
class MailFile:
    """A record as a spreadsheet mailed to its customer: the file's name,
    its header and rows (written as XLSX), and the mail's subject and body."""

    customer_id: int
    file_name: str
    headers: list[str]
    rows: list[tuple]
    subject: str
    body: str


class Transitions:
    """A state graph as data: (from-state, action, to-state) triples.

    The model methods ask `sources(action)` before a change; the tests walk
    the same triples. An action that removes the record has target None.
    """

    def __init__(self, triples: Iterable[tuple[str, str, str | None]]):
        self.triples = tuple(triples)

    def sources(self, action: str) -> frozenset[str]:
        return frozenset(source for source, name, _target in self.triples if name == action)

    def targets(self, action: str, source: str) -> frozenset[str | None]:
        return frozenset(target for start, name, target in self.triples
                         if name == action and start == source)

    def edges(self, action: str) -> frozenset[tuple[str, str | None]]:
        """The (from, to) pairs `action` may take."""
        return frozenset((source, target) for source, name, target in self.triples
                         if name == action)

    def allows(self, action: str, state: str) -> bool:
        return state in self.sources(action)

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(name for _source, name, _target in self.triples)

    @property
    def states(self) -> frozenset[str]:
        found = set()
        for source, _name, target in self.triples:
            found.add(source)
            if target is not None:
                found.add(target)
        return frozenset(found)


# The types of a filterable field; see `FilterField`.
TEXT, NUMBER, DATE, CHOICE, LOOKUP = "text", "number", "date", "choice", "lookup"


@dataclass(frozen=True)
class FilterField:
    """A field a list can be filtered by in the filter language
    (`region:福建`, `satisfaction<3`; see crm_tui.models.filter_language).

    - `name`: its English name; `aliases`: other names it answers to (the
      Chinese ones, short forms); case does not matter.
    - `type`: TEXT (":" contains, "=" equals, comparisons by text),
      NUMBER, DATE (a day, a month "2026-03" or a year "2026", and
      comparisons by them), CHOICE (a state: its code or its label in
      any language) or LOOKUP (a name looked up elsewhere, such as a
      region or an account manager).
    - `expression`: the column or SQL expression compared (or a function
      making it when the query is made); the list's query must hold what
      it names.
    - `match(op, value)`: the condition itself, for LOOKUP fields and for
      text that has an index of its own (": contains" through the text
      index); ops "=" and ":" only.
    - `choices()`: for CHOICE fields, (code, labels) pairs.
    """

    name: str
    aliases: tuple[str, ...]
    type: str
    expression: Any = None
    match: Callable[[str, str], Any] | None = None
    choices: Callable[[], Sequence[tuple[str, Sequence[str]]]] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def labelled_choices(codes: Iterable[str], key_prefix: str) -> Callable[[], list]:
    """`choices` for a CHOICE field: each code with its label in every
    language (so `status:流失` works in an English session too)."""
    from crm_tui.i18n import LOCALES, strings

    def choices() -> list[tuple[str, list[str]]]:
        return [(code, [strings(locale).get(key_prefix + code, code) for locale in LOCALES])
                for code in codes]
    return choices


Check = Callable[[Any, Any], None]


@dataclass(frozen=True)
class Action:
    """Something a user does to a record (or, with `on_row=False`, to the
    list: a new record, possibly of a parent record).

    - `key`: the default key (a keymap in config.yaml may change it by the
      binding id "<kind>.<id>").
    - `check(record, actor)`: raises when the actor may not do it now; the
      model method runs the same check again when saving.
    - `form(record, actor)`: the fields to ask for, or None for no form.
    - `prefill(record, actor)`: the form's starting values.
    - `ask`: the i18n key of a yes/no question asked first (deletes).
    - `run(record, actor, values)`: the model call; `values` is the form's
      content ({} without a form). For `on_row=False` the record is the
      parent (or None).
    - `done`: the i18n key of what to say afterwards, formatted with the
      kind's `words` of the record and, when callable, given the result.
    - `leaves`: the record is gone afterwards (a detail screen closes).
    - `in_list`: offered on the rows of a list too, not only on the
      record's own screen.
    - `similar(record, actor, values)`: records like the one the form
      would save, as (id, what is alike), asked before saving (a customer
      with the same tax number exists: open it?); None: nothing asked.
    """

    id: str
    key: str
    label: str
    run: Callable[[Any, Any, dict[str, Any]], Any]
    check: Check | None = None
    form: Callable[[Any, Any], Sequence[Field]] | None = None
    prefill: Callable[[Any, Any], dict[str, Any]] | None = None
    title: str | None = None
    ask: str | None = None
    done: str | Callable[[Any], str] = ""
    on_row: bool = True
    leaves: bool = False
    in_list: bool = True
    similar: Callable[[Any, Any, dict[str, Any]], list[tuple[Any, str]]] | None = None

    def allowed(self, record: Any, actor: Any) -> bool:
        if actor is None or (self.on_row and record is None):
            return False
        if self.check is None:
            return True
        try:
            self.check(record, actor)
        except (PermissionDenied, InvalidTransition, NotFound):
            return False
        return True


@dataclass(frozen=True)
class RecordKind:
    """One entity as the screens see it; see the module's description.

    - `query(user, search, within)`: the list's select in the user's scope,
      narrowed by `within`: {"parent": id} (a customer's contacts),
      {"status": state} (a state filter); either may be None.
    - `get(user, id)`: one record the user may see (NotFound otherwise).
    - `words(record)`: values for the i18n texts of this kind ({name} ...).
    - `rows(record)`: the detail's (label key, value) rows.
    - `sections(record)`: further (title key, lines) blocks (a history).
    - `opens`: the kind whose screen Enter on a row opens (its own name,
      usually); None: rows open nothing.
    - `parent` / `child`: the kind a record belongs to (a contact's
      customer) / the kind listed under a record (an opportunity's plan).
    - `status_filters`: the states a list can be narrowed to, in order.
    - `changes`: other kinds whose lists show this kind's changes too.
    - `find(user, text, limit)`: records for the command palette, as
      (id, label, help) in the user's scope; None: not searched there.
    - `bulk`: actions for the marked rows of a list only (assign them all
      to one account manager): the form is asked once, `check` and `run`
      go row by row (models/bulk.py). The row actions without a form
      (delete ...) are offered for marked rows too.
    - `filters`: the fields the filter language may name in the list;
      `search(word)`: the condition "a free word of the filter is in one of
      the searchable fields". A kind with either gets the filter language
      (crm_tui.models.filters) and its `query` is called with no search;
      one with neither gets the text as it was typed.
    """

    name: str
    title: str
    columns: Sequence[Column]
    query: Callable[[Any, str, dict[str, Any]], Any]
    get: Callable[[Any, int], Any]
    actions: Sequence[Action] = ()
    words: Callable[[Any], dict[str, Any]] = lambda record: {}
    heading: Callable[[Any], str] | None = None
    rows: Callable[[Any], list[tuple[str, Any]]] | None = None
    sections: Callable[[Any], list[tuple[str, list[str]]]] | None = None
    transitions: Transitions | None = None
    # Where the record's documents are: (customer id, contract id or None);
    # its screen then lists and attaches them (f).
    documents: Callable[[Any], tuple[int, int | None]] | None = None
    # The file the record is mailed as (a quote's sheet), or None when it
    # is not to be mailed now; its screen then offers m.
    mail_file: Callable[[Any], "MailFile | None"] | None = None
    opens: str | None = None
    parent: str | None = None
    child: str | None = None
    status_filters: tuple[str, ...] = ()
    status_label: Callable[[str], str] = str
    changes: tuple[str, ...] = ()
    find: Callable[[Any, str, int], list[tuple[Any, str, str]]] | None = None
    bulk: Sequence[Action] = ()

    def bulk_actions(self) -> list[Action]:
        """What can be done to the marked rows of a list of this kind."""
        return [*self.bulk, *[action for action in self.actions
                              if action.on_row and action.in_list and action.form is None]]
    filters: Sequence[FilterField] = ()
    search: Callable[[str], Any] | None = None

    def action(self, action_id: str) -> Action:
        for action in self.actions:
            if action.id == action_id:
                return action
        raise KeyError(f"{self.name} has no action {action_id!r}")

    def allowed_actions(self, record: Any, actor: Any, parent: Any = None) -> list[Action]:
        """The actions `actor` may take now: on `record` (the row or the
        record shown) and on the list (with its `parent`)."""
        return [action for action in self.actions
                if action.allowed(record if action.on_row else parent, actor)]

    def text(self, key: str | None, record: Any, result: Any = None) -> str:
        """An i18n text of this kind about `record`."""
        if not key:
            return ""
        if callable(key):
            return key(result)
        return t(key, **(self.words(record) if record is not None else {}))


# ----- the registry --------------------------------------------------------

KINDS: dict[str, RecordKind] = {}


def register(kind: RecordKind) -> RecordKind:
    KINDS[kind.name] = kind
    return kind


def kind(name: str) -> RecordKind:
    """The declared kind `name` (every model module declares its kinds when
    imported, and crm_tui.models.load_all imports them all)."""
    if name not in KINDS:
        crm_tui.models.load_all()
    return KINDS[name]


def all_kinds() -> list[RecordKind]:
    crm_tui.models.load_all()  # every model module, which declares its kinds
    return list(KINDS.values())


# ----- text helpers for columns and detail rows -----------------------------

def moment_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def day_text(value: Any) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return "" if value is None else str(value)


def money(value: Any) -> str:
    """1,234,567.80: thousands separators and two decimals ("" for none)."""
    return "" if value is None else f"{Decimal(str(value)):,.2f}"


def user_name(user_id: int | None) -> str:
    from crm_tui.models.users import User

    if user_id is None:
        return ""
    user = User.get_or_none(User.id == user_id)
    return user.display_name if user else ""

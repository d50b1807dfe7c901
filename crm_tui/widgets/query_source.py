"""Pages of a Peewee select for the lists: counted lean, read by seeking.

`QuerySource` is what every list's `LazyTable` reads from. It counts a
list without the joins that cannot change the count, and reads each page
from a known key (the last key of the page before, or the end of the list)
instead of skipping rows, so that the last page or a page deep in the list
costs what the first one does.

A list sorted by the name of a joined row (a customer's region, level or
account manager) is read one value of its foreign key at a time, in the
order of the joined names: each value's rows come in id order through the
foreign key's index, so no page sorts the whole list (see `JoinedSort`).
"""
from __future__ import annotations

import operator
import threading
from dataclasses import dataclass
from functools import reduce
from typing import Any, Callable, Sequence

from peewee import (JOIN, OP, SQL, Alias, Entity, Expression, Field, FieldAlias,
                    ForeignKeyField, Function, Join, ModelSelect, NodeList, Ordering,
                    SelectQuery, Value, WrappedNode, fn)
from peewee import Column as TableColumn

from crm_tui.models.base import is_postgres
from crm_tui.models.kinds import Column
from crm_tui.widgets.connection import connected


class QuerySource:
    """Rows of a Peewee select, built anew for each filter text.

    `query_for_filter(text)` returns the select (it may join and
    `select_extend` aliases); rows are read as dicts, so a column's `key` is
    the name or alias of a selected column. Paging is made stable by
    ordering by the primary key after the chosen sort.

    Pages are read by seeking, not by skipping: a page that follows one
    already read starts after that page's last key (sort value, then the
    primary key); a page near the end is read from the end in reverse order.
    So the last page, or the thousandth, costs what the first does. Counting
    leaves out the joins that cannot change the number of rows.
    """

    # Seek anchors kept per filter and sort: (offset -> key of the row before).
    ANCHORS_KEPT = 2000

    def __init__(self, query_for_filter: Callable[[str], Any], columns: Sequence[Column],
                 id_key: str = "id"):
        self.query_for_filter = query_for_filter
        self.columns = list(columns)
        self.id_key = id_key
        self._lock = threading.Lock()
        # Raised by every count (a reload after a change of data): anchors
        # read before it are not trusted after it.
        self._data_version = 0
        self._anchors: dict[tuple, dict[int, tuple]] = {}
        self._counts: dict[str, int] = {}
        # Sorts by a joined row's column: the foreign key's values in order
        # (per sort and data version), and the rows of each value (per filter).
        self._walk_values: dict[tuple, list | None] = {}
        self._walk_counts: dict[tuple, dict] = {}

    def count(self, filter_text: str) -> int:
        with connected():
            count = lean_count(self.query_for_filter(filter_text))
        return self.counted(filter_text, count)

    def counted(self, filter_text: str, count: int) -> int:
        """Take `count` as the number of rows for `filter_text` (counted
        now, by this source or by its caller): keys read before are not
        trusted after it."""
        self._recounted(filter_text, count)
        return count

    def count_at_most(self, filter_text: str, limit: int) -> int:
        """The number of rows up to `limit`, and `limit` + 1 when there are
        more: a scan that stops after that many matches."""
        with connected():
            count = lean_count(self.query_for_filter(filter_text), limit + 1)
        self._recounted(filter_text, count if count <= limit else None)
        return count

    def _recounted(self, filter_text: str, count: int | None) -> None:
        """After a count (a reload after a change of data): forget every key
        read before it; keep `count` when it is exact."""
        with self._lock:
            self._data_version += 1
            self._anchors.clear()
            self._walk_values.clear()
            self._walk_counts.clear()
            if count is not None:
                self._counts = {filter_text: count}

    def fetch(self, filter_text: str, sort: Column | None, descending: bool,
              offset: int, limit: int) -> list[dict]:
        with connected():
            query = self.query_for_filter(filter_text)
            joined_sort = JoinedSort.of(query, sort)
            if joined_sort is not None:
                rows = self._fetch_walking(query, joined_sort, filter_text, sort, descending,
                                           offset, limit)
                if rows is not None:
                    return rows
            terms = _order_terms(query, sort, descending)
            if terms is None:  # no key to seek by: plain OFFSET paging
                query = self._ordered(query, sort, descending)
                return list(query.dicts().limit(limit).offset(offset))
            with self._lock:
                version = self._data_version
                anchors = self._anchors.setdefault(
                    (filter_text, sort.key if sort else None, descending), {})
                count = self._counts.get(filter_text)
                below, anchor = _nearest_below(anchors, offset)
            rows = _read_page(query, terms, offset, limit, below, anchor, count)
            with self._lock:
                if rows and version == self._data_version and len(anchors) < self.ANCHORS_KEPT:
                    anchors[offset + len(rows)] = tuple(rows[-1][name] for name in _KEY_NAMES[:len(terms)])
            for row in rows:
                for name in _KEY_NAMES[:len(terms)]:
                    del row[name]
            return rows

    def _fetch_walking(self, query: Any, joined_sort: JoinedSort, filter_text: str,
                       sort: Column, descending: bool, offset: int, limit: int
                       ) -> list[dict] | None:
        """A page of a list sorted by a joined row's column, read value by
        value (`JoinedSort`); None when the foreign key has too many values."""
        place = (filter_text, sort.key, descending)
        with self._lock:
            version = self._data_version
            values = self._walk_values.get((sort.key, descending, version))
        if values is None:
            values = joined_sort.values(query, descending)
            with self._lock:
                self._walk_values[(sort.key, descending, version)] = values
        if values is None:
            return None
        with self._lock:
            anchors = self._anchors.setdefault(("walk", *place), {})
            count = self._counts.get(filter_text)
            below, anchor = _nearest_below(anchors, offset)
            value_counts = self._walk_counts.get((place, version))
        skip_forward = offset - below if anchor is not None else offset
        skip_backward = None
        if count is not None and offset < count:
            limit = min(limit, count - offset)
            skip_backward = count - offset - limit
        if skip_backward is not None and skip_backward < skip_forward and (
                skip_backward <= WALK_READ_THROUGH):
            found = joined_sort.read(query, values, descending, None, limit + skip_backward,
                                     backward=True)[skip_backward:][::-1]
        elif skip_forward <= WALK_READ_THROUGH:
            found = joined_sort.read(query, values, descending, anchor, limit + skip_forward
                                     )[skip_forward:]
        else:
            # Far from any known row: the rows of each value are counted
            # (once per filter), and the page read from inside its value.
            if value_counts is None:
                value_counts = joined_sort.value_counts(query)
                with self._lock:
                    self._walk_counts = {(place, version): value_counts}
            position, within = joined_sort.locate(values, value_counts, offset)
            found = joined_sort.read(query, values, descending, (position, None), limit,
                                     skip=within)
        with self._lock:
            if found and version == self._data_version and len(anchors) < self.ANCHORS_KEPT:
                anchors[offset + len(found)] = found[-1][0], found[-1][1][self.id_key]
        return [row for _position, row in found]

    def ids(self, filter_text: str) -> list[Any]:
        """The ids of every row matching `filter_text` ("mark all filtered")."""
        with connected():
            query = self.query_for_filter(filter_text)
            key = query.model._meta.primary_key
            return [row_id for (row_id,) in query.select(key).order_by().tuples().iterator()]

    @staticmethod
    def _ordered(query: Any, sort: Column | None, descending: bool) -> Any:
        """`query` in the order the pages are read in (what an export writes)."""
        joined_sort = JoinedSort.of(query, sort)
        if joined_sort is not None:
            return query.order_by(*joined_sort.ordering(query, descending))
        terms = _order_terms(query, sort, descending)
        if terms is not None:
            return query.order_by(*_ordering(terms))
        model = getattr(query, "model", None)
        primary_key = model._meta.primary_key if model is not None else None
        tie_breaker = [primary_key] if primary_key is not None else []
        if sort is not None and sort.expression is not None:
            first = sort.expression.desc() if descending else sort.expression.asc()
            return query.order_by(first, *tie_breaker)
        if getattr(query, "_order_by", None):
            return query.order_by_extend(*tie_breaker)
        return query.order_by(*tie_breaker)


# ----- seeking -------------------------------------------------------------
# The sort key of each row is read under these names (then removed).
_KEY_NAMES = tuple(f"__seek_key_{position}" for position in range(8))


def _nearest_below(anchors: dict[int, Any], offset: int) -> tuple[int, Any]:
    """(the offset of the nearest known key at or before `offset`, that key):
    (0, None) when none is known but the start."""
    below = max((known for known in anchors if known <= offset), default=0)
    return below, anchors.get(below) if below else None


def _order_terms(query: Any, sort: Column | None, descending: bool) -> list[tuple] | None:
    """The ordering of a page as (expression, descending, may be NULL) terms,
    ending with the primary key, which makes every row's key unique; None
    when the rows cannot be sought (no primary key, an ordering we cannot
    compare, too many terms)."""
    model = getattr(query, "model", None)
    primary_key = model._meta.primary_key if model is not None else None
    if primary_key is None or getattr(query, "_group_by", None) or getattr(query, "_distinct", None):
        return None
    if sort is not None and sort.expression is not None:
        orderings = [sort.expression.desc() if descending else sort.expression.asc()]
    else:
        orderings = list(getattr(query, "_order_by", None) or [])
    terms = []
    for ordering in orderings:
        if isinstance(ordering, Ordering):
            if ordering.collation or ordering.nulls:
                return None
            expression, term_descending = ordering.node, ordering.direction.upper() == "DESC"
        else:
            expression, term_descending = ordering, False
        expression = _selected_expression(query, expression)
        if expression is None:
            return None
        terms.append((expression, term_descending, _may_be_null(expression, model)))
        if expression is primary_key:
            break
    else:
        # Ties in the same direction as the sort, so one index serves both.
        terms.append((primary_key, terms[0][1] if terms else False, False))
    return terms if len(terms) <= len(_KEY_NAMES) else None


def _selected_expression(query: Any, expression: Any) -> Any:
    """What an ordering names: `SQL("region_name")` is the selected column
    aliased so, written out (PostgreSQL cannot compare with an alias in
    WHERE); None for SQL that names nothing selected."""
    if isinstance(expression, Alias):
        return expression.node
    if not isinstance(expression, SQL):
        return expression
    for node in getattr(query, "_returning", None) or ():
        if isinstance(node, Alias) and node._alias == expression.sql:
            return node.node
    return None


def _may_be_null(expression: Any, model: Any) -> bool:
    # Only a NOT NULL column of the query's own table is sure never to be
    # NULL; a joined table's column may be, from an outer join.
    return not (isinstance(expression, Field) and not isinstance(expression, FieldAlias)
                and expression.model is model and not expression.null)


def _ordering(terms: list[tuple], reverse: bool = False) -> list[Any]:
    return [expression.desc() if descending != reverse else expression.asc()
            for expression, descending, _nullable in terms]


def _nulls_first(query: Any, descending: bool) -> bool:
    """Where the database sorts NULLs: SQLite first when ascending,
    PostgreSQL first when descending."""
    return descending if is_postgres(query.model._meta.database) else not descending


def _after(query: Any, terms: list[tuple], key: tuple) -> Any:
    """The condition "comes after the row whose key is `key`" in the order of `terms`."""
    condition = None
    for (expression, descending, nullable), value in reversed(list(zip(terms, key))):
        nulls_first = _nulls_first(query, descending)
        if value is None:
            beyond = expression.is_null(False) if nulls_first else None
            same = expression.is_null()
        else:
            beyond = expression < value if descending else expression > value
            if nullable and not nulls_first:
                beyond = beyond | expression.is_null()
            same = expression == value
        tail = same & condition if condition is not None else None
        parts = [part for part in (beyond, tail) if part is not None]
        condition = reduce(operator.or_, parts) if parts else SQL("1 = 0")
    expression, descending, _nullable = terms[0]
    first_value = key[0]
    if first_value is not None and not (terms[0][2] and not _nulls_first(query, descending)):
        # A range on the first term, so that an index on it is used.
        condition = (expression <= first_value if descending else expression >= first_value) & condition
    return condition


def _keyed(query: Any, terms: list[tuple]) -> Any:
    return query.select_extend(*[expression.alias(name)
                                 for (expression, _d, _n), name in zip(terms, _KEY_NAMES)])


def _read_page(query: Any, terms: list[tuple], offset: int, limit: int, below: int,
               anchor: tuple | None, count: int | None) -> list[dict]:
    """Rows offset..offset+limit, read from the nearest known place: the key
    of an earlier row, the start, or the end (in reverse)."""
    keyed = _keyed(query, terms)
    skip_forward = offset - below if anchor is not None else offset
    if count is not None and offset < count:
        wanted = min(limit, count - offset)
        skip_backward = count - offset - wanted
        if skip_backward < skip_forward:
            rows = list(keyed.order_by(*_ordering(terms, reverse=True)).dicts()
                        .limit(wanted).offset(skip_backward))
            rows.reverse()
            return rows
    if anchor is not None:
        keyed = keyed.where(_after(query, terms, anchor))
    return list(keyed.order_by(*_ordering(terms)).dicts().limit(limit).offset(skip_forward))


# ----- a sort by a joined row's column ---------------------------------------
# A foreign key with more values in use than this is sorted by the database.
WALK_VALUES_MAX = 1000
# Rows read through to reach a page, at most; a page farther from any known
# row is found through the number of rows of each value.
WALK_READ_THROUGH = 250


@dataclass(frozen=True)
class JoinedSort:
    """A list sorted by a column of the row its foreign key points to (a
    customer's region name, its level's rank, its manager's name).

    Sorting the list itself would sort every row for every page. Instead the
    foreign key's values in use are put in the order of that column (a few
    dozen regions, not a million customers), and the list is read one value
    at a time, each value's rows in id order through the foreign key's
    index. The order is the same as ORDER BY the column, the foreign key,
    the id (`ordering`); rows without a value come where the database puts
    NULLs."""

    foreign_key: Field   # of the list's own table
    joined_key: Any      # the joined row's primary key, as the join names it
    expression: Any      # the joined row's column sorted by

    @classmethod
    def of(cls, query: Any, sort: Column | None) -> JoinedSort | None:
        if sort is None or sort.expression is None:
            return None
        chain = _join_chain(query)
        expression = _selected_expression(query, sort.expression)
        models = _models_in(expression) if expression is not None else None
        if chain is None or not models or len(models) != 1 or query.model in models:
            return None
        (joined,) = models
        for join in chain[1]:
            pair = _foreign_key_pair(join._on, query.model, required=False)
            if join.rhs is joined and pair is not None:
                return cls(*pair, expression)
        return None

    def ordering(self, query: Any, descending: bool) -> list[Any]:
        primary_key = query.model._meta.primary_key
        return [term.desc() if descending else term.asc()
                for term in (self.expression, self.foreign_key, primary_key)]

    def values(self, query: Any, descending: bool) -> list | None:
        """The foreign key's values in use, in the list's order (None for
        rows without one); None when there are more than WALK_VALUES_MAX."""
        used = self._values_in_use(query.model)
        if len(used) > WALK_VALUES_MAX:
            return None
        direction = (lambda term: term.desc()) if descending else (lambda term: term.asc())
        joined = self.joined_key.model
        ordered = [value for (value,) in joined.select(self.joined_key)
                   .where(self.joined_key.in_(used))
                   .order_by(direction(self.expression), direction(self.joined_key)).tuples()]
        if self.foreign_key.null and query.model.select().where(
                self.foreign_key.is_null()).exists():
            ordered.insert(0 if _nulls_first(query, descending) else len(ordered), None)
        return ordered

    def _values_in_use(self, model: Any) -> list:
        """The distinct non-NULL values of the foreign key, one index probe
        each (a loose index scan): a few dozen probes, not a million rows."""
        database = model._meta.database
        opening, closing = database.quote  # the database's quote characters
        table = f"{opening}{model._meta.table_name}{closing}"
        column = f"{opening}{self.foreign_key.column_name}{closing}"
        sql = (f"WITH RECURSIVE used(value) AS ("
               f"SELECT MIN({column}) FROM {table} UNION ALL "
               f"SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > used.value) "
               f"FROM used WHERE used.value IS NOT NULL) "
               f"SELECT value FROM used WHERE value IS NOT NULL LIMIT {WALK_VALUES_MAX + 1}")
        return [value for (value,) in database.execute_sql(sql)]

    def value_counts(self, query: Any) -> dict:
        """The number of rows of the list with each value of the foreign key."""
        counted = _lean(query).select(self.foreign_key, fn.COUNT(SQL("*"))).group_by(
            self.foreign_key).order_by()
        return dict(counted.tuples())

    @staticmethod
    def locate(values: list, value_counts: dict, offset: int) -> tuple[int, int]:
        """(position of the value holding row `offset`, rows of it before that row)."""
        before = 0
        for position, value in enumerate(values):
            rows = value_counts.get(value, 0)
            if offset < before + rows:
                return position, offset - before
            before += rows
        return len(values), 0

    def read(self, query: Any, values: list, descending: bool, start: tuple | None,
             wanted: int, skip: int = 0, backward: bool = False) -> list[tuple[int, dict]]:
        """Up to `wanted` rows as (position of their value, row), from
        `start` = (position, id of the row before, or None) or from the
        first value; `skip` rows of the first value are passed over.
        `backward` reads from the last row towards the first."""
        primary_key = query.model._meta.primary_key
        ids_descending = descending != backward
        positions = range(len(values) - 1, -1, -1) if backward else range(len(values))
        after_id = None
        if start is not None:
            first, after_id = start
            positions = range(first, len(values))
        found: list[tuple[int, dict]] = []
        for position in positions:
            value = values[position]
            page = query.where(self.foreign_key.is_null() if value is None
                               else self.foreign_key == value)
            if after_id is not None:
                page = page.where(primary_key < after_id if ids_descending
                                  else primary_key > after_id)
                after_id = None
            page = (page.order_by(primary_key.desc() if ids_descending else primary_key.asc())
                    .dicts().limit(wanted - len(found)))
            if skip:
                page, skip = page.offset(skip), 0
            found += [(position, row) for row in page]
            if len(found) >= wanted:
                break
        return found


# ----- counting ------------------------------------------------------------

def lean_count(query: Any, limit: int | None = None) -> int:
    """The number of rows of `query`, without the joins that cannot change it
    (with `limit`: of its first `limit` rows).

    The list queries join the names they show (region, level, manager): an
    INNER JOIN on a required foreign key, or a LEFT JOIN on any foreign key,
    to the other table's primary key matches exactly one row (at most one
    for the LEFT JOIN), so unless the search or another join refers to that
    table, the count is the same without it, and much cheaper."""
    if _join_chain(query) is None:
        return query.limit(limit).count() if limit is not None else query.count()
    lean = _lean(query)
    if limit is not None:
        # Peewee counts a limited select as a subquery: the scan stops at `limit`.
        return lean.select(SQL("1")).order_by().limit(limit).count()
    return lean.select(fn.COUNT(SQL("*"))).order_by().scalar()


def _lean(query: Any) -> Any:
    """`query` without the joins that cannot change its number of rows (the
    query itself when it is not a plain chain of joins)."""
    chain = _join_chain(query)
    if chain is None:
        return query
    base, joins = chain
    used = _models_in(query._where)
    kept = []
    for join in joins:
        elsewhere = [_models_in(other._on) for other in joins if other is not join]
        if used is None or any(models is None for models in elsewhere) or not _harmless(
                join, query.model) or join.rhs in used or any(join.rhs in models
                                                              for models in elsewhere):
            kept.append(join)
    source = base
    for join in kept:
        source = Join(source, join.rhs, join.join_type, join._on)
    lean = query.clone()
    lean._from_list = [source]
    return lean


def _join_chain(query: Any) -> tuple[Any, list[Any]] | None:
    """(the base table, its joins in order) of a plain model select; None
    for anything a count must not be rewritten for."""
    if not isinstance(query, ModelSelect) or len(query._from_list) != 1 or any(
            getattr(query, name, None) for name in ("_group_by", "_having", "_distinct",
                                                    "_limit", "_offset", "_windows", "_cte_list")):
        return None
    joins, node = [], query._from_list[0]
    while isinstance(node, Join):
        joins.append(node)
        node = node.lhs
    return node, joins[::-1]


def _models_in(node: Any) -> set | None:
    """The tables (models or aliases) an expression refers to; None when it
    holds something that cannot be read through (raw SQL, a subquery)."""
    found: set = set()
    pending = [node]
    while pending:
        node = pending.pop()
        if node is None or isinstance(node, (Value, str, int, float, bool)):
            continue
        if isinstance(node, (list, tuple)):
            pending.extend(node)
        elif isinstance(node, Field):
            found.add(node.model)
        elif isinstance(node, SelectQuery):
            # A subquery refers to the outer tables only through its conditions.
            pending.extend((node._where, node._returning))
        elif isinstance(node, (TableColumn, Entity)):
            continue  # a plain table's column or name, not one of the query's models
        elif isinstance(node, Expression):
            pending.extend((node.lhs, node.rhs))
        elif isinstance(node, NodeList):
            pending.extend(node.nodes)
        elif isinstance(node, Function):
            pending.extend(node.arguments)
        elif isinstance(node, WrappedNode):
            pending.append(node.node)
        else:
            return None
    return found


def _harmless(join: Any, model: Any) -> bool:
    """A join that cannot change the number of rows of `model`'s table."""
    if join.join_type == JOIN.LEFT_OUTER:
        return _many_to_one(join._on, model, required=False)
    return join.join_type == JOIN.INNER and _many_to_one(join._on, model, required=True)


def _many_to_one(on: Any, model: Any, required: bool) -> bool:
    """True for `model.fk == Other.id`: a foreign key of the query's own
    table (NOT NULL when `required`) to Other's primary key."""
    return _foreign_key_pair(on, model, required) is not None


def _foreign_key_pair(on: Any, model: Any, required: bool) -> tuple[Field, Any] | None:
    """(`model`'s foreign key, the other's primary key as the join names it)
    when a join's ON is `model.fk == Other.id` (the key NOT NULL when
    `required`); None for any other ON."""
    if not isinstance(on, Expression) or on.op != OP.EQ:
        return None
    for near, far in ((on.lhs, on.rhs), (on.rhs, on.lhs)):
        far_field = far.field if isinstance(far, FieldAlias) else far
        if (isinstance(near, ForeignKeyField) and not isinstance(near, FieldAlias)
                and near.model is model and not (required and near.null)
                and far_field is near.rel_field and getattr(far_field, "primary_key", False)):
            return near, far
    return None

"""QuerySource seeks its pages: every page, read in any order, under any
sort and with NULLs and ties, equals the same slice of the whole ordered
list; counts leave out the joins that cannot change them. SQLite and
PostgreSQL."""
from __future__ import annotations

import random
from contextlib import contextmanager

import pytest
from peewee import SQL

from crm_tui.models import AuditLog, Customer, database
from crm_tui.models.customers import customer_list_query
from crm_tui.widgets.lazy_table import Column
from crm_tui.widgets.query_source import QuerySource, lean_count
from tests.conftest import make_customer

PAGE = 7
COLUMNS = [
    Column("number", "customer.number", 12, Customer.number),
    Column("name", "customer.name", 20, Customer.name),
    Column("region_name", "customer.region", 6, SQL("region_name")),
    Column("manager_name", "customer.manager", 6, SQL("manager_name")),
    Column("satisfaction", "customer.satisfaction", 4, Customer.satisfaction),
    Column("registered_capital", "customer.registered_capital", 8, Customer.registered_capital),
    Column("lost_at", "customer.lost_at", 10, Customer.lost_at),
]


@pytest.fixture
def customers(crm_db, people):
    """45 customers of two managers: names, satisfactions and capitals tie
    often, capitals and loss dates are often NULL."""
    rng = random.Random(3)
    for index in range(45):
        manager = people.manager if index % 3 else people.other_manager
        make_customer(manager, actor=people.admin, name=f"{'甲乙丙丁'[index % 4]}公司{index % 5}",
                      satisfaction=str(rng.randint(1, 3)),
                      registered_capital=rng.choice(["", "", "100", "250.5"]))
    lost = Customer.select(Customer.id).order_by(Customer.id).limit(45)
    for position, (customer_id,) in enumerate(lost.tuples()):
        if position % 4 == 1:
            Customer.update(lost_at=f"2025-0{1 + position % 3}-15").where(
                Customer.id == customer_id).execute()
    return people


@contextmanager
def recorded_statements():
    """Every statement run inside, as (SQL, parameters)."""
    statements: list[tuple[str, list]] = []
    real_execute = database.obj.execute_sql

    def recorded(sql, params=None, *args, **kwargs):
        statements.append((sql, list(params or ())))
        return real_execute(sql, params, *args, **kwargs)

    database.obj.execute_sql = recorded
    try:
        yield statements
    finally:
        del database.obj.execute_sql


def whole_list(source: QuerySource, sort, descending) -> list[int]:
    query = QuerySource._ordered(source.query_for_filter(""), sort, descending)
    return [row["id"] for row in query.dicts()]


def read_pages(source: QuerySource, sort, descending, pages: list[int]) -> dict[int, list[int]]:
    return {page: [row["id"] for row in source.fetch("", sort, descending, page * PAGE, PAGE)]
            for page in pages}


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("column", [None, *COLUMNS], ids=lambda c: getattr(c, "key", "none"))
def test_every_page_in_any_order_equals_the_slice_of_the_ordered_list(customers, column,
                                                                      descending):
    source = QuerySource(lambda text: customer_list_query(customers.admin, text), COLUMNS)
    total = source.count("")
    assert total == 45
    expected = whole_list(source, column, descending)
    assert sorted(expected) == sorted(set(expected)) and len(expected) == total
    last = (total - 1) // PAGE
    orders = [list(range(last + 1)),                 # page down from the top
              [last, last - 1, 0, 1, 2, last - 2],   # End, then back up, Home, down
              [3, 4, 2, 5, last, 1, 0]]              # a jump into the middle first
    for pages in orders:
        source.count("")  # a reload forgets the keys known so far
        for page, ids in read_pages(source, column, descending, pages).items():
            assert ids == expected[page * PAGE:(page + 1) * PAGE], (pages, page)


def test_the_ordered_list_is_sorted_with_nulls_where_the_database_puts_them(customers):
    source = QuerySource(lambda text: customer_list_query(customers.admin, text), COLUMNS)
    capital = COLUMNS[5]
    rows = [row["registered_capital"] for row in QuerySource._ordered(
        source.query_for_filter(""), capital, False).dicts()]
    present = [value for value in rows if value is not None]
    assert present == sorted(present) and None in rows


def test_pages_follow_a_change_of_data_after_the_recount(customers):
    source = QuerySource(lambda text: customer_list_query(customers.admin, text), COLUMNS)
    name = COLUMNS[1]
    source.count("")
    read_pages(source, name, False, [0, 1, 2])
    first = Customer.select().order_by(Customer.name, Customer.id).first()
    Customer.update(name="丁" + first.name).where(Customer.id == first.id).execute()
    source.count("")
    expected = whole_list(source, name, False)
    assert read_pages(source, name, False, [0, 1, 2, 3]) == {
        page: expected[page * PAGE:(page + 1) * PAGE] for page in range(4)}


def test_a_search_and_a_manager_scope_page_the_same_way(customers):
    for user, text in ((customers.manager, ""), (customers.admin, "公司1"), (customers.manager, "甲")):
        source = QuerySource(lambda filter_text, user=user: customer_list_query(user, filter_text),
                             COLUMNS)
        total = source.count(text)
        query = QuerySource._ordered(source.query_for_filter(text), COLUMNS[1], True)
        expected = [row["id"] for row in query.dicts()]
        assert len(expected) == total
        pages = list(range((total - 1) // PAGE, -1, -1))
        got = {page: [row["id"] for row in source.fetch(text, COLUMNS[1], True, page * PAGE, PAGE)]
               for page in pages}
        assert got == {page: expected[page * PAGE:(page + 1) * PAGE] for page in pages}


def test_the_count_leaves_out_joins_that_cannot_change_it(customers):
    with recorded_statements() as statements:
        everyone = lean_count(customer_list_query(customers.admin, ""))
        searched = lean_count(customer_list_query(customers.admin, "公司1"))
        by_manager_name = lean_count(customer_list_query(customers.admin, "王经理"))
    assert everyone == customer_list_query(customers.admin, "").count() == 45
    assert searched == customer_list_query(customers.admin, "公司1").count()
    assert by_manager_name == customer_list_query(customers.admin, "王经理").count() == 30
    # No INNER JOIN is left for the database to run; the outer ones it drops.
    # (PostgreSQL also counts a sample, to tell common text from rare: see
    # customers.text_index_contains.)
    counts = [sql for sql, _params in statements if "COUNT(" in sql and '"sample"' not in sql]
    # The search compares the customer's own columns (names of regions,
    # levels and managers are looked up first): no join is left to run.
    assert len(counts) == 3 and not any("JOIN" in sql for sql in counts)


def test_the_audit_log_pages_newest_first_by_seeking(crm_db, people):
    from crm_tui.models import admin

    for number in range(30):
        # Changes from the shell have no actor: the outer join must still count them.
        AuditLog.create(actor=people.admin if number % 4 else None, table_name="customer",
                        row_id=number, action="update")
    source = QuerySource(lambda text: admin.audit_query(people.admin, text=text),
                         [Column("id", "audit.id", 6, None)])
    total = source.count("")
    expected = [row["id"] for row in QuerySource._ordered(
        source.query_for_filter(""), None, False).dicts()]
    assert expected == sorted(expected, reverse=True) and len(expected) == total
    assert total == AuditLog.select().count()
    pages = [(total - 1) // PAGE, 0, 1, 2]
    assert read_pages(source, None, False, pages) == {
        page: expected[page * PAGE:(page + 1) * PAGE] for page in pages}


def test_the_last_page_and_the_next_page_skip_no_rows(customers):
    """End reads the last page from the end; Page Down seeks after the
    previous page's last key: neither makes the database skip rows."""
    source = QuerySource(lambda text: customer_list_query(customers.admin, text), COLUMNS)
    total = source.count("")

    def skipped(sql: str, params: list) -> int:
        # Peewee writes LIMIT and OFFSET as the last two parameters.
        return params[-1] if "OFFSET" in sql else 0

    with recorded_statements() as statements:
        for column in (None, COLUMNS[1], COLUMNS[2], COLUMNS[5]):
            for descending in (False, True):
                statements.clear()
                source.fetch("", column, descending, (total - 1) // PAGE * PAGE, PAGE)
                source.fetch("", column, descending, 0, PAGE)
                source.fetch("", column, descending, PAGE, PAGE)
                source.fetch("", column, descending, 2 * PAGE, PAGE)
                pages = [(sql, params) for sql, params in statements
                         if "LIMIT" in sql and "WITH RECURSIVE" not in sql]
                # A sort by region reads one region at a time: a page may
                # take one statement per region it spans.
                assert len(pages) == 4 if column is not COLUMNS[2] else len(pages) >= 4
                assert all(skipped(sql, params) == 0 for sql, params in pages), pages


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("column", [COLUMNS[2], COLUMNS[3]], ids=["region", "manager"])
def test_a_sort_by_a_joined_name_never_sorts_the_list(customers, column, descending):
    """Sorted by region or manager name, each page is read one region (or
    manager) at a time, in id order: no statement orders by the name."""
    source = QuerySource(lambda text: customer_list_query(customers.admin, text), COLUMNS)
    total = source.count("")
    expected = whole_list(source, column, descending)
    with recorded_statements() as statements:
        pages = read_pages(source, column, descending, [0, 1, (total - 1) // PAGE, 2])
    assert pages == {page: expected[page * PAGE:(page + 1) * PAGE] for page in pages}
    reads = [sql for sql, _params in statements
             if '"region_id" = ' in sql or '"manager_id" = ' in sql]
    assert reads and not any('"item"' in sql.split("ORDER BY")[-1]
                             or '"display_name"' in sql.split("ORDER BY")[-1] for sql in reads)


@pytest.mark.parametrize("descending", [False, True])
def test_a_page_far_from_any_known_row_is_found_through_the_counts_of_each_value(
        customers, monkeypatch, descending):
    from crm_tui.widgets import query_source

    monkeypatch.setattr(query_source, "WALK_READ_THROUGH", 2)
    source = QuerySource(lambda text: customer_list_query(customers.admin, text), COLUMNS)
    total = source.count("")
    expected = whole_list(source, COLUMNS[2], descending)
    last = (total - 1) // PAGE
    for pages in ([3, 1, last, 4, 0, 2], [last - 1, 2, 5]):
        source.count("")
        assert read_pages(source, COLUMNS[2], descending, pages) == {
            page: expected[page * PAGE:(page + 1) * PAGE] for page in pages}


def test_a_foreign_key_with_too_many_values_is_sorted_by_the_database(customers, monkeypatch):
    from crm_tui.widgets import query_source

    monkeypatch.setattr(query_source, "WALK_VALUES_MAX", 1)
    source = QuerySource(lambda text: customer_list_query(customers.admin, text), COLUMNS)
    total = source.count("")
    expected = whole_list(source, COLUMNS[2], False)
    pages = list(range((total - 1) // PAGE + 1))
    assert read_pages(source, COLUMNS[2], False, pages) == {
        page: expected[page * PAGE:(page + 1) * PAGE] for page in pages}


@pytest.mark.parametrize("descending", [False, True])
def test_rows_without_a_joined_row_come_where_the_database_puts_nulls(customers, descending):
    """A nullable foreign key (a customer merged into another) sorted by the
    other's name: the rows without one are read as a group of their own,
    placed where ORDER BY puts NULLs on this database."""
    from peewee import JOIN

    target = Customer.alias("target")
    ids = [customer_id for (customer_id,) in Customer.select(Customer.id).order_by(
        Customer.id).tuples()]
    for position, customer_id in enumerate(ids[:20]):
        Customer.update(merged_into=ids[-1 - position % 4]).where(
            Customer.id == customer_id).execute()

    def merged_list(text):
        return (Customer.select(Customer.id, target.name.alias("target_name"))
                .join_from(Customer, target, JOIN.LEFT_OUTER,
                           on=(Customer.merged_into == target.id)))

    merged_name = Column("target_name", "customer.name", 20, SQL("target_name"))
    source = QuerySource(merged_list, [merged_name])
    total = source.count("")
    expected = whole_list(source, merged_name, descending)
    assert len(expected) == total == 45
    for pages in ([0, 1, 2, 3, 4, 5, 6], [6, 5, 0, 3]):
        source.count("")
        assert read_pages(source, merged_name, descending, pages) == {
            page: expected[page * PAGE:(page + 1) * PAGE] for page in pages}

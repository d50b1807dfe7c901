"""The customer search through the text index: substrings of any length,
Chinese included, kept in step with every write, scoped as the list is.
SQLite (FTS5 trigrams) and PostgreSQL (pg_trgm)."""
from __future__ import annotations

import pytest

from crm_tui.models import Customer
from crm_tui.models.customers import customer_list_query
from crm_tui.widgets.query_source import lean_count
from tests.conftest import make_customer


def found(user, text: str) -> set[str]:
    query = customer_list_query(user, text)
    names = {customer.name for customer in query}
    assert lean_count(customer_list_query(user, text)) == len(names)
    return names


@pytest.fixture
def companies(crm_db, people):
    make_customer(people.manager, name="北京远大精密制造有限公司")
    make_customer(people.manager, name='上海"引号"ACME Trading')
    make_customer(people.other_manager, name="广州远大物流有限公司")
    return people


@pytest.mark.parametrize("text, expected", [
    ("远大精密", {"北京远大精密制造有限公司"}),          # through the index
    ("远大", {"北京远大精密制造有限公司", "广州远大物流有限公司"}),  # two characters: row by row
    ("物", {"广州远大物流有限公司"}),
    ("acme", {'上海"引号"ACME Trading'}),                # ASCII in any case
    ('"引号"', {'上海"引号"ACME Trading'}),              # quotes are text, not syntax
    ("引号\"AC", {'上海"引号"ACME Trading'}),
    ("AND OR NOT", set()),
    ("远大物流有限公司X", set()),
])
def test_any_substring_of_a_name_finds_it(companies, text, expected):
    assert found(companies.admin, text) == expected


def test_numbers_regions_levels_and_managers_are_searched_too(companies):
    first = Customer.select().order_by(Customer.id).first()
    assert found(companies.admin, first.number) == {first.name}
    assert found(companies.admin, first.number[2:9]) >= {first.name}
    everyone = found(companies.admin, "")
    assert found(companies.admin, "北京") >= {"北京远大精密制造有限公司"}  # the region 北京
    assert found(companies.admin, "大客户") == everyone                 # every one's level
    assert found(companies.admin, "赵经理") == {"广州远大物流有限公司"}    # the manager


def test_the_index_follows_every_write(companies):
    customer = Customer.get(Customer.name == "北京远大精密制造有限公司")
    Customer.update(name="北京新名字科技有限公司").where(Customer.id == customer.id).execute()
    assert found(companies.admin, "远大精密") == set()
    assert found(companies.admin, "新名字科技") == {"北京新名字科技有限公司"}
    Customer.update(number="KH-RENAMED-1").where(Customer.id == customer.id).execute()
    assert found(companies.admin, "RENAMED") == {"北京新名字科技有限公司"}
    Customer.delete().where(Customer.id == customer.id).execute()
    assert found(companies.admin, "新名字科技") == set()
    added = make_customer(companies.manager, name="深圳后来居上有限公司")
    assert found(companies.admin, "后来居上") == {added.name}


def test_a_manager_finds_only_own_customers(companies):
    assert found(companies.manager, "远大") == {"北京远大精密制造有限公司"}
    assert found(companies.other_manager, "远大有限") == set()
    assert found(companies.other_manager, "远大物流") == {"广州远大物流有限公司"}

"""The filter language on the lists, SQLite and PostgreSQL: what each kind
of term finds, in the user's scope, and that every field every kind
declares runs as SQL on both databases."""
from __future__ import annotations

import datetime as dt

import pytest

from crm_tui import clock
from crm_tui.models import Customer
from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION
from crm_tui.models.filter_language import FilterError
from crm_tui.models.filters import check, error_text, list_query, period
from crm_tui.models.kinds import CHOICE, DATE, LOOKUP, NUMBER, TEXT, all_kinds, kind
from crm_tui.widgets.query_source import lean_count
from tests.conftest import at, entry, make_customer

CUSTOMER = kind("customer")


def names(user, text: str) -> set[str]:
    query = list_query(CUSTOMER, user, text, {})
    found = {customer.name for customer in query}
    assert lean_count(list_query(CUSTOMER, user, text, {})) == len(found)
    return found


@pytest.fixture
def companies(crm_db, people):
    at(2025, 12, 20)
    make_customer(people.manager, name="华东电力设备有限公司", region=entry(REGION, "上海").id,
                  level=entry(CUSTOMER_LEVEL, "大客户").id, satisfaction="2")
    at(2026, 1, 5)
    make_customer(people.manager, name="福建华东 电力工程公司", region=entry(REGION, "福建").id,
                  level=entry(CUSTOMER_LEVEL, "大客户").id, satisfaction="4",
                  registered_capital="150000")
    make_customer(people.other_manager, name="福建海峡物流有限公司", region=entry(REGION, "福建").id,
                  level=entry(CUSTOMER_LEVEL, "普通客户").id, satisfaction="1")
    lost = make_customer(people.other_manager, name="广州远大贸易公司",
                         region=entry(REGION, "广东").id, satisfaction="5")
    Customer.update(status="lost").where(Customer.id == lost.id).execute()
    clock.set_clock(dt.datetime.now)
    return people


def test_free_words_must_all_match_somewhere(companies):
    # Each word alone finds more; together only the customers with both.
    assert names(companies.admin, "福建 大客户") == {"福建华东 电力工程公司"}
    assert names(companies.admin, "华东 电力") == {"华东电力设备有限公司", "福建华东 电力工程公司"}
    assert names(companies.admin, "电力设备 福建") == set()


def test_fields_by_english_and_chinese_names(companies):
    assert names(companies.admin, "region:福建 level:大客户") == {"福建华东 电力工程公司"}
    assert names(companies.admin, "地区：福建 客户等级:普通") == {"福建海峡物流有限公司"}
    assert names(companies.admin, "manager:赵") == {"福建海峡物流有限公司", "广州远大贸易公司"}
    assert names(companies.admin, "经理:wang 华东") == {"华东电力设备有限公司", "福建华东 电力工程公司"}
    assert names(companies.admin, 'name:"华东 电力"') == {"福建华东 电力工程公司"}
    assert names(companies.admin, "name:华东电力设") == {"华东电力设备有限公司"}  # text index


def test_comparisons_on_numbers_and_dates(companies):
    assert names(companies.admin, "satisfaction<3") == {"华东电力设备有限公司", "福建海峡物流有限公司"}
    assert names(companies.admin, "满意度>=4 -status:lost") == {"福建华东 电力工程公司"}
    assert names(companies.admin, "created>=2026-01-01") == {
        "福建华东 电力工程公司", "福建海峡物流有限公司", "广州远大贸易公司"}
    assert names(companies.admin, "created<2026") == {"华东电力设备有限公司"}
    assert names(companies.admin, "created:2025-12") == {"华东电力设备有限公司"}
    assert names(companies.admin, "capital>100000") == {"福建华东 电力工程公司"}
    assert names(companies.admin, "capital>=1,000,000") == set()


def test_negation_and_states_by_code_or_label(companies):
    assert names(companies.admin, "status:lost") == {"广州远大贸易公司"}
    assert names(companies.admin, "状态:流失") == {"广州远大贸易公司"}
    assert names(companies.admin, "-status:lost -福建") == {"华东电力设备有限公司"}
    assert names(companies.admin, "status!=normal") == {"广州远大贸易公司"}


def test_a_filter_never_widens_the_scope(companies):
    assert names(companies.manager, "福建") == {"福建华东 电力工程公司"}
    assert names(companies.manager, "manager:赵") == set()
    assert names(companies.other_manager, "-region:福建") == {"广州远大贸易公司"}


def test_short_words_find_substrings_too(companies):
    assert names(companies.admin, "物") == {"福建海峡物流有限公司"}
    assert names(companies.admin, "远大") == {"广州远大贸易公司"}


@pytest.mark.parametrize("text, position, reason", [
    ("福建 colour:red", 3, "filters.error.unknown_field"),
    ("satisfaction<many", 13, "filters.error.number"),
    ("created>=2026-13-01", 9, "filters.error.date"),
    ("status:gone", 7, "filters.error.choice"),
    ("region<福建", 6, "filters.error.operator"),
    ("-颜色:红", 1, "filters.error.unknown_field"),
])
def test_what_a_list_cannot_understand_says_where(text, position, reason):
    with pytest.raises(FilterError) as raised:
        check(CUSTOMER, text)
    assert (raised.value.position, raised.value.reason) == (position, reason)
    assert error_text(raised.value).startswith(f"At {position + 1}:")


def test_periods():
    assert period("2026") == (dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    assert period("2026-12") == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))
    assert period("2026-02-28") == (dt.date(2026, 2, 28), dt.date(2026, 3, 1))
    assert period("2026-02-30") is None
    assert period("26-01") is None


SAMPLES = {TEXT: "华东", NUMBER: "3", DATE: "2026-01", LOOKUP: "王"}
OPERATORS = {TEXT: (":", "=", "!=", "<", ">="), NUMBER: (":", "!=", "<", "<=", ">", ">="),
             DATE: (":", "!=", "<", "<=", ">", ">="), CHOICE: (":", "=", "!="),
             LOOKUP: (":", "=", "!=")}


def test_every_declared_field_runs_on_the_database(companies):
    customer = Customer.select().first()
    filtered_kinds = [record_kind for record_kind in all_kinds() if record_kind.filters]
    assert {"customer", "contact", "interaction", "opportunity", "service", "churn_alert",
            "contract", "quote"} <= {record_kind.name for record_kind in filtered_kinds}
    for record_kind in filtered_kinds:
        within = {"parent": customer.id} if record_kind.name in ("contact", "interaction") else {}
        for filter_field in record_kind.filters:
            value = (filter_field.choices()[0][0] if filter_field.type == CHOICE
                     else SAMPLES[filter_field.type])
            for op in OPERATORS[filter_field.type]:
                for name in filter_field.names:
                    text = f"-{name}{op}{value} 华东"
                    query = list_query(record_kind, companies.admin, text, within)
                    list(query.limit(1))
                    lean_count(list_query(record_kind, companies.admin, text, within))


def test_field_names_are_unique_within_each_kind():
    for record_kind in all_kinds():
        seen = [name.casefold() for filter_field in record_kind.filters
                for name in filter_field.names]
        assert len(seen) == len(set(seen)), record_kind.name


def test_text_in_very_many_customers_is_read_row_by_row_and_finds_the_same(companies,
                                                                           monkeypatch):
    from crm_tui.models import customers

    texts = ("华东电力", "name:华东电力设", "福建 大客户", "-华东电力 电力")
    # Through the text index: no text is common (a few test customers would
    # otherwise make every text common on PostgreSQL, whose estimate reads
    # the share of customers that hold it).
    monkeypatch.setattr(customers, "COMMON_TEXT_MATCHES", 10 ** 6)
    monkeypatch.setattr(customers, "COMMON_TEXT_SHARE", 1)
    expected = {text: names(companies.admin, text) for text in texts}
    indexed = list_query(CUSTOMER, companies.admin, "华东电力", {}).sql()[0]
    # Make every text "common": in one customer or more.
    monkeypatch.setattr(customers, "COMMON_TEXT_MATCHES", 0)
    monkeypatch.setattr(customers, "COMMON_TEXT_SHARE", 10 ** 6)
    row_by_row = list_query(CUSTOMER, companies.admin, "华东电力", {}).sql()[0]
    assert row_by_row != indexed
    assert "MATCH" not in row_by_row
    assert {text: names(companies.admin, text) for text in texts} == expected


@pytest.mark.parametrize("text, applied", [
    ("福建 re", "福建 "),              # on the way to region:
    ("福建 -sta", "福建 "),
    ("福建 地", "福建 "),              # 地区, 地址
    ("福建 re ", "福建 re "),          # a space: a word of its own
    ("福建 华", "福建 华"),            # no field begins so
    ("region:福", "region:福"),
    ("re", ""),
])
def test_a_word_that_may_begin_a_field_name_waits_while_typing(text, applied):
    from crm_tui.models.filters import while_typing

    assert while_typing(CUSTOMER, text) == applied

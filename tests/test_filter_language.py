"""The filter language's parser: what it reads, where it says a text goes
wrong, and that a filter printed back reads as the same filter."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_tui.models.filter_language import OPERATORS, Filter, FilterError, Term, parse


def terms(text: str) -> list[tuple]:
    return [(term.field, term.op, term.value, term.negated) for term in parse(text).terms]


def test_the_examples_of_the_issue_read_as_meant():
    assert terms("福建 大客户") == [(None, ":", "福建", False), (None, ":", "大客户", False)]
    assert terms("region:福建 level:大客户 manager:王") == [
        ("region", ":", "福建", False), ("level", ":", "大客户", False),
        ("manager", ":", "王", False)]
    assert terms("satisfaction<3 created>=2026-01-01 amount>100000") == [
        ("satisfaction", "<", "3", False), ("created", ">=", "2026-01-01", False),
        ("amount", ">", "100000", False)]
    assert terms("-status:lost") == [("status", ":", "lost", True)]
    assert terms('name:"华东 电力"') == [("name", ":", "华东 电力", False)]


def test_chinese_field_names_and_the_full_width_colon():
    assert terms("地区：福建 满意度<=2") == [("地区", ":", "福建", False), ("满意度", "<=", "2", False)]


def test_quotes_escape_and_keep_operators_as_text():
    assert terms(r'"a \"b\" c" x:"-1"') == [(None, ":", 'a "b" c', False), ("x", ":", "-1", False)]
    assert terms('"status:lost"') == [(None, ":", "status:lost", False)]
    assert terms("-\"-x\"") == [(None, ":", "-x", True)]


def test_spaces_of_any_kind_separate_terms():
    assert terms("  a\u3000b\tc  ") == [(None, ":", value, False) for value in "abc"]
    assert parse("   ") == Filter(())


@pytest.mark.parametrize("text, position, reason", [
    ("region:", 7, "filters.error.no_value"),
    ("region: 福建", 7, "filters.error.no_value"),
    ('name:"华东 电力', 5, "filters.error.open_quote"),
    ("a - b", 2, "filters.error.lone_minus"),
    ('ab"c', 2, "filters.error.quote_inside"),
    ('"ab"c', 4, "filters.error.after_quote"),
])
def test_errors_say_where(text, position, reason):
    with pytest.raises(FilterError) as raised:
        parse(text)
    assert (raised.value.position, raised.value.reason) == (position, reason)


def test_terms_know_where_they_are():
    term = parse("a -status:lost").terms[1]
    assert (term.start, term.end, term.value_start) == (2, 14, 10)


# ----- round trips ---------------------------------------------------------

# Any text at all, spaces, quotes, backslashes, operators and CJK included.
values = st.text(st.sampled_from('ab福建 "\\:-<>=!：\t\u3000x1') | st.characters(), max_size=12)
# Field names: letters of any script, digits and "_", as the parser reads them.
names = st.text(st.characters(categories=("Lu", "Ll", "Lo", "Nd")) | st.just("_"),
                min_size=1, max_size=8)

term_strategy = st.builds(
    Term, value=values,
    field=st.none() | names,
    op=st.sampled_from(OPERATORS),
    negated=st.booleans(),
).map(lambda term: term if term.field is not None else Term(term.value, None, ":", term.negated))


@settings(max_examples=400)
@given(st.lists(term_strategy, max_size=5))
def test_a_filter_printed_back_reads_as_the_same_filter(term_list):
    # Free words that are empty or all blank print as "" and come back as such.
    original = Filter(tuple(term_list))
    assert parse(str(original)) == original


@settings(max_examples=400)
@given(st.text(max_size=30))
def test_any_text_reads_or_fails_with_a_position_inside_it(text):
    try:
        parsed = parse(text)
    except FilterError as error:
        assert 0 <= error.position <= len(text)
        return
    assert parse(str(parsed)) == parsed

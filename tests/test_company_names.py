"""One company, many spellings: `company_key` gives them one key, and keeps
different companies apart."""
import pytest
from hypothesis import given, strategies as st

from crm_tui.models.names import company_key

# Spellings seen in real customer lists, each group one company.
SAME_COMPANY = [
    ["华为技术有限公司", "华为技术", "华为技术 有限公司", "华为技术有限责任公司", "华为技术股份有限公司"],
    ["福建电力集团有限公司", "福建电力集团", "福建电力", "福建电力集团股份有限公司", "福建 电力 集团公司"],
    ["联想(北京)有限公司", "联想（北京）有限公司", "联想 ( 北京 ) 公司"],
    ["ＡＢＣ科技有限公司", "ABC科技有限公司", "abc科技", "A B C 科技"],
    ["Acme Co., Ltd.", "ACME Ltd", "acme", "Acme Corporation", "Acme Inc.", "ACME CO.,LTD"],
    ["上海宝钢股份有限公司", "上海宝钢"],
]

DIFFERENT = [
    ("Costco", "Cost"),
    ("华为技术", "华为终端"),
    ("福建电力", "福州电力"),
    ("集团", "公司"),
]


@pytest.mark.parametrize("spellings", SAME_COMPANY, ids=lambda group: group[0])
def test_spellings_of_one_company_share_a_key(spellings):
    keys = {company_key(name) for name in spellings}
    assert len(keys) == 1, keys
    assert keys.pop()


@pytest.mark.parametrize("left, right", DIFFERENT)
def test_different_companies_keep_different_keys(left, right):
    assert company_key(left) != company_key(right)


def test_a_name_that_is_only_a_legal_form_keeps_something():
    assert company_key("公司") == "公司"
    assert company_key("Limited") == "limited"
    assert company_key("有限公司")


def test_no_name_has_an_empty_key():
    assert company_key(None) == company_key("") == company_key("  ,. ") == ""


@given(st.text(max_size=40))
def test_a_key_is_its_own_key(name):
    key = company_key(name)
    assert company_key(key) == key


# ----- phone, tax number and address keys -----------------------------------
from crm_tui.models.names import address_key, phone_key, tax_key  # noqa: E402


@pytest.mark.parametrize("spellings", [
    ["010-62345678", "+86 10 6234 5678", "0086-10-62345678", "(010) 6234-5678", "８６１０６２３４５６７８"],
    ["13812345678", "+86 138 1234 5678", "138-1234-5678"],
])
def test_spellings_of_one_phone_share_a_key(spellings):
    keys = {phone_key(phone) for phone in spellings}
    assert len(keys) == 1, keys
    assert keys.pop()


def test_different_phones_and_short_ones():
    assert phone_key("010-62345678") != phone_key("021-62345678")
    assert phone_key("12345") == phone_key("") == phone_key(None) == ""


def test_tax_numbers_match_across_spacing_case_and_width():
    assert tax_key("9111 0108-ma01") == tax_key("91110108MA01") == tax_key("９１１１０１０８ＭＡ０１")
    assert tax_key("91110108MA01") != tax_key("91110108MA02")
    assert tax_key(None) == ""


def test_addresses_compare_without_spaces_and_width():
    assert address_key("北京市 海淀区 中关村大街１号") == address_key("北京市海淀区中关村大街1号")


@given(st.text(max_size=30))
def test_phone_and_tax_keys_are_their_own_keys(text):
    assert phone_key(phone_key(text)) == phone_key(text)
    assert tax_key(tax_key(text)) == tax_key(text)

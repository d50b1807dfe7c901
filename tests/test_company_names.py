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

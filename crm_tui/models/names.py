"""Company names as people write them differently, reduced to one key.

"华为技术有限公司", "华为技术 （有限）公司" and "ＨＵＡＷＥＩ Co., Ltd." are typed by
different people for the same company. `company_key` removes what varies
between such spellings and not between companies: width (full-width
letters and brackets), case, spaces and punctuation, and the legal-form
suffixes (有限公司, 股份有限公司, 集团, Co., Ltd., Inc. …). Lead conversion
and the duplicate search both compare these keys, so one company is found
the same way everywhere.
"""
from __future__ import annotations

import re
import unicodedata

# Chinese legal forms, longest first so that 股份有限公司 goes before
# 有限公司 leaves 股份 behind; stripped repeatedly from the end, so
# "集团股份有限公司" loses both parts.
_CHINESE_FORMS = sorted(
    {"股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "总公司", "公司", "股份公司"},
    key=len, reverse=True)

# English legal forms are whole words at the end ("Costco" keeps its "co").
_ENGLISH_FORM = re.compile(
    r"(?:[\s,.&]|\b)(?:co|company|corp|corporation|inc|incorporated|ltd|limited"
    r"|llc|plc|gmbh|group)\.?$")

# Everything that is neither a letter nor a digit (CJK ideographs are letters).
_NOT_WORD = re.compile(r"[\W_]+")


def company_key(name: str | None) -> str:
    """The comparable form of a company name ('' for no name).

    The legal form is only removed where something is left: a company
    called just "集团" keeps its name.
    """
    text = unicodedata.normalize("NFKC", name or "").casefold().strip(" ,.")
    while (shorter := _ENGLISH_FORM.sub("", text).rstrip(" ,.&")) != text and shorter:
        text = shorter
    text = _NOT_WORD.sub("", text)
    while shorter := _without_chinese_form(text):
        text = shorter
    return text


def _without_chinese_form(text: str) -> str:
    """`text` without its Chinese legal form at the end, or '' when it has
    none (or is nothing but one)."""
    for form in _CHINESE_FORMS:
        if text.endswith(form) and len(text) > len(form):
            return text[: -len(form)]
    return ""


# ----- the other keys a duplicate is found by ---------------------------------

_NOT_DIGIT = re.compile(r"\D+")
# Fewer digits than this say nothing about which company it is.
_SHORTEST_PHONE = 6


def phone_key(phone: str | None) -> str:
    """The digits that identify a telephone line ('' for too few).

    "+86 10 6234-5678", "0086-10-62345678" and "010 62345678" are one line:
    the country code 86 and the trunk 0 are dropped, so each of them is
    "1062345678"; a mobile "+86 138 1234 5678" is "13812345678"."""
    digits = _NOT_DIGIT.sub("", unicodedata.normalize("NFKC", phone or ""))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) >= 12:
        digits = digits[2:]
    digits = digits.lstrip("0")
    return digits if len(digits) >= _SHORTEST_PHONE else ""


def tax_key(number: str | None) -> str:
    """A tax number (统一社会信用代码 ...) as letters and digits only,
    upper case, half width: "9111 0108-MA01" and "91110108ma01" match."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", number or "")).upper()


def address_key(address: str | None) -> str:
    """An address without width, case, spaces or punctuation, for comparing
    two addresses ("北京市 海淀区" and "北京市海淀区")."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", address or "").casefold())

"""UI text in English and 简体中文.

Strings live in `crm_tui/i18n/<locale>/<area>.py`, each module holding a
`STRINGS` dict; the areas of one locale are merged. Keys are dotted
("customer.name"). `t()` falls back to English, then to the key itself, so a
missing translation shows up as visible text rather than a crash.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
from functools import cache

LOCALES = ("en", "zh_CN")
_current = "en"


@cache
def strings(locale: str) -> dict[str, str]:
    package = importlib.import_module(f"crm_tui.i18n.{locale}")
    merged: dict[str, str] = {}
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        merged.update(module.STRINGS)
    return merged


def resolve_locale(setting: str) -> str:
    """'auto' follows LC_ALL / LC_MESSAGES / LANG; anything Chinese is zh_CN."""
    if setting in LOCALES:
        return setting
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            return "zh_CN" if value.lower().startswith("zh") else "en"
    return "en"


def set_locale(locale: str) -> None:
    global _current
    _current = resolve_locale(locale)


def current_locale() -> str:
    return _current


def t(key: str, **values: object) -> str:
    text = strings(_current).get(key) or strings("en").get(key) or key
    return text.format(**values) if values else text

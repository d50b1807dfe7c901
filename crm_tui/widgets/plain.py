"""Text widgets that draw what they are given as plain text.

Every string a screen shows may hold text from outside. `PlainStatic`
(and `plain_content` for widgets that take a visual) never interpret
Textual markup and pass the text through `crm_tui.plain_text.plain`, so
control characters and bidi overrides are drawn as visible stand-ins or
dropped instead of reaching the terminal.
"""
from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from crm_tui.plain_text import plain


def plain_content(value: object, multiline: bool = True) -> Content:
    """`value` as a visual holding exactly its (safe) text, no markup."""
    return Content(plain(value, multiline=multiline))


class PlainStatic(Static):
    """A Static for text that may come from the database or from outside."""

    def __init__(self, value: object = "", *, multiline: bool = True, **kwargs) -> None:
        self.multiline = multiline
        super().__init__(plain_content(value, multiline), markup=False, **kwargs)

    def update(self, value: object = "", *, layout: bool = True) -> None:
        super().update(plain_content(value, self.multiline), layout=layout)

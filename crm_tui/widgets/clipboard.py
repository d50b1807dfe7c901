"""Copying what a screen shows to the user's clipboard.

Textual's `App.copy_to_clipboard` sends the text to the terminal as an
OSC 52 sequence: the terminal (not the server) puts it on the clipboard,
so it works over SSH too, in terminals that allow it (most do; macOS
Terminal does not). The text is cleaned first: stored text from outside
may hold control characters, which must not reach the terminal.
"""
from __future__ import annotations

from rich.cells import cell_len

from crm_tui.i18n import t
from crm_tui.plain_text import plain

# How much of the copied text the confirmation shows.
PREVIEW_CELLS = 40


def copy_text(app, text: str) -> None:
    """Put `text` on the clipboard and say what was copied."""
    # Tabs stay (a row copied goes into a spreadsheet's columns).
    text = "\t".join(plain(part, multiline=True) for part in text.split("\t")).strip()
    if not text:
        app.notify(t("ops_ui.nothing_to_copy"), severity="warning", timeout=3)
        return
    app.copy_to_clipboard(text)
    first_line = text.splitlines()[0]
    preview = first_line if cell_len(first_line) <= PREVIEW_CELLS else first_line[:PREVIEW_CELLS] + "…"
    app.notify(t("ops_ui.copied", text=preview), timeout=3)

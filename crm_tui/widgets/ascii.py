"""Drawing with plain ASCII, for terminals without box-drawing characters.

The Linux console (TERM=linux), a VT100 and many serial lines show box
drawing, block elements and arrows as garbage. In ASCII mode (`--ascii`, or
such a TERM) the app keeps its layout and replaces, in every line it draws,
each such glyph by an ASCII character of the same width: borders become
`+-|`, the tab underline and progress bars `-`, scrollbar thumbs `#`,
arrows `<>^v`. It does so in one place, a line filter (the mechanism
Textual uses for NO_COLOR), so Textual's own widgets are covered as well as
ours. Keys in the footer and F1 are named in words or ASCII (`ascii_key`).
"""
from __future__ import annotations

import unicodedata

from rich.cells import cell_len
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

# Terminals whose fonts lack box drawing (TERM, or what TERM begins with).
ASCII_TERMINALS = ("linux", "vt52", "vt100", "vt102", "vt220", "dumb")

# Glyphs outside the box-drawing and block ranges: arrows, markers, the
# ellipsis of cut text, the icons of Textual's widgets (two cells wide).
OTHER_GLYPHS = {
    "←": "<", "→": ">", "↑": "^", "↓": "v", "⏎": "<", "⌫": "<", "⇥": ">",
    "▲": "^", "△": "^", "▴": "^", "▵": "^", "▼": "v", "▽": "v", "▾": "v", "▿": "v",
    "▶": ">", "▷": ">", "▸": ">", "▹": ">", "►": ">",
    "◀": "<", "◁": "<", "◂": "<", "◃": "<", "◄": "<",
    "●": "*", "○": "o", "◉": "*", "•": "*", "■": "#", "□": "o", "◆": "*", "◇": "o",
    "✓": "v", "✔": "v", "✗": "x", "✘": "x", "…": "~", "·": ".",
    "📁": "+ ", "📂": "- ", "📄": "  ", "🔎": "> ",
}


def _box_drawing(char: str) -> str:
    """An ASCII stand-in for a box-drawing character, by its Unicode name:
    lines across "-", lines down "|", corners and crossings "+"."""
    name = unicodedata.name(char, "")
    if "DIAGONAL CROSS" in name:
        return "X"
    if "DIAGONAL UPPER RIGHT" in name:
        return "/"
    if "DIAGONAL UPPER LEFT" in name:
        return "\\"
    across = any(word in name for word in ("HORIZONTAL", "LEFT", "RIGHT"))
    down = any(word in name for word in ("VERTICAL", " UP", "DOWN"))
    if across and down:
        return "+"
    return "|" if down else "-"


def _block_element(char: str) -> str:
    """An ASCII stand-in for a block element (half blocks, eighths, shades)."""
    name = unicodedata.name(char, "")
    if "QUADRANT" in name:
        return "+"
    if char in "▔▀":
        return "-"
    if char in "▁▂▃":
        return "_"
    if "LEFT" in name and "SEVEN EIGHTHS" not in name or char in "▐▕":
        return "|"
    return "#"


def _translation() -> dict[int, str]:
    table = {}
    for code in range(0x2500, 0x2580):
        table[code] = _box_drawing(chr(code))
    for code in range(0x2580, 0x25A0):
        table[code] = _block_element(chr(code))
    table.update({ord(char): text for char, text in OTHER_GLYPHS.items()})
    return table


TRANSLATION = _translation()


def ascii_text(text: str) -> str:
    """`text` with every drawing glyph replaced; the width in cells stays."""
    return text.translate(TRANSLATION)


def is_ascii_terminal(term: str) -> bool:
    """Whether a terminal of this TERM lacks box drawing."""
    term = term.lower()
    return any(term == name or term.startswith(name + "-") for name in ASCII_TERMINALS)


def ascii_key(display: str) -> str:
    """A key as the footer shows it ("↑", "⏎") in ASCII ("^", "enter")."""
    words = {"⏎": "enter", "⌫": "backspace", "⇥": "tab"}
    return "".join(words.get(char, char) for char in display).translate(TRANSLATION)


class AsciiFilter(LineFilter):
    """Every line drawn, with its drawing glyphs in ASCII."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [self._segment(segment) for segment in segments]

    @staticmethod
    def _segment(segment: Segment) -> Segment:
        text, style, control = segment
        if control:
            return segment
        if style is not None and style._meta and style.meta.get("@mouse.down") == "grab":
            # A scrollbar's thumb: drawn with colour and partial blocks;
            # "#" shows where it is on a terminal with neither.
            return Segment("#" * cell_len(text), style)
        if text.isascii():
            return segment
        return Segment(text.translate(TRANSLATION), style)

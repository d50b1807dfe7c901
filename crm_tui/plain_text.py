"""Text from the database made safe to draw on a terminal, and the one
definition of the characters stored text refuses.

Anything a screen shows may come from outside (mail, the sales system's
database, an import) or from a user. A terminal takes some characters as
commands: ESC and the C1 control CSI (\\x9b) start sequences that rename the
window, clear the screen or change colours; bidi overrides reorder what
follows so that a line reads differently from what it holds. `plain()`
turns every such character into a visible stand-in or drops it, so the text
is drawn exactly as stored, and never as a command.

This module has no database and no Textual import: models use `unsafe_chars`
to refuse such text at the field, widgets use `plain` to draw it.
"""
from __future__ import annotations

import re
from functools import lru_cache

# Explicit bidi embeddings, overrides and isolates (LRE, RLE, PDF, LRO,
# RLO; LRI, RLI, FSI, PDI): they reorder the text around them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
DEL = "\x7f"
# Shown for a C1 control or a lone surrogate (which no terminal encoding can write).
REPLACEMENT = "\ufffd"
# Tabs inside a line are drawn as this many spaces.
TAB_SPACES = 4

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_WITH_LINES = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def is_c1(char: str) -> bool:
    return "\x80" <= char <= "\x9f"


def is_refused(char: str, allow: str = "\n\t") -> bool:
    """True for a character stored text may not hold: C0 controls except
    those in `allow`, DEL, C1 controls, bidi overrides, lone surrogates."""
    if char in allow:
        return False
    return (char < " " or char == DEL or is_c1(char) or char in BIDI_CONTROLS
            or "\ud800" <= char <= "\udfff")


@lru_cache(maxsize=16)
def _refused_pattern(allow: str) -> re.Pattern[str]:
    """One search finds whether text holds a refused character: clean text
    (nearly all of it: an import checks millions of cells) costs no
    Python step per character."""
    c0 = "".join(re.escape(chr(code)) for code in range(0x20) if chr(code) not in allow)
    return re.compile(f"[{c0}\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def unsafe_chars(text: str, allow: str = "\n\t") -> list[str]:
    """The refused characters of `text`, in order (empty when it is clean)."""
    if not _refused_pattern(allow).search(text):
        return []
    return [char for char in text if is_refused(char, allow)]


def without_refused(text: str, allow: str = "\n\t") -> str:
    """`text` with every refused character dropped (CR LF becomes LF)."""
    text = text.replace("\r\n", "\n")
    if not _refused_pattern(allow).search(text):
        return text
    return "".join(char for char in text if not is_refused(char, allow))


def _stand_in(char: str) -> str:
    if char < " ":
        return chr(0x2400 + ord(char))  # the Control Pictures block: ␀ … ␟
    if char == DEL:
        return "\u2421"  # ␡
    if char in BIDI_CONTROLS:
        return ""
    return REPLACEMENT


def plain(value: object, multiline: bool = False) -> str:
    """`value` as text to draw: control characters shown as their control
    pictures (ESC as ␛), C1 controls and lone surrogates as �, bidi
    overrides dropped. Line breaks are kept with `multiline`, else drawn as
    spaces; tabs become spaces. Markup is the caller's business: pass the
    result to widgets as plain text, never as markup."""
    if value is None:
        return ""
    text = str(value)
    text = text.replace("\r\n", "\n").replace("\t", " " * TAB_SPACES)
    if not multiline:
        text = text.replace("\n", " ")
    pattern = _UNSAFE if multiline else _UNSAFE_WITH_LINES
    if not pattern.search(text):
        return text
    return pattern.sub(lambda match: _stand_in(match.group()), text)

"""Text from outside (corpus files, model replies, what a user types) made safe to keep, to print
and to read numbers from.

A terminal obeys control characters: ESC starts sequences that retitle the window, clear the
screen, hide or blink text; BEL rings; CR overwrites a line. Corpus text and questions lose them when
read (`without_controls`); everything printed shows them as visible symbols (`printable`); JSON
keeps the text as stored, every control escaped (`printable_json`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

# C0 controls except tab and newline, DEL, and the C1 controls (U+0080-U+009F; U+009B is CSI).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A whole escape sequence, so that no "[31m" is left behind: CSI (ESC [ or U+009B) and OSC
# (ESC ] or U+009D, ended by BEL or ST).
_SEQUENCE = re.compile(
    "(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b\\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\\\|\x9c)"
)
# An escape sequence begun at the end of a piece of a stream, its end still to come.
_OPEN_SEQUENCE = re.compile("(?:\x1b\\[?|\x9b)[0-?]*[ -/]*$|(?:\x1b\\]|\x9d)[^\x07\x1b\x9c]*\x1b?$")
_LONGEST_SEQUENCE = 256  # held back no longer: past it, the ESC is a lone control character
# JSON text escapes C0 itself; DEL and C1 pass through json.dumps(ensure_ascii=False).
_JSON_UNESCAPED = re.compile("[\x7f-\x9f]")
_REPLACEMENT = "\ufffd"
MAX_DIGITS = 100  # no count or id needs more; int() refuses over 4,300


def without_controls(text: str) -> str:
    """The text without escape sequences and control characters (tab and newline kept),
    its spaces collapsed where something was removed: what a store keeps of corpus text."""
    if not _CONTROL.search(text):
        return text
    cleaned = _CONTROL.sub(" ", _SEQUENCE.sub(" ", text))
    return "\n".join(" ".join(line.split()) for line in cleaned.split("\n")).strip()


def stream_without_controls(pieces: Iterable[str]) -> Iterator[str]:
    """A model's reply, piece by piece, without escape sequences and control characters (tab and
    newline kept); a sequence split between pieces is held back until it ends."""
    held = ""
    for piece in pieces:
        text = held + piece
        opened = _OPEN_SEQUENCE.search(text)
        cut = opened.start() if opened and len(text) - opened.start() <= _LONGEST_SEQUENCE else len(text)
        text, held = text[:cut], text[cut:]
        if cleaned := _CONTROL.sub("", _SEQUENCE.sub("", text)):
            yield cleaned
    if cleaned := _CONTROL.sub("", _SEQUENCE.sub("", held)):
        yield cleaned


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0D:
        return ""  # a carriage return would overwrite the line; \r\n line ends lose nothing
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control picture: ESC is shown as U+241B
    return "\u2421" if code == 0x7F else _REPLACEMENT


def printable(text: str) -> str:
    """Text a terminal shows as text: every control character but newline and tab made visible
    (ESC as a control picture, a C1 control as U+FFFD), a carriage return dropped."""
    return _CONTROL.sub(_visible, text)


def printable_json(value: Any, *, indent: int | None = 2) -> str:
    """JSON of a value that keeps its text as stored and is safe on a terminal: every control
    character escaped (json.dumps leaves DEL and C1 as they are)."""
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return _JSON_UNESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def whole_number(text: str) -> int | None:
    """The whole number that text spells in decimal digits, else None. (str.isdigit() also accepts
    superscripts, which int() refuses; int() refuses numbers of over 4,300 digits.)"""
    text = text.strip()
    return int(text) if text.isdecimal() and len(text) <= MAX_DIGITS else None

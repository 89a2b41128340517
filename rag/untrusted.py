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
from collections.abc import Collection, Iterable, Iterator
from typing import Any

# C0 controls except tab and newline, DEL, the C1 controls (U+0080-U+009F; U+009B is CSI), and the
# bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which reorder what
# a terminal shows ("Trojan Source": a title reading one way and stored another).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")  # no width: removed, not made a space
# A whole escape sequence, so that no "[31m" is left behind: CSI (ESC [ or U+009B) and OSC
# (ESC ] or U+009D, ended by BEL or ST).
_SEQUENCE = re.compile(
    "(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b\\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\\\|\x9c)"
)
# An escape sequence begun at the end of a piece of a stream, its end still to come.
_OPEN_SEQUENCE = re.compile("(?:\x1b\\[?|\x9b)[0-?]*[ -/]*$|(?:\x1b\\]|\x9d)[^\x07\x1b\x9c]*\x1b?$")
_LONGEST_SEQUENCE = 256  # held back no longer: past it, the ESC is a lone control character
# JSON text escapes C0 itself; DEL, C1 and the bidirectional controls pass through
# json.dumps(ensure_ascii=False).
_JSON_UNESCAPED = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_DIGITS = 100  # no count or id needs more; int() refuses over 4,300


def without_controls(text: str) -> str:
    """The text without escape sequences and control characters (tab and newline kept),
    its spaces collapsed where something was removed: what a store keeps of corpus text. A lone
    surrogate (a byte not UTF-8 in an argument, "\\ud800" in JSON) is U+FFFD: no text has one."""
    text = _SURROGATE.sub(_REPLACEMENT, text)
    if not _CONTROL.search(text):
        return text
    cleaned = _CONTROL.sub(" ", _SEQUENCE.sub(" ", _BIDI.sub("", text)))
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


def without_echo(pieces: Iterable[str], instructions: Collection[str]) -> Iterator[str]:
    """A model's reply without the lines of its instructions it repeats whole (a small model may
    echo "The question asks for a number: ..." before answering), a citation after one too; text
    that may be starting one is held back until it is told apart."""
    echo = _Echo([_flat(line) for line in instructions if _flat(line)])
    for piece in pieces:
        if kept := echo.feed(piece):
            yield kept
    if rest := echo.finish():
        yield rest


# where a repeated line may begin: after a sentence's end, a colon or a new line
_BOUNDARY = re.compile(r"[.!?:]\s+|\n")
# the labels a reply may put before a line it repeats ("- ", "Answer:", "Rules:")
_LABELS = re.compile(r"(?:\s*(?:-\s+|(?:answer|question|rules|example|title)\s*:))*\s*", re.IGNORECASE)
_LABEL_FORMS = ("-", "answer:", "question:", "rules:", "example:", "title:")
_CITED = re.compile(r"\s*(?:\[\d+(?:\s*,\s*\d+)*\]\s*)*\.?\s*")
_CITING = re.compile(r"\s*(?:\[[\d,\s]*\]?\s*)*")  # a citation that may still be coming


def _flat(text: str) -> str:
    return " ".join(text.lower().split())


class _Echo:
    """The state of `without_echo`: the text held, and where it stands."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.held = ""
        self.mid = False  # within a sentence of the reply's own: nothing to hold until it ends
        self.echoed = False  # a line was just dropped: so is the citation after it

    def feed(self, piece: str) -> str:
        """The text to pass on once a piece is added."""
        self.held += piece
        passed = []
        while self.held:
            if self.echoed:
                if _CITING.fullmatch(self.held):
                    break
                self.held = self.held[_CITED.match(self.held).end() :]  # type: ignore[union-attr]
                self.echoed = not self.held  # what comes next may begin with a space
                continue
            if self.mid:
                boundary = _first_boundary(self.held)
                if boundary is None:  # all of it passes, but a stop that a space may follow
                    cut = len(self.held) - 1 if self.held[-1] in ".!?:" else len(self.held)
                    passed.append(self.held[:cut])
                    self.held = self.held[cut:]
                    break
                passed.append(self.held[:boundary])
                self.held, self.mid = self.held[boundary:], False
            start = _LABELS.match(self.held).end()  # type: ignore[union-attr]
            flat = _flat(self.held[start:])
            if not flat or any(line.startswith(flat) and line != flat for line in self.lines):
                break  # it may yet be a line repeated: wait for more
            if any(label.startswith(flat) for label in _LABEL_FORMS) and not self.held[start:].endswith(" "):
                break  # "-", "Rul": a label may be begun
            repeated = next((line for line in self.lines if flat.startswith(line)), None)
            end = start + _end_of(self.held[start:], len(repeated)) if repeated else 0
            ends = repeated is not None and _ends_there(repeated, self.held[end:])
            if ends is None:
                break  # a line without a stop, repeated: whether the sentence goes on is still to come
            if not ends:
                self.mid = True
                continue
            self.held, self.echoed = self.held[end:], True
        return "".join(passed)

    def finish(self) -> str:
        """What is left at the end of the reply: a line begun and never finished is the model's own."""
        if self.echoed and _CITED.fullmatch(self.held):
            return ""
        start = _LABELS.match(self.held).end()  # type: ignore[union-attr]
        return "" if _flat(self.held[start:]) in self.lines else self.held


def _ends_there(line: str, after: str) -> bool | None:
    """Whether a line repeated ends the sentence there: it ends with a stop, or what follows is a
    citation, a new line or the end; None while only spaces (or a citation's "[") follow so far."""
    if line[-1] in ".!?:" or re.match(r"[ \t]*(?:\[\d|\n)", after):
        return True
    return None if re.fullmatch(r"[ \t]*\[?", after) else False  # " [" may begin a citation


def _first_boundary(text: str) -> int | None:
    """Where the text after its first boundary begins, if it has one."""
    found = _BOUNDARY.search(text)
    return found.end() if found else None


def _end_of(text: str, length: int) -> int:
    """The index in text after its first `length` characters as `_flat` counts them."""
    count, index, spaced = 0, 0, True
    while index < len(text) and count < length:
        if not text[index].isspace():
            count, spaced = count + 1, False
        elif not spaced:
            count, spaced = count + 1, True
        index += 1
    return index


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

"""How answers reach the user: rich on an interactive terminal, plain text when piped or NO_COLOR is set.

`rag ask` and `rag chat` write through a display: the streamed answer, dimmed notes, headings and
the references. The plain display is what pipes, scripts and tests see; the rich one wraps the
answer at word boundaries as it streams, shows a spinner while the papers are searched and the
model works before its first token, and sets the references apart in a panel.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Protocol, TextIO

from .events import Event, Notice, Replaced, Token
from .untrusted import printable

if TYPE_CHECKING:
    from rich.console import Console

Write = Callable[[str], object]
CITATION = re.compile(r"\[\d+(?:\s*[,;\u2013-]\s*\d+)*\]")
# A line that starts like a list item: continuation lines are indented under its text.
_ITEM = re.compile(r"(?:[-*•]|\d+[.)])")
SPINNER_TEXT = "Searching the papers and writing the answer..."


class Display(Protocol):
    """What `rag ask` and the chat need to show an answer."""

    def text(self, text: str) -> None:
        """Text as it is (a notice, an abstract, a command's reply)."""

    def note(self, text: str) -> None:
        """A secondary line: what was searched, why another backend answered (dimmed)."""

    def heading(self, text: str) -> None:
        """A title line (bold)."""

    def stream(self, events: Iterable[Event]) -> None:
        """Show an answer's events as they come: its text, notices, a withdrawn draft's reason."""

    def references(self, lines: list[str]) -> None:
        """The numbered references of an answer, set apart from it."""


def wants_rich(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Rich output only on an interactive terminal, and never with NO_COLOR or TERM=dumb."""
    environ = os.environ if environ is None else environ
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return interactive and not environ.get("NO_COLOR") and environ.get("TERM", "") not in ("dumb", "unknown")


def for_stdout() -> Display:
    """The display for this process's standard output."""
    if wants_rich(sys.stdout):
        from rich.console import Console

        return RichDisplay(Console(highlight=False, soft_wrap=False))
    try:
        terminal = sys.stdout.isatty()
    except (AttributeError, ValueError):
        terminal = False
    return PlainDisplay(_write_stdout, drafts=terminal)


def _write_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


class PlainDisplay:
    """Plain text through a write function: pipes, NO_COLOR, dumb terminals and scripted tests.
    With `drafts` False (a pipe, a file) an answer is written once no backend can withdraw it, so
    what a script reads holds no withdrawn draft, only why it was withdrawn."""

    def __init__(self, write: Write, *, drafts: bool = True) -> None:
        self._write = write
        self._drafts = drafts

    def write(self, text: str) -> None:
        """Everything shown goes through here: control characters in the text made visible."""
        self._write(printable(text))

    def text(self, text: str) -> None:
        self.write(text)

    def note(self, text: str) -> None:
        self.write(text + "\n")

    def heading(self, text: str) -> None:
        self.write(text + "\n")

    def stream(self, events: Iterable[Event]) -> None:
        draft: list[str] = []  # held back while it may be withdrawn (no drafts shown)
        for event in events:
            if isinstance(event, Token):
                if self._drafts:
                    self.write(event.text)
                else:
                    draft.append(event.text)
            elif isinstance(event, Replaced):
                self.write(f"\n\n[{event.reason}]\n" if self._drafts else f"[{event.reason}]\n")
                draft = []
            elif isinstance(event, Notice):
                self.note(event.text)
        self.write("".join(draft))

    def references(self, lines: list[str]) -> None:
        self.write("\nReferences:\n" + "".join(f"  {line}\n" for line in lines))


class RichDisplay:
    """An interactive terminal, drawn by rich."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def text(self, text: str) -> None:
        from rich.text import Text

        self.console.print(Text(printable(text)), end="")

    def note(self, text: str) -> None:
        from rich.text import Text

        self.console.print(Text(printable(text), style="dim"))

    def heading(self, text: str) -> None:
        from rich.text import Text

        self.console.print(Text(printable(text), style="bold"))

    def stream(self, events: Iterable[Event]) -> None:
        iterator = iter(events)
        first: Token | None = None
        # The spinner runs until the first token: retrieval, the decision and the model's start.
        with self.console.status(SPINNER_TEXT, spinner="dots"):
            for event in iterator:
                if isinstance(event, Token):
                    first = event
                    break
                self._aside(event)
        wrapper = _Wrapper(max(20, self.console.width - 1), self._emit)
        for event in itertools.chain([first] if first else [], iterator):
            if isinstance(event, Token):
                wrapper.feed(printable(event.text))
            elif isinstance(event, Replaced | Notice):
                wrapper.close()
                self.console.print()
                self._aside(event)
                wrapper = _Wrapper(max(20, self.console.width - 1), self._emit)
        wrapper.close()

    def _aside(self, event: Event) -> None:
        """A notice, or why a draft was withdrawn, as a dim line of its own."""
        if isinstance(event, Replaced):
            self.note(f"[{event.reason}]")
        elif isinstance(event, Notice):
            self.note(event.text)

    def _emit(self, piece: str) -> None:
        from rich.text import Text

        text = Text(piece)
        text.highlight_regex(CITATION, "bold cyan")
        self.console.print(text, end="", soft_wrap=True)

    def references(self, lines: list[str]) -> None:
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column(ratio=1)
        for line in lines:
            number, _, rest = line.partition(" ")
            table.add_row(Text(printable(number)), Text(printable(rest)))
        self.console.print()
        self.console.print(
            Panel(table, title="References", title_align="left", border_style="dim", expand=True)
        )


class _Wrapper:
    """Word-wraps streamed text at a width: a word is shown once the space after it arrives."""

    def __init__(self, width: int, emit: Write) -> None:
        self.width = width
        self.emit = emit
        self.column = 0
        self.word = ""
        self.space = False  # a space is owed before the next word
        self.hang = 0  # indentation of continuation lines (list items)
        self.line_start = True

    def feed(self, text: str) -> None:
        for char in text:
            if char == "\n":
                self._flush()
                self.emit("\n")
                self.column, self.space, self.hang, self.line_start = 0, False, 0, True
            elif char.isspace():
                if self.word:
                    self._flush()
                    self.space = True
                elif self.line_start:
                    self.emit(char)  # indentation at the start of a line is kept
                    self.column += 1
                    self.hang = self.column
                else:
                    self.space = self.column > 0
            else:
                self.word += char

    def _flush(self) -> None:
        if not self.word:
            return
        word, self.word = self.word, ""
        needed = len(word) + (1 if self.space else 0)
        if self.column + needed > self.width and self.column > self.hang:
            self.emit("\n" + " " * self.hang)
            self.column, self.space = self.hang, False
        if self.space:
            self.emit(" ")
            self.column += 1
        self.emit(word)
        self.column += len(word)
        self.space = False
        if self.line_start and _ITEM.fullmatch(word):
            self.hang = self.column + 1
        self.line_start = False

    def close(self) -> None:
        """Show the last word."""
        self._flush()

"""Test doubles for what a real component will not do on demand: a scripted reply, typed lines."""

from __future__ import annotations

from collections.abc import Iterator


class Scripted:
    """A model that streams a fixed reply: for replies a real model won't give on demand."""

    name = "openai"

    def __init__(self, reply: str, piece: int = 3) -> None:
        self.reply = reply
        self.piece = piece

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float) -> Iterator[str]:
        for start in range(0, len(self.reply), self.piece):
            yield self.reply[start : start + self.piece]


class Script:
    """Feeds lines to the REPL and collects what it writes; raises EOFError when out of lines."""

    def __init__(self, *lines: str | type[BaseException]) -> None:
        self.lines = list(lines)
        self.output: list[str] = []

    def read_line(self, prompt: str) -> str:
        self.output.append(prompt)
        if not self.lines:
            raise EOFError
        line = self.lines.pop(0)
        if isinstance(line, type):
            raise line()
        return line

    def write(self, text: str) -> None:
        self.output.append(text)

    @property
    def text(self) -> str:
        return "".join(self.output)

"""Test doubles for what a real component will not do on demand: a scripted reply, typed lines."""

from __future__ import annotations

from collections.abc import Iterator


class Scripted:
    """A model that streams a fixed reply: for replies a real model won't give on demand."""

    name = "openai"

    def __init__(self, reply: str, piece: int = 3, *, then: tuple[str, ...] = ()) -> None:
        self.replies = [reply, *then]  # one a request, the last one repeated
        self.piece = piece
        self.requests: list[list[dict[str, str]]] = []  # the messages of each request

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float) -> Iterator[str]:
        reply = self.replies[min(len(self.requests), len(self.replies) - 1)]
        self.requests.append(messages)
        for start in range(0, len(reply), self.piece):
            yield reply[start : start + self.piece]


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

"""What an answer streams: its text as it is written, notices beside it, a withdrawn draft, the Answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .answer import Answer
    from .query import Query


@dataclass(frozen=True)
class Token:
    """A piece of the answer's text."""

    text: str


@dataclass(frozen=True)
class Notice:
    """A status line beside the answer (what was searched, what happened); never part of its text."""

    text: str


@dataclass(frozen=True)
class Replaced:
    """The text streamed since the last Replaced (or the start) is withdrawn: why, and by which backend."""

    backend: str
    reason: str


@dataclass(frozen=True)
class Done:
    """The answer is complete; the query it answers."""

    answer: Answer
    query: Query


Event = Token | Notice | Replaced | Done


class AnswerStream:
    """An answer as it is written: iterate for its events; `.answer` is the Answer once done."""

    def __init__(self, events: Iterator[Event], on_answer: Callable[[Done], None] | None = None) -> None:
        self._events = events
        self._on_answer = on_answer
        self.answer: Answer | None = None
        self.query: Query | None = None  # the query answered (a chat's follow-up reading, say)

    def __iter__(self) -> Iterator[Event]:
        for event in self._events:
            if isinstance(event, Done):
                self.answer, self.query = event.answer, event.query
                if self._on_answer is not None:
                    self._on_answer(event)
            yield event

    def text(self) -> Iterator[str]:
        """The answer's text as it streams, for callers that print it: a withdrawn draft is followed
        by a blank line, then the text that replaces it (the events say why)."""
        for event in self:
            if isinstance(event, Token):
                yield event.text
            elif isinstance(event, Replaced):
                yield "\n\n"

    def finish(self, on_token: Callable[[str], None] | None = None) -> Answer:
        """Iterate to the end (on_token sees the text as it streams, as `text` yields it); the Answer."""
        for text in self.text():
            if on_token:
                on_token(text)
        assert self.answer is not None
        return self.answer

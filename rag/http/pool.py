"""The backends of a server: each built once (under a lock), a local model's replies one at a time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..backends import Pool

if TYPE_CHECKING:
    from ..config import Settings
    from ..llm import LLM, Messages

# Backends that serve one reply at a time: llama.cpp's server interrupts a reply when the next
# request comes, so concurrent answers from one local model wait their turn instead.
ONE_AT_A_TIME = frozenset({"local"})


class Queued:
    """A model whose replies are written one after another; a closed reply frees the model."""

    def __init__(self, llm: LLM) -> None:
        self.llm = llm
        self.name = llm.name
        self._turn = threading.Lock()

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """The inner model's reply, once the replies before it are done."""
        with self._turn:
            yield from self.llm.stream(messages, max_tokens=max_tokens, temperature=temperature)

    def close(self) -> None:
        """Close the inner model."""
        close = getattr(self.llm, "close", None)
        if close is not None:
            close()


class ServerPool(Pool):
    """A Pool for concurrent requests: no backend built twice, one-at-a-time backends queued."""

    def __init__(self) -> None:
        super().__init__()
        self._building = threading.Lock()

    def get(self, name: str, settings: Settings) -> LLM:
        """The backend of that name, built once; a local model wrapped in its queue."""
        with self._building:
            llm = super().get(name, settings)
            if name in ONE_AT_A_TIME and not isinstance(llm, Queued):
                llm = self._llms[name] = Queued(llm)
            return llm

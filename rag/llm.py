"""The contract every model backend keeps: chat messages in, streamed text out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from .errors import RagError

Messages = list[dict[str, str]]
EXTRACTIVE = "extractive"


class LLMUnavailable(RagError):
    """A backend failed in a way the chain falls back from (connection, timeout, 429, 5xx, 401)."""


class LLM(Protocol):
    """A chat model that streams its reply; one holding a resource (a process) also has close()."""

    name: str

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """The reply's text pieces as they are generated."""
        ...

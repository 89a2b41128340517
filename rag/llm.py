"""The contract every model backend keeps: chat messages in, streamed text out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from .errors import RagError

Messages = list[dict[str, str]]
EXTRACTIVE = "extractive"
# A reply holds at most this many characters a token asked for (twice the four of an English token:
# numbers, short words); a longer one ignored its max_tokens.
REPLY_CHARS_PER_TOKEN = 8


def reply_char_limit(max_tokens: int) -> int:
    """The most characters a reply of max_tokens tokens can hold."""
    return max_tokens * REPLY_CHARS_PER_TOKEN


class LLMUnavailable(RagError):
    """A backend failed in a way the chain falls back from (connection, timeout, 429, 5xx, 401)."""


class ReplyCut(LLMUnavailable):
    """A reply cut off on this side, past its deadline or its tokens; the backend itself may be fine."""


class LLM(Protocol):
    """A chat model that streams its reply; one holding a resource (a process) also has close()."""

    name: str

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """The reply's text pieces as they are generated."""
        ...

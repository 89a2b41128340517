"""A chat request's conversation as a ChatSession: its earlier turns, so follow-ups work as in `rag chat`."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..answer import Answer
from ..chat import ChatSession
from ..followups import Turn

if TYPE_CHECKING:
    from ..api import Assistant
    from ..config import SearchMode
    from ..library.filters import Filter

REMEMBERED = 512  # replies whose answers are kept to read the next follow-up by (least recently used go)


# the references a reply ends with (reply_text), which a client may drop when it sends the reply back
_REFERENCES = re.compile(r"\n\s*(?:\*\*)?References(?:\*\*)?:?\s*\n.*\Z", re.DOTALL)


def _key(reply: str) -> str:
    """A reply known by its answer's words, however a client sends it back: with or without its
    references, its line ends as "\r\n", its spaces changed."""
    answer = _REFERENCES.sub("", reply.replace("\r\n", "\n"))
    return hashlib.sha256(" ".join(answer.split()).encode("utf-8", "surrogatepass")).hexdigest()


class Replies:
    """The answers behind the replies this server gave, by their text: a client sends a conversation
    back as plain text, and its last answer's cited papers make the follow-up's context."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self._size = size
        self._turns: OrderedDict[str, Turn] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, reply: str, turn: Turn) -> None:
        """Keep the turn a reply's text came from."""
        with self._lock:
            self._turns[_key(reply)] = turn
            self._turns.move_to_end(_key(reply))
            while len(self._turns) > self._size:
                self._turns.popitem(last=False)

    def turn(self, question: str, reply: str) -> Turn:
        """The turn of a (question, reply) pair: the answer remembered, else the reply as an
        answer without citations (a reply from before a restart: its question is the context)."""
        with self._lock:
            known = self._turns.get(_key(reply))
        if known is not None and known.question == question:
            return known
        return Turn(question, question, Answer(question, reply, [], [], backend="client"))


def session(
    assistant: Assistant,
    history: Sequence[tuple[str, str]],
    replies: Replies,
    *,
    k: int | None,
    llm: str,
    mode: SearchMode | None,
    filters: Filter,
) -> ChatSession:
    """A chat session holding the request's earlier (question, reply) pairs as its turns."""
    settings = assistant.settings
    chat = ChatSession(assistant, k=k or settings.k, llm=llm, mode=mode or settings.mode, filters=filters)
    chat.turns = [replies.turn(question, reply) for question, reply in history]
    return chat

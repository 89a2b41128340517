"""A chat model behind the OpenAI API or any OpenAI-compatible server (Ollama, llama.cpp server).

A reply is bounded on this side whatever the server does: it must end within `deadline` seconds of
the request (waiting for the server to start answering is bounded by `timeout` and the retries),
and within the tokens asked for (a server that ignores max_tokens is cut off).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from .config import mask_url
from .errors import RagError
from .llm import LLMUnavailable, Messages, ReplyCut, reply_char_limit


class _Malformed(ValueError):
    """A stream chunk that is not what the API promises."""


class OpenAIChat:
    """A chat model behind the OpenAI API or any OpenAI-compatible server."""

    def __init__(
        self,
        *,
        name: str,
        model: str,
        api_key: str,
        base_url: str | None,
        timeout: float,
        max_retries: int,
        deadline: float = 120.0,
    ) -> None:
        import openai

        self.name = name
        self.model = model
        self.timeout = timeout
        self.deadline = deadline
        self.where = mask_url(base_url) or "the OpenAI API"
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """Stream a chat completion; any failure before or during the reply (transient, auth, an
        error event, a malformed chunk, past the deadline or the tokens) becomes LLMUnavailable."""
        ends = time.monotonic() + self.deadline
        cut = threading.Event()  # set when the deadline shut the connection down
        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
                stream=True,
            )
            # closed when the reader stops early too (a client gone): the server stops writing
            with _cut_at(ends, response, cut), contextlib.closing(response):  # type: ignore[type-var]
                yield from _bounded(response, ends, max_tokens, self.deadline)
        except ReplyCut:
            raise
        except Exception as exc:  # every failure of the reply is the backend's (or this program's)
            if cut.is_set():  # the read failed because the deadline shut the connection
                raise ReplyCut(_past_deadline(self.deadline)) from None
            raise self._failure(exc) from None
        if cut.is_set():  # read to the end of a connection the deadline shut down: not a whole reply
            raise ReplyCut(_past_deadline(self.deadline))

    def _failure(self, exc: Exception) -> Exception:
        """What a failure of the request or of its stream means: LLMUnavailable (the chain falls
        back) or, for a request the server refuses as such, RagError."""
        import httpx
        import openai

        if isinstance(exc, openai.APITimeoutError):
            return LLMUnavailable(f"timed out after {self.timeout:g} s at {self.where}")
        if isinstance(exc, openai.APIConnectionError):
            return LLMUnavailable(f"cannot connect to {self.where} ({exc.__cause__ or exc})")
        if isinstance(exc, openai.AuthenticationError):
            return LLMUnavailable(f"authentication failed (401) at {self.where}: check the API key")
        if isinstance(exc, openai.RateLimitError):
            return LLMUnavailable(f"rate limited (429) by {self.where}")
        if isinstance(exc, openai.InternalServerError):
            return LLMUnavailable(f"server error ({exc.status_code}) at {self.where}")
        if isinstance(exc, openai.APIStatusError):
            return RagError(f"{self.where} refused the request ({exc.status_code}): {exc.message}")
        if isinstance(exc, openai.APIError):  # an error event in the stream ("data: {"error": ...}")
            return LLMUnavailable(f"{self.where} sent an error: {_printable(exc.message)}")
        if isinstance(exc, httpx.TransportError):  # the connection broke while the reply streamed
            return LLMUnavailable(f"connection to {self.where} lost mid-answer ({exc})")
        if isinstance(exc, _Malformed):
            return LLMUnavailable(f"malformed reply from {self.where}: {exc}")
        if isinstance(exc, ValueError | AttributeError | TypeError | KeyError):  # a malformed body
            return LLMUnavailable(f"malformed reply from {self.where} ({type(exc).__name__})")
        if isinstance(exc, openai.OpenAIError | httpx.HTTPError | httpx.StreamError):
            return LLMUnavailable(f"failed at {self.where} ({type(exc).__name__}: {_printable(str(exc))})")
        return exc  # a fault of this program, not of the server: not hidden behind a fallback


def _bounded(chunks: Any, ends: float, max_tokens: int, deadline: float) -> Iterator[str]:
    """The text of each chunk, until the deadline or past the tokens asked for (a chunk is at
    least one token, and a reply at most reply_char_limit characters)."""
    count = size = 0
    for chunk in chunks:
        if time.monotonic() >= ends:
            raise ReplyCut(_past_deadline(deadline))
        text = _text_of(chunk)
        if not text:
            continue
        count, size = count + 1, size + len(text)
        if count > max_tokens or size > reply_char_limit(max_tokens):
            raise ReplyCut(f"the reply ran past the {max_tokens} tokens asked for")
        yield text


def _text_of(chunk: object) -> str:
    """The text a stream chunk adds; _Malformed saying what is wrong with a chunk that breaks the API."""
    from openai.types.chat import ChatCompletionChunk
    from openai.types.chat.chat_completion_chunk import Choice, ChoiceDelta

    if not isinstance(chunk, ChatCompletionChunk) or not isinstance(chunk.choices, list):
        raise _Malformed("a chunk without a list of choices")
    if not chunk.choices:  # usage or content-filter results only
        return ""
    choice = chunk.choices[0]
    if not isinstance(choice, Choice) or not isinstance(choice.delta, ChoiceDelta):
        raise _Malformed("a choice without a delta")
    content = choice.delta.content
    if content is not None and not isinstance(content, str):
        raise _Malformed(f"delta.content is {type(content).__name__}, not text")
    return content or ""


@contextlib.contextmanager
def _cut_at(ends: float, response: Any, cut: threading.Event) -> Iterator[None]:
    """Shut the reply's connection down at the deadline (and set `cut`), even while a read waits on
    a server that sends nothing or only keep-alive comments."""
    sock = _socket_of(response)
    timer = threading.Timer(max(0.0, ends - time.monotonic()), _shut, [sock, cut])
    timer.daemon = True
    if sock is not None:
        timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _socket_of(response: Any) -> socket.socket | None:
    """The socket an httpx streamed response reads from (None if it cannot be told)."""
    with contextlib.suppress(Exception):
        found = response.response.extensions["network_stream"].get_extra_info("socket")
        return found if isinstance(found, socket.socket) else None
    return None


def _shut(sock: socket.socket, cut: threading.Event) -> None:
    cut.set()
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _past_deadline(deadline: float) -> str:
    return f"no complete reply within {deadline:g} s (RAG_LLM_ANSWER_TIMEOUT)"


def _printable(text: str, limit: int = 200) -> str:
    """A server's message on one line, without control characters, at most `limit` characters."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."

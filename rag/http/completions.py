"""POST /v1/chat/completions: a request read into a question, its conversation and options; the
answer written as OpenAI's chat completion (whole, or as chunks for server-sent events)."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from ..answer import markdown_text
from ..errors import InputError
from ..events import Done, Event, Notice, Replaced, Token
from ..library.filters import NO_FILTER, Filter
from .errors import ApiError

if TYPE_CHECKING:
    from ..answer import Answer, Citation, Source
    from ..config import SearchMode
    from ..query import Query

MODES = ("hybrid", "dense", "keyword")
MAX_K = 50


@dataclass
class ChatRequest:
    """What a chat completion request asks: the question, the conversation before it, the options."""

    model: str
    question: str
    history: list[tuple[str, str]] = field(default_factory=list)  # (question, reply) pairs
    stream: bool = False
    k: int | None = None
    mode: SearchMode | None = None
    filters: Filter = NO_FILTER


def _text(content: object, where: str) -> str:
    """A message's text: a string, or OpenAI's list of content parts (the text parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if all(isinstance(p, str) for p in parts):
            return "\n".join(cast("list[str]", parts))
    raise ApiError(400, f"{where}.content: expected text or a list of text parts", param=where)


def _conversation(messages: object) -> tuple[str, list[tuple[str, str]]]:
    """The last user message, and the (question, reply) pairs before it (system messages aside)."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages: expected a non-empty list of messages", param="messages")
    pairs: list[tuple[str, str]] = []
    asked: str | None = None
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ApiError(400, f"{where}: expected an object with a role and content", param=where)
        role, content = message["role"], message.get("content")
        # an assistant's turn that only called tools has no content (what the OpenAI SDK sends)
        text = "" if content is None and role != "user" else _text(content, where)
        if role == "user":
            asked = text
        elif role == "assistant" and asked is not None and text.strip():  # not a turn of tool calls
            pairs.append((asked, text))
            asked = None
    last = messages[-1]
    if last.get("role") != "user":
        role = str(last.get("role"))[:40]
        raise ApiError(
            400, f"messages: the last message must be the user's question, not {role!r}", param="messages"
        )
    if not (asked or "").strip():
        raise ApiError(400, "messages: the question (the last user message) has no text", param="messages")
    return cast("str", asked), pairs


def _k(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_K:
        raise ApiError(400, f"k: expected a whole number from 1 to {MAX_K}", param="k")
    return value


def mode_of(value: object) -> SearchMode | None:
    """A retrieval mode from a request, or None for the configured one."""
    if value is None:
        return None
    if value not in MODES:
        raise ApiError(400, f"mode: expected one of {', '.join(MODES)}", param="mode")
    return cast("SearchMode", value)


def filter_of(options: object) -> Filter:
    """The request's filters ({"year": "2021..2023", "author": ...}) as a Filter; 400 naming the field."""
    if options is None:
        return NO_FILTER
    if not isinstance(options, dict):
        raise ApiError(400, 'filters: expected an object like {"year": "2021..2023"}', param="filters")
    try:
        return Filter.parse(options, origin="filters.")
    except InputError as exc:
        raise ApiError(400, str(exc), param="filters", code="invalid_filter") from None


def parse(body: object) -> ChatRequest:
    """A request body read as a ChatRequest; ApiError naming the field that is wrong."""
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str):
        raise ApiError(400, "model: expected a model name (GET /v1/models lists them)", param="model")
    question, history = _conversation(body.get("messages"))
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ApiError(400, "stream: expected true or false", param="stream")
    if body.get("n", 1) not in (1, None):  # one answer per question: a second would be the same
        raise ApiError(400, "n: one choice is returned for a question; send n=1 or leave n out", param="n")
    return ChatRequest(
        model,
        question,
        history,
        stream,
        _k(body.get("k")),
        mode_of(body.get("mode")),
        filter_of(body.get("filters")),
    )


def reply_text(answer: Answer) -> str:
    """The reply's text: the answer with its [n] marks, then the closest papers of a refusal and the
    references (Markdown, as chat interfaces show it)."""
    return answer.to_markdown().rstrip("\n")


def _paper(number: int, paper_id: str, source: Citation | Source) -> dict[str, Any]:
    """A cited or closest paper's record, as the reply's references and details show it."""
    p = source.paper
    return {
        "number": number,
        "id": paper_id,
        "title": p.title,
        "url": p.url,
        "authors": p.authors,
        "year": p.year,
        "venue": p.venue,
        "doi": p.doi,
    }


def references(answer: Answer) -> list[dict[str, Any]]:
    """The structured references: one per [n] mark, with the sentence it rests on (evidence) and the
    paper's text the answer was written from (passage), as MCP's `ask` gives them."""
    from ..quotes import quotes

    quoted = quotes(answer)
    return [
        _paper(c.number, c.paper.paper_id, c) | {"evidence": quoted[c.number], "passage": c.passage}
        for c in answer.citations
    ]


def details(answer: Answer, query: Query | None) -> dict[str, Any]:
    """What else a client may show: refusal and closest papers, backend, fallback, what was searched."""
    return {
        "refused": answer.refused,
        "closest": [
            _paper(s.number, s.paper.paper_id, s) | {"evidence": s.evidence, "score": round(s.score, 4)}
            for s in answer.closest
        ],
        "backend": answer.backend,
        "fallback_reason": answer.fallback_reason,
        "searched": query.text if query is not None else answer.question,
        "filters": answer.filters,
        "unapplied": answer.unapplied,
        "unsupported": [u.sentence for u in answer.unsupported],
    }


class Completion:
    """One response's id, time and model, and the shapes it is written in."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model

    def whole(self, answer: Answer, query: Query | None, notices: list[str]) -> dict[str, Any]:
        """The non-streamed response (with what a stream says as notices before its answer's)."""
        text = reply_text(answer)
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": _usage(answer, text),
            "references": references(answer),
            "rag": details(answer, query) | {"notices": notices},
        }

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        """One server-sent event of the streamed response."""
        payload = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    def event(self, event: Event) -> str:
        """An answer event as a chunk: text as content; a notice or a withdrawn draft beside it
        (`rag_event`), the withdrawn draft's reason in the text too, as `rag chat` prints it."""
        if isinstance(event, Token):
            return self.chunk({"content": event.text})
        if isinstance(event, Replaced):
            note = {"type": "replaced", "backend": event.backend, "reason": event.reason}
            return self.chunk({"content": content_of(event)}, rag_event=note)
        if isinstance(event, Notice):
            return self.chunk({}, rag_event={"type": "notice", "text": event.text})
        return self.done(event)

    def done(self, done: Done) -> str:
        """The end: the references after the text (marked `tail`), then the structured references."""
        answer = done.answer
        markdown, after = reply_text(answer), tail(answer)
        parts = [self.chunk({"content": after}, rag_event={"type": "tail"})] if after else []
        parts.append(
            self.chunk(
                {},
                "stop",
                references=references(answer),
                rag=details(answer, done.query),
                usage=_usage(answer, markdown),
            )
        )
        return "".join(parts)


def content_of(event: Event) -> str:
    """The text an event adds to the streamed reply (a withdrawn draft's reason in brackets)."""
    if isinstance(event, Token):
        return event.text
    if isinstance(event, Replaced):
        return f"\n\n[{markdown_text(event.reason)}]\n\n"  # a server's error may be anyone's text
    return ""


def tail(answer: Answer) -> str:
    """What the reply adds after the answer's text (as streamed: markdown_text): the closest papers,
    the references."""
    markdown, streamed = reply_text(answer), markdown_text(answer.text)
    return markdown[len(streamed) :] if markdown.startswith(streamed) else "\n\n" + markdown


class Streamed:
    """A streamed reply as it is sent: each event's chunk, with a token's trailing whitespace held
    back (the answer's text ends without it, and the references follow it), and the text sent."""

    def __init__(self, completion: Completion) -> None:
        self.completion = completion
        self.sent: list[str] = []
        self._held = ""
        self._last = ""  # the last character of the text sent (Markdown is escaped across pieces)

    def write(self, event: Event) -> str:
        """The server-sent event(s) for one answer event ('' when nothing is to be sent yet)."""
        if isinstance(event, Token):
            text = self._held + event.text
            kept = text.rstrip()
            self._held = text[len(kept) :]
            if not kept:
                return ""
            event, self._last = Token(markdown_text(kept, self._last)), kept[-1]
        elif isinstance(event, Replaced | Done):
            self._held, self._last = "", ""
        self.sent.append(tail(event.answer) if isinstance(event, Done) else content_of(event))
        return self.completion.event(event)

    @property
    def text(self) -> str:
        """The reply's text as the client has it."""
        return "".join(self.sent)


def _usage(answer: Answer, text: str) -> dict[str, int]:
    prompt = answer.prompt_tokens or 0
    written = max(1, len(text) // 4)  # an estimate, as prompt_tokens is: no tokenizer of the model here
    return {"prompt_tokens": prompt, "completion_tokens": written, "total_tokens": prompt + written}


def error_event(error: ApiError) -> str:
    """A failure after the stream began: an error event in OpenAI's shape, then the end."""
    return f"data: {json.dumps(error.body())}\n\ndata: [DONE]\n\n"

"""The HTTP application: the OpenAI-compatible endpoints, search, papers, health and the page."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import RagError
from ..events import Done, Event, Notice
from ..query import cut_note
from ..untrusted import without_controls
from . import completions, models
from .conversation import Replies, session
from .errors import ApiError, from_rag
from .fresh import Fresh
from .guard import Guard
from .pump import Pump

if TYPE_CHECKING:
    from ..api import Assistant

STATIC = Path(__file__).resolve().parent / "static"
FILTER_OPTIONS = ("year", "since", "until", "author", "category", "venue", "tag")
SINGLE = ("year", "since", "until")
MAX_ID = 512
# The page's own files only: no inline script, no other origin (paper text can never run as code).
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class Api:
    """The endpoints, over one Assistant shared by every request."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.fresh = Fresh(assistant.library)
        self.replies = Replies()
        self.pumps: list[Pump[Event]] = []  # the answers under way (GET /healthz counts them)

    async def healthz(self, request: Request) -> JSONResponse:
        chunks = await run_in_threadpool(self.fresh.call, lambda: self.assistant.library.store.count())
        active = sum(not p.finished.is_set() for p in self.pumps)
        self.pumps = [p for p in self.pumps if not p.finished.is_set()]
        status = {"status": "ok", "chunks": chunks, "answers_running": active}
        return JSONResponse(status | {"store_reopened": self.fresh.reopened})

    async def models(self, request: Request) -> JSONResponse:
        return JSONResponse(models.listing(self.assistant.settings))

    async def model(self, request: Request) -> JSONResponse:
        return JSONResponse(models.retrieved(request.path_params["model"], self.assistant.settings))

    async def search(self, request: Request) -> JSONResponse:
        params = request.query_params
        query = params.get("q", "").strip()
        if not query:
            raise ApiError(400, "q: give the words to search for, e.g. /search?q=protein+folding", param="q")
        k = _whole(params.get("k"), "k")
        mode = completions.mode_of(params.get("mode"))
        # year, since and until take one value; the others any number
        options: dict[str, object] = {
            name: _once(name, values) if name in SINGLE else values
            for name in FILTER_OPTIONS
            if (values := [v for v in params.getlist(name) if v.strip()])
        }
        filters = completions.filter_of(options)
        hits = await run_in_threadpool(
            self.fresh.call, self.assistant.search, query, k=k, mode=mode, filters=filters
        )
        return JSONResponse(
            {"query": query, "results": [h.to_dict() for h in hits], "filters": filters.to_dict()}
        )

    async def paper(self, request: Request) -> JSONResponse:
        paper_id = request.path_params["paper_id"]
        # The id is only ever a key of the store's lookup, never a path; odd ones are refused early.
        if not paper_id or len(paper_id) > MAX_ID or not paper_id.isprintable():
            raise ApiError(
                404, "No such paper: ids are printable and at most 512 characters", code="not_found"
            )
        try:
            found = await run_in_threadpool(self.fresh.call, self.assistant.paper, paper_id)
        except RagError as exc:
            error = from_rag(exc)
            if error.status == 400:
                raise ApiError(404, str(exc), code="not_found") from None
            raise error from None
        return JSONResponse(found)

    async def chat(self, request: Request) -> Response:
        if "json" not in request.headers.get("content-type", ""):
            raise ApiError(415, "Send the request body as JSON (Content-Type: application/json)")
        try:
            body = json.loads(await request.body())
        except ValueError as exc:
            raise ApiError(400, f"The request body is not valid JSON ({exc})") from None
        except RecursionError:
            raise ApiError(400, "The request body is JSON nested too deeply to read") from None
        asked = completions.parse(body)
        choice = models.choice_of(asked.model, self.assistant.settings)
        if asked.filters:  # a filter that matches no paper is the request's error, before any answer
            await run_in_threadpool(self.fresh.call, self.assistant.gatherer.scope, asked.filters)
        chat = session(
            self.assistant,
            asked.history,
            self.replies,
            k=asked.k,
            llm=choice,
            mode=asked.mode,
            filters=asked.filters,
        )
        pump: Pump[Event] = Pump(lambda: self.fresh.iterate(lambda: iter(chat.answer(asked.question))))
        self.pumps = [p for p in self.pumps if not p.finished.is_set()] + [pump]
        events = pump.events()
        first = await anext(events)  # retrieval's failures are the request's, with their status
        completion = completions.Completion(asked.model)
        # a question cut to RAG_MAX_QUESTION_CHARS is said to the client, not only on the server's stderr
        cut = cut_note(without_controls(asked.question).strip(), self.assistant.settings.max_question_chars)
        if not asked.stream:
            done = await _until_done(request, first, events)
            self._remember(asked.question, completions.reply_text(done.answer), done)
            return JSONResponse(completion.whole(done.answer, done.query, notices=[cut] if cut else []))
        return StreamingResponse(
            self._sse(asked.question, completion, first, events, cut),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _sse(
        self,
        question: str,
        completion: completions.Completion,
        first: Event,
        events: AsyncIterator[Event],
        cut: str,
    ) -> AsyncIterator[str]:
        yield completion.chunk({"role": "assistant", "content": ""})
        writer = completions.Streamed(completion)
        if cut:
            yield writer.write(Notice(cut))
        try:
            event: Event | None = first
            while event is not None:
                piece = writer.write(event)
                if isinstance(event, Done):  # the reply as written here, and as the client collected it
                    self._remember(question, completions.reply_text(event.answer), event)
                    self._remember(question, writer.text, event)
                if piece:
                    yield piece
                event = await anext(events, None)
        except RagError as exc:
            yield completions.error_event(from_rag(exc))
            return
        except Exception as exc:
            _report(exc)
            yield completions.error_event(ApiError(500, f"internal error ({type(exc).__name__})"))
            return
        finally:
            await events.aclose()  # type: ignore[attr-defined]
        yield "data: [DONE]\n\n"

    def _remember(self, question: str, reply: str, done: Done) -> None:
        from ..followups import Turn

        self.replies.remember(reply, Turn(question, done.query.text, done.answer))

    async def page(self, request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)


async def _until_done(request: Request, first: Event, events: AsyncIterator[Event]) -> Done:
    """The answer's Done, read to the end; a client that leaves meanwhile stops the answer."""
    found: list[Done] = [first] if isinstance(first, Done) else []
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            while (await request.receive())["type"] != "http.disconnect":
                pass
            group.cancel_scope.cancel()  # the reading below stops, and with it the answer

        group.start_soon(watch)
        async for event in events:
            if isinstance(event, Done):
                found.append(event)
        group.cancel_scope.cancel()
    if not found:
        raise ApiError(499, "The client closed the request before the answer was done")
    return found[-1]


def _whole(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or not 1 <= int(value) <= completions.MAX_K:
        raise ApiError(400, f"{name}: expected a whole number from 1 to {completions.MAX_K}", param=name)
    return int(value)


def _once(name: str, values: list[str]) -> str:
    """The one value of a filter that takes one (year, since, until); ApiError if given twice."""
    if len(values) > 1:
        raise ApiError(
            400, f"{name} given {len(values)} times: give one, e.g. {name}={_EXAMPLES[name]}", param=name
        )
    return values[0]


_EXAMPLES = {"year": "2021..2023", "since": "2023-01-01", "until": "2023-12-31"}


def _report(exc: BaseException) -> None:
    """An unexpected failure: one line on the server's stderr (the client gets no traceback)."""
    print(f"rag serve: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _rag_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RagError)
    return from_rag(exc).response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: f"No such endpoint: {request.method} {request.url.path}", 405: "Method not allowed here"}
    return ApiError(exc.status_code, messages.get(exc.status_code, str(exc.detail))).response()


async def _internal(request: Request, exc: Exception) -> Response:
    _report(exc)
    return ApiError(500, f"internal error ({type(exc).__name__}); the server logged it").response()


def build(assistant: Assistant, *, api_key: str | None, loopback: bool, cors: list[str] | None = None) -> Any:
    """The ASGI application for one Assistant (its routes, behind the guard and, if asked, CORS)."""
    api = Api(assistant)
    routes = [
        Route("/", api.page),
        Route("/healthz", api.healthz),
        Route("/v1/models", api.models),
        Route("/v1/models/{model:path}", api.model),
        Route("/v1/chat/completions", api.chat, methods=["POST"]),
        Route("/search", api.search),
        Route("/papers/{paper_id:path}", api.paper),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers: dict[Any, Any] = {
        ApiError: _api_error,
        RagError: _rag_error,
        HTTPException: _http_error,
        Exception: _internal,
    }
    app: Any = Starlette(routes=routes, exception_handlers=handlers)
    app.state.api = api
    app = Guard(app, api_key=api_key, loopback=loopback)
    if cors:  # outside the guard: a browser's preflight carries no key
        from starlette.middleware.cors import CORSMiddleware

        app = CORSMiddleware(
            app,
            allow_origins=cors,
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type"],
        )
    return app

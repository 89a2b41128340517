"""The server's gate, before any endpoint: the API key, the Host header, the size of a request body."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .errors import ApiError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY = 1 << 20  # 1 MiB: a long conversation fits many times over
OPEN_PATHS = ("/", "/healthz", "/static/")  # the page loads without the key (it asks for it), and health


class Guard:
    """ASGI middleware: a bearer token when a key is set (constant-time comparison), only loopback
    Host names on a loopback server (no DNS rebinding), bodies read whole up to MAX_BODY (413 past it)."""

    def __init__(self, app: App, *, api_key: str | None, loopback: bool, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.expected = f"Bearer {api_key}".encode() if api_key else None
        self.loopback = loopback
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        try:
            self._check(scope, headers)
            body = await self._body(receive, headers)
        except ApiError as error:
            await error.response()(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # the disconnect a stream listens for

        await self.app(scope, replay, send)

    def _check(self, scope: Scope, headers: dict[str, bytes]) -> None:
        if self.loopback:
            host = headers.get("host", b"").decode("latin-1").rsplit(":", 1)[0].strip("[]").lower()
            if host not in ("127.0.0.1", "localhost", "::1"):
                raise ApiError(
                    400, f"Host {host[:80]!r} is not this server's loopback address", code="bad_host"
                )
        path = str(scope.get("path", ""))
        if self.expected is None or path == "/" or path.startswith(OPEN_PATHS[1:]):
            return
        given = headers.get("authorization", b"")
        if not hmac.compare_digest(given, self.expected):
            raise ApiError(
                401,
                "Missing or wrong API key: send the header 'Authorization: Bearer $RAG_API_KEY'",
                code="invalid_api_key",
            )

    async def _body(self, receive: Receive, headers: dict[str, bytes]) -> bytes:
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            raise _too_large(self.max_body)
        if declared is None and "transfer-encoding" not in headers:
            return b""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _too_large(self.max_body)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"The request body is larger than {limit // 1024} KiB", code="body_too_large")

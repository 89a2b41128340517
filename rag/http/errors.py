"""Errors in OpenAI's shape: {"error": {"message", "type", "param", "code"}}, with the HTTP status."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from ..errors import ConfigError, InputError, NoMatchError, RagError, StoreError


class ApiError(Exception):
    """A request the API refuses: its status, OpenAI's error type and code, and a clear message."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, param: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        """The JSON body OpenAI's clients read."""
        kind = (
            "invalid_request_error"
            if self.status < 500 and self.status not in (401, 403)
            else "authentication_error"
            if self.status == 401
            else "permission_error"
            if self.status == 403
            else "server_error"
        )
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        """The error as an HTTP response."""
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def from_rag(exc: RagError) -> ApiError:
    """The API's error for one of the library's: what the caller must change, or what failed here."""
    if isinstance(exc, NoMatchError):
        return ApiError(400, str(exc), code="no_match")
    if isinstance(exc, InputError):
        return ApiError(400, str(exc), code="invalid_input")
    if isinstance(exc, ConfigError):
        return ApiError(400, str(exc), code="not_configured")
    if isinstance(exc, StoreError):
        return ApiError(503, str(exc), code="store_unavailable")
    return ApiError(500, str(exc), code="rag_error")

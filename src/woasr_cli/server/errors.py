"""HTTP errors: library errors mapped to status codes in one table, rendered in one place.

The original API's envelope is FastAPI's ``{"detail": ...}``; the OpenAI-compatible routes
(``/v1/...``) answer ``{"error": {"message", "type", "param", "code"}}`` as OpenAI does, which
its SDK turns into the matching exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from woasr_cli.errors import (
    InputError,
    ManifestError,
    ModelNotFound,
    ProviderUnavailable,
    UsageError,
    WoasrError,
    reason,
)
from woasr_cli.model_pool import ModelsBusy
from woasr_cli.server.jobs import Conflict, NotFound, QueueFull
from woasr_cli.server.uploads import NotMedia

RETRY_AFTER_S = 5

# Most specific first.
_STATUS: tuple[tuple[type[WoasrError], int], ...] = (
    (NotFound, 404),
    (QueueFull, 503),
    (ModelsBusy, 503),
    (Conflict, 409),
    (NotMedia, 415),
    (ModelNotFound, 400),
    (ProviderUnavailable, 400),
    (UsageError, 400),
    (InputError, 400),
    (ManifestError, 500),
)


class HTTPProblem(Exception):
    """An error with its status, raised by the routes; ``detail`` as FastAPI would send it."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(detail))
        self.status = status
        self.detail = detail
        self.headers = headers


def status_for(exc: WoasrError) -> int:
    return next((code for cls, code in _STATUS if isinstance(exc, cls)), 500)


def render(request: Request, status: int, detail: Any, headers: dict[str, str] | None = None
           ) -> JSONResponse:  # fmt: skip
    if status == 503:
        headers = {**(headers or {}), "Retry-After": str(RETRY_AFTER_S)}
    if status == 415 and request.url.path.startswith("/v1/"):
        status = 400  # as OpenAI answers a file it cannot read: the SDK's BadRequestError
    body = envelope(request.url.path, status, detail)
    return JSONResponse(body, status_code=status, headers=headers)


def envelope(path: str, status: int, detail: Any) -> dict[str, Any]:
    """The error body for a request to ``path``: OpenAI's under ``/v1/``, FastAPI's
    ``{"detail": ...}`` elsewhere (also for the answers of the ASGI layers: 401, 413)."""
    if not path.startswith("/v1/"):
        return {"detail": detail}
    param = None
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        loc = [str(p) for p in detail[0].get("loc", ()) if p not in ("body", "query")]
        param = ".".join(loc) or None
        message = f"{param}: {detail[0].get('msg')}" if param else str(detail[0].get("msg"))
    else:
        message = str(detail)
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": status}}


def install(app: FastAPI) -> None:
    async def woasr_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, WoasrError)
        # the message alone: an input's path here is the server's own file of the upload
        return render(request, status_for(exc), reason(exc))

    async def problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPProblem)
        return render(request, exc.status, exc.detail, exc.headers)

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        detail = [_shown_error(e) for e in exc.errors()]
        return render(request, 422, _jsonable(detail))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return render(request, exc.status_code, exc.detail, dict(exc.headers or {}) or None)

    app.add_exception_handler(WoasrError, woasr_error)
    app.add_exception_handler(HTTPProblem, problem)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)


INPUT_SHOWN = 200  # characters of a refused value echoed back in a 422


def _shown_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """A validation error as the client gets it: without ``ctx``, and with at most
    ``INPUT_SHOWN`` characters of the value refused (a file sent as a plain form field came
    back whole, escaped: 1 MB for a 350 kB WAV), and saying how to send a file."""
    out = {k: v for k, v in error.items() if k != "ctx"}
    value = out.get("input")
    shown = value if isinstance(value, str | bytes) else json.dumps(_jsonable(value))
    if len(shown) > INPUT_SHOWN:  # a list or an object as much as a string
        out["input"] = f"{shown[:INPUT_SHOWN]!r}... ({len(shown)} characters in all)"
    if "Expected UploadFile" in str(out.get("msg", "")):
        field = str((out.get("loc") or ("", "files"))[-1])
        out["msg"] = f"expected a file: send it as a file part (curl -F '{field}=@talk.mp3')"
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)

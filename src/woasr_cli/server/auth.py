"""Bearer-token auth: with an API key, every route but ``/health`` needs it (pure ASGI); the web
page and its static files load without it (the key is typed into the page), and so do the API's
description and its pages (``/docs``, ``/redoc``, ``/openapi.json``: no data)."""

from __future__ import annotations

import hmac
import json

from starlette.types import ASGIApp, Receive, Scope, Send

from woasr_cli.server.api_docs import is_open
from woasr_cli.server.errors import envelope
from woasr_cli.server.page import is_public

# /v1/stream checks the key itself: browsers cannot set headers on a WebSocket, so it also
# takes ?api_key= or a key in the first message.
OPEN_PATHS = frozenset({"/health", "/v1/stream"})


class BearerAuth:
    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self._key = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        if (
            scope["type"] not in ("http", "websocket")
            or scope["path"] in OPEN_PATHS
            or is_public(scope["path"], headers.get(b"accept", b"").decode("latin-1"))
            or is_open(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        if self._authorised(headers):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        detail = "missing or wrong API key (Authorization: Bearer <key>)"
        body = json.dumps(envelope(scope["path"], 401, detail))
        await send({
            "type": "http.response.start",
            "status": 401,
            "headers": [(b"content-type", b"application/json"),
                        (b"www-authenticate", b"Bearer")],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": body.encode()})

    def _authorised(self, headers: dict[bytes, bytes]) -> bool:
        value = headers.get(b"authorization", b"")
        scheme, _, token = value.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self._key)

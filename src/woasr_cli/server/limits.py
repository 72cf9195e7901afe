"""Request body limit (pure ASGI): 413 past ``--max-upload-mb`` before the body is stored.

A declared ``Content-Length`` over the limit is answered at once, before any body is read; a
chunked body is counted as it arrives and cut off at the limit, so the multipart parser never
spools more than the limit to disk.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from woasr_cli.server.errors import envelope


class _TooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, scope["path"])
            return
        seen = 0
        started = over = False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    over = True
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if over:
                # The app's own answer to the cut-off body (FastAPI's form parser turns any
                # error into 400 "There was an error parsing the body"): 413 instead.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._refuse(send, scope["path"])
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await self._refuse(send, scope["path"])

    async def _refuse(self, send: Send, path: str) -> None:
        mb = self.max_bytes / (1024 * 1024)
        detail = f"request body over the limit of {mb:g} MB"
        body = json.dumps(envelope(path, 413, detail)).encode()
        await send({
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": body})

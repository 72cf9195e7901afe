"""A tiny OpenAI-compatible endpoint on 127.0.0.1 that answers from a script.

Each POST gets the next scripted ``(status, headers, json body)``; every request is recorded
(path, headers, raw body, time) so tests can check what the client sent and when.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, str], dict[str, Any] | str]  # a str goes as text/plain


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float


@dataclass
class ScriptedEndpoint:
    replies: list[Reply]
    received: list[Received] = field(default_factory=list)
    base_url: str = ""
    delay_s: float = 0.0  # wait this long before each answer
    in_flight: int = 0
    most_in_flight: int = 0  # the most requests being answered at one time
    lock: threading.Lock = field(default_factory=threading.Lock)

    def field(self, index: int, name: str) -> list[str]:
        """The values of multipart form field ``name`` in request ``index``."""
        marker = f'name="{name}"'.encode()
        values = []
        for part in self.received[index].body.split(b"\r\n--"):
            head, _, value = part.partition(b"\r\n\r\n")
            if marker in head and b"filename=" not in head:
                values.append(value.rstrip(b"\r\n").decode())
        return values


@contextmanager
def scripted_endpoint(replies: list[Reply], delay_s: float = 0.0) -> Iterator[ScriptedEndpoint]:
    endpoint = ScriptedEndpoint(list(replies), delay_s=delay_s)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            endpoint.received.append(Received(self.path, headers, body, time.monotonic()))
            status, reply_headers, payload = (
                endpoint.replies.pop(0) if endpoint.replies else (500, {}, {"error": "no reply"})
            )
            with endpoint.lock:
                endpoint.in_flight += 1
                endpoint.most_in_flight = max(endpoint.most_in_flight, endpoint.in_flight)
            time.sleep(endpoint.delay_s)
            with endpoint.lock:
                endpoint.in_flight -= 1
            plain = isinstance(payload, str)
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if plain else "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in reply_headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()

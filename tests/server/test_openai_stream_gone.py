"""``stream=true`` on ``/v1/audio/transcriptions`` from a client that goes away before the
first event: its upload in ``<data>/tmp`` is deleted (the stream's own cleanup never ran when
the response was cancelled before the stream started, one file left per such request)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'woasr[serve]'")

from fastapi.testclient import TestClient

from woasr_cli.server import ServerSettings, create_app


def _multipart(audio: bytes) -> tuple[bytes, str]:
    b = uuid.uuid4().hex
    body = (
        (
            f'--{b}\r\nContent-Disposition: form-data; name="model"\r\n\r\ntiny.en\r\n'
            f'--{b}\r\nContent-Disposition: form-data; name="stream"\r\n\r\ntrue\r\n'
            f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="jfk.wav"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + audio
        + f"\r\n--{b}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={b}"


async def _post_and_leave(app: Any, body: bytes, content_type: str) -> list[dict[str, Any]]:
    """The whole request, then the client is gone (as uvicorn reports a closed connection)."""
    import anyio

    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": body, "more_body": False},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await anyio.sleep_forever()
        raise AssertionError

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        await anyio.sleep(0)  # a server's send waits for its transport: a checkpoint
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/v1/audio/transcriptions", "raw_path": b"/v1/audio/transcriptions",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "headers": [(b"content-type", content_type.encode()),
                    (b"content-length", str(len(body)).encode()), (b"host", b"test")],
    }  # fmt: skip
    await app(scope, receive, send)
    return sent


def test_a_stream_left_before_its_first_event_leaves_no_upload(
    tmp_path: Path, shared_audio: Path
) -> None:
    app = create_app(ServerSettings(data_dir=tmp_path, default_model="tiny.en"))
    body, content_type = _multipart((shared_audio / "jfk.wav").read_bytes())
    with TestClient(app) as client:
        for _ in range(3):
            client.portal.call(_post_and_leave, app, body, content_type)  # type: ignore[union-attr]
        deadline = time.monotonic() + 15
        while list((tmp_path / "tmp").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert list((tmp_path / "tmp").iterdir()) == []

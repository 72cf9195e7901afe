"""A WebSocket client that leaves while its stream's pass runs: its slot is held for that pass
(it cannot be stopped midway: a worker thread, the CPU and the model are still busy with it),
then freed, and no other pass runs for it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from woasr_cli.media.decode import decode_audio
from woasr_cli.options import TranscribeOptions

pytest.importorskip("fastapi", reason="needs pip install 'woasr[serve]'")
pytest.importorskip("faster_whisper", reason="needs faster-whisper (pip install woasr)")

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from woasr_cli.live import ws as ws_module
from woasr_cli.live.processor import LiveProcessor


class GatedPasses:
    """Records the calls on each stream's (real) processor and holds each at a gate the test
    opens, so that a pass is surely running when the client leaves."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.streams: list[list[str]] = []

    @property
    def calls(self) -> list[str]:
        """The first stream's."""
        return self.streams[0] if self.streams else []

    def wrap(self, processor: LiveProcessor) -> LiveProcessor:
        feed, finish = processor.feed, processor.finish
        calls: list[str] = []
        self.streams.append(calls)

        def gated(name: str, call: Any) -> Any:
            def run(*args: Any) -> Any:
                calls.append(name)
                assert self.gate.wait(60)
                return call(*args)

            return run

        processor.feed = gated("feed", feed)  # type: ignore[method-assign]
        processor.finish = gated("finish", finish)  # type: ignore[method-assign]
        return processor

    def wait_for_call(self) -> None:
        deadline = time.monotonic() + 30
        while not self.calls and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.calls, "no pass started"


@pytest.fixture
def gated(
    tiny_en: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, GatedPasses]]:
    del tiny_en
    passes = GatedPasses()
    real_open = ws_module.open_processor

    def open_processor(*args: Any, **kwargs: Any) -> LiveProcessor:
        return passes.wrap(real_open(*args, **kwargs))

    monkeypatch.setattr(ws_module, "open_processor", open_processor)
    app = FastAPI()
    app.include_router(ws_module.stream_router(TranscribeOptions(model="tiny.en"), max_streams=1))
    try:
        yield TestClient(app), passes
    finally:
        passes.gate.set()


def pcm(path: Path, seconds: float) -> bytes:
    audio = decode_audio(path)[: round(seconds * 16000)]
    return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()


def refused(client: TestClient, gate: threading.Event | None = None) -> bool:
    """Whether a new stream is refused (1013) now; one that is let in ends at once, or, with
    ``gate`` (a pass of the first stream held there), once the gate opens 5 s later: the
    stream let in waits for the worker thread that pass holds."""
    opener = threading.Timer(5, gate.set) if gate is not None else None
    if opener is not None:
        opener.start()
    try:
        return _refused(client)
    finally:
        if opener is not None:
            opener.cancel()


def _refused(client: TestClient) -> bool:
    with client.websocket_connect("/v1/stream") as ws:
        ws.send_text(json.dumps({"sample_rate": 16000}))
        ws.send_text(json.dumps({"type": "end"}))
        try:
            message = json.loads(ws.receive_text())
        except WebSocketDisconnect as closed:
            assert closed.code == 1000
            return False
    assert message["type"] == "error", message
    return "at the limit of 1 streams" in message["message"]


def freed(client: TestClient) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not refused(client):
            return True
        time.sleep(0.1)
    return False


def test_a_client_gone_after_end_gets_no_more_passes_and_frees_its_slot(
    gated: tuple[TestClient, GatedPasses], shared_audio: Path
) -> None:
    """A client sends its audio and "end", then leaves before its text came (a page closed,
    a client with a timeout). The receiving task stopped at "end", so the leaving went unseen:
    every pass still due ran for no one (the last one over the whole tail), the slot held all
    the while, and a client that came next was refused with 1013."""
    client, passes = gated
    with client.websocket_connect("/v1/stream") as ws:
        ws.send_text(json.dumps({"sample_rate": 16000}))
        ws.send_bytes(pcm(shared_audio / "jfk.flac", 0.3))  # less than a pass's worth
        ws.send_text(json.dumps({"type": "end"}))
        passes.wait_for_call()
        ws.close(1000)  # gone while its first call runs
        time.sleep(0.5)
        assert refused(client, passes.gate)  # the pass under way holds the slot
        passes.gate.set()
        assert freed(client)
    assert passes.calls == ["feed"]  # no finish: nobody to send the tail to


def test_a_client_gone_mid_stream_holds_its_slot_until_its_pass_ends(
    gated: tuple[TestClient, GatedPasses], shared_audio: Path
) -> None:
    """A client that leaves mid-stream freed its slot at once while its pass went on in the
    worker thread: the next stream was let in to wait behind it, its model given back to the
    pool (to be unloaded) while a pass still ran on it."""
    client, passes = gated
    with client.websocket_connect("/v1/stream") as ws:
        ws.send_text(json.dumps({"sample_rate": 16000}))
        ws.send_bytes(pcm(shared_audio / "jfk.flac", 2.0))
        passes.wait_for_call()
        ws.close(1000)
        time.sleep(0.5)
        assert refused(client, passes.gate)
        passes.gate.set()
        assert freed(client)
    assert "finish" not in passes.calls

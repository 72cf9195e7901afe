"""``woasr serve`` stopped (SIGTERM) while a client streams: the stream ends as at the client's
"end" - its tail committed and sent, then the normal close - before the server goes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from woasr_cli.media.decode import decode_audio

pytest.importorskip("fastapi", reason="needs pip install 'woasr[serve]'")
pytest.importorskip("websockets", reason="needs pip install 'woasr[serve]'")

import websockets
from serving import Server


async def stream_until_stopped(server: Server, audio: np.ndarray) -> dict[str, Any]:
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    frames = [pcm[i : i + 6400] for i in range(0, len(pcm), 6400)]  # 200 ms
    events: list[dict[str, Any]] = []
    signalled_at: int | None = None  # events received before the signal
    url = f"ws://127.0.0.1:{server.port}/v1/stream"
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"sample_rate": 16000}))

        async def read() -> None:
            with contextlib.suppress(websockets.ConnectionClosed):
                async for message in ws:
                    events.append(json.loads(message))

        reader = asyncio.create_task(read())
        try:
            for sent, frame in enumerate(frames, 1):
                await ws.send(frame)
                await asyncio.sleep(0.2)
                pending = events and events[-1]["type"] == "partial" and events[-1]["text"]
                if signalled_at is None and sent >= 20 and pending:  # words not yet committed
                    signalled_at = len(events)
                    server.proc.send_signal(signal.SIGTERM)
        except websockets.ConnectionClosed:
            pass
        await asyncio.wait_for(reader, 30)
    assert signalled_at is not None, events
    return {"code": ws.close_code, "events": events, "before": signalled_at}


def test_a_stream_gets_its_tail_when_the_server_stops(
    tiny_en: Path, shared_audio: Path, tmp_path: Path
) -> None:
    """The server closed every stream with 1012 at once: the words heard but not yet
    committed ("what your country" after "ask not") were lost."""
    del tiny_en
    server = Server(tmp_path)
    try:
        audio = np.tile(decode_audio(shared_audio / "jfk.flac"), 2)  # room for a slow start
        result = asyncio.run(stream_until_stopped(server, audio))
        started = time.monotonic()
        server.proc.wait(30)
        assert time.monotonic() - started < 10
    finally:
        server.stop()
    after = result["events"][result["before"] :]
    tail = " ".join(e["text"] for e in after if e["type"] == "final")
    assert result["code"] == 1000, (result["code"], result["events"][-3:])
    assert tail.strip(), result["events"]

"""A busy server: how long a client waits while a job transcribes a long recording.

    python benchmarks/serve_busy.py [--minutes 60] [--requests 6] [--model tiny.en]

``woasr serve`` on loopback, one process. Three phases, each timed:

1. idle: ``--requests`` posts of jfk.wav to ``/v1/audio/transcriptions`` (``--gap`` s apart), and
   one live stream of four shared clips (58 s) played at real-time pace into ``/v1/stream``;
2. the job alone: a ``--minutes`` recording (``long_recording.py``'s, cached in ``--cache``)
   through the job API, upload to completion;
3. busy: the same job again, and while it runs the same posts, then the same stream.

Printed: each post's wait (idle and busy), the live stream's committed-word latency (word end
in the audio -> its ``final`` event), and the job's wall alone and beside the requests. No
target of an issue: what a user of a shared server waits, measured (docs/performance.md, issue
13, session 35). Bounded: ``--requests`` posts, one stream, two jobs; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import corpus  # noqa: E402
from serve_load import SHARED, serving  # noqa: E402

STREAM_CLIPS = ("jfk.wav", "pyannote_sample.wav", "librispeech_1272-128104-0000.wav",
                "synth/hibari_en_1.wav")  # fmt: skip


def post_clip(url: str, model: str) -> float:
    """Seconds one post of jfk.wav to the OpenAI-compatible route took."""
    started = time.monotonic()
    r = httpx.post(url + "/v1/audio/transcriptions", timeout=300, data={"model": model},
                   files={"file": ("jfk.wav", (SHARED / "jfk.wav").read_bytes())})  # fmt: skip
    assert r.status_code == 200 and "country" in r.json()["text"], r.text[:200]
    return time.monotonic() - started


def posts(url: str, model: str, count: int, gap: float) -> list[float]:
    waits = []
    for _ in range(count):
        waits.append(post_clip(url, model))
        time.sleep(gap)
    return waits


async def _stream(url: str, model: str) -> list[float]:
    import websockets

    audio = np.concatenate(
        [np.concatenate([corpus.load(c), np.zeros(2 * corpus.RATE, np.float32)])
         for c in STREAM_CLIPS]
    )  # fmt: skip
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    step = corpus.RATE // 10  # 100 ms frames
    latencies: list[float] = []
    async with websockets.connect(url.replace("http", "ws", 1) + "/v1/stream", max_size=None) as ws:
        await ws.send(json.dumps({"model": model, "language": "en", "sample_rate": corpus.RATE}))
        started = time.monotonic()

        async def send() -> None:
            for at in range(0, len(audio), step):
                due = started + (at + step) / corpus.RATE
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                await ws.send(pcm[2 * at : 2 * (at + step)])
            await ws.send(json.dumps({"type": "end"}))

        sender = asyncio.create_task(send())
        async for message in ws:
            event = json.loads(message)
            if event.get("type") == "final" and not sender.done():  # the tail's flush aside
                now = time.monotonic() - started
                latencies += [now - w["end"] for w in event.get("words", [])]
        await sender
    return latencies


def stream(url: str, model: str) -> list[float]:
    return asyncio.run(_stream(url, model))


def job(url: str, path: Path, model: str) -> tuple[str, float]:
    """Start a job on ``path``; (its id, the monotonic time its upload began)."""
    started = time.monotonic()
    with path.open("rb") as f:
        up = httpx.post(url + "/api/v1/upload", files=[("files", (path.name, f))], timeout=300)
    body = {"file_ids": up.json()["file_ids"], "model_size": model, "language": "en",
            "output_formats": ["srt"]}  # fmt: skip
    return httpx.post(url + "/api/v1/transcribe", json=body).json()["job_id"], started


def wait_done(url: str, job_id: str) -> float:
    while True:
        state = httpx.get(f"{url}/api/v1/transcribe/jobs/{job_id}").json()
        if state["status"] in ("completed", "failed", "cancelled"):
            assert state["status"] == "completed", state
            return time.monotonic()
        time.sleep(0.25)


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: none"
    p95 = float(np.percentile(values, 95))
    return (f"{name}: median {statistics.median(values):.2f} s, p95 {p95:.2f} s, "
            f"max {max(values):.2f} s ({len(values)})")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--requests", type=int, default=6)
    parser.add_argument("--gap", type=float, default=8.0, help="seconds between posts")
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/woasr-bench"))
    args = parser.parse_args()
    recording = args.cache / f"recording_{args.minutes:g}min.flac"
    corpus.build_recording(recording, args.minutes)
    data = Path(tempfile.mkdtemp(prefix="woasr-serve-busy-")) / "data"
    with serving(data, args.model) as (url, _):
        post_clip(url, args.model)  # the model loaded before anything is timed
        idle = posts(url, args.model, args.requests, 1.0)
        idle_stream = stream(url, args.model)
        job_id, started = job(url, recording, args.model)
        alone = wait_done(url, job_id) - started
        job_id, started = job(url, recording, args.model)
        time.sleep(5.0)  # into the job's decoding
        busy = posts(url, args.model, args.requests, args.gap)
        busy_stream = stream(url, args.model)
        beside = wait_done(url, job_id) - started
    print(f"server with {args.model}; job: {recording.name}")
    print(summary("posts of jfk.wav, idle", idle))
    print(summary("posts of jfk.wav, beside the job", busy), [round(w, 2) for w in busy])
    print(summary("live stream word latency, idle", idle_stream))
    print(summary("live stream word latency, beside the job", busy_stream))
    print(f"job wall: alone {alone:.1f} s, beside the posts and the stream {beside:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

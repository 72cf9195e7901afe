"""A real ``woasr serve`` on loopback: the original's curl flow, the ``openai`` SDK, and a
``kill -9`` mid-job followed by a restart that resumes from the checkpoint."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import srt
import webvtt

from woasr_cli.jobs.manifest import Manifest

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'woasr[serve]'")
pytest.importorskip("prometheus_client", reason="needs the serve extra: pip install 'woasr[serve]'")

from serving import REPO, Server, make_long_wav, wait_job

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def long_wav(shared_audio: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_long_wav(shared_audio, tmp_path_factory.mktemp("long"))


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(data_dir: Path, *extra: str) -> Server:
        server = Server(data_dir, *extra)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def curl(*args: str) -> str:
    out = subprocess.run(["curl", "-sS", "--fail-with-body", *args], capture_output=True,
                         text=True, check=True, timeout=120)  # fmt: skip
    return out.stdout


def cli_outputs(audio: Path, out: Path, *formats: str) -> dict[str, str]:
    """``woasr transcribe`` outputs; a ``--flag`` among ``formats`` and what follows it are
    passed on as options."""
    env = {"PYTHONPATH": str(REPO / "src")}
    split = next((i for i, f in enumerate(formats) if f.startswith("--")), len(formats))
    formats, extra = formats[:split], formats[split:]
    flags = [f for fmt in formats for f in ("-f", fmt)]
    subprocess.run(
        [sys.executable, "-m", "woasr_cli", "transcribe", str(audio), "-o", str(out),
         "--model", "tiny.en", "--language", "en", *flags, *extra],
        check=True, timeout=300, capture_output=True, env={**__import__("os").environ, **env},
    )  # fmt: skip
    return {fmt: (out / f"{audio.stem}.{fmt}").read_text(encoding="utf-8") for fmt in formats}


def test_curl_flow_matches_the_cli(
    start_server: Callable[..., Server], tmp_path: Path, shared_audio: Path
) -> None:
    server = start_server(tmp_path / "data")
    jfk = shared_audio / "jfk.wav"
    # curl sends application/octet-stream for a .wav: the original refused it.
    uploaded = json.loads(curl("-F", f"files=@{jfk}", f"{server.url}/api/v1/upload"))
    body = {
        "file_ids": uploaded["file_ids"], "model_type": "faster_whisper",
        "model_size": "tiny.en", "language": "en", "output_formats": ["srt", "vtt"],
    }  # fmt: skip
    job = json.loads(curl("-H", "Content-Type: application/json", "-d", json.dumps(body),
                          f"{server.url}/api/v1/transcribe"))  # fmt: skip
    done = wait_job(lambda p: httpx.get(server.url + p), job["job_id"])
    assert done["status"] == "completed", done
    got = {f: curl(f"{server.url}/api/v1/results/{job['job_id']}/{f}") for f in ("srt", "vtt")}
    want = cli_outputs(jfk, tmp_path / "cli", "srt", "vtt")
    assert got == want
    subs = list(srt.parse(got["srt"]))
    assert len(subs) >= 2 and "ask not what your country" in " ".join(s.content for s in subs)
    cues = webvtt.from_buffer(io.StringIO(got["vtt"]))
    assert [c.text for c in cues] == [s.content for s in subs]


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # translations.create
def test_openai_sdk(
    start_server: Callable[..., Server], tmp_path: Path, shared_audio: Path, long_wav: Path
) -> None:
    openai = pytest.importorskip("openai", reason="needs the openai SDK")
    server = start_server(tmp_path / "data", "--api-key", "k1")
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="k1", max_retries=0)
    jfk = shared_audio / "jfk.wav"
    audio = client.audio.transcriptions
    plain = audio.create(model="whisper-1", file=jfk.open("rb"))
    assert "ask not what your country can do for you" in plain.text
    text = audio.create(model="tiny.en", file=jfk.open("rb"), response_format="text")
    assert isinstance(text, str) and text.strip() == plain.text
    subs = audio.create(model="whisper-1", file=jfk.open("rb"), response_format="srt")
    assert " ".join(" ".join(s.content.split()) for s in srt.parse(subs)) == plain.text
    vtt = audio.create(model="whisper-1", file=jfk.open("rb"), response_format="vtt")
    cues = webvtt.from_buffer(io.StringIO(vtt))
    assert " ".join(" ".join(c.text.split()) for c in cues) == plain.text  # lines of a cue too
    verbose = audio.create(
        model="whisper-1", file=jfk.open("rb"), response_format="verbose_json",
        timestamp_granularities=["word", "segment"], language="en", temperature=0.0,
    )  # fmt: skip
    assert verbose.language == "en" and verbose.duration == pytest.approx(11.0, abs=0.1)
    assert verbose.segments and verbose.segments[-1].end <= verbose.duration
    assert verbose.words and verbose.words[0].word.strip().lower() == "and"
    assert next(m.id for m in client.models.list().data) == "whisper-1"
    with pytest.raises(openai.BadRequestError, match="English-only"):
        client.audio.translations.create(model="tiny.en", file=jfk.open("rb"))
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=server.url + "/v1", api_key="bad").models.list()
    # stream=true: the first delta arrives while the rest of the file is still being decoded.
    started = time.monotonic()
    arrivals: list[tuple[float, str]] = []
    for event in audio.create(model="whisper-1", file=long_wav.open("rb"), stream=True):
        arrivals.append((time.monotonic() - started, event.type))
        if event.type == "transcript.text.done":
            done_text = event.text
    kinds = [k for _, k in arrivals]
    assert kinds[-1] == "transcript.text.done" and kinds.count("transcript.text.delta") >= 2
    first_delta, finished = arrivals[0][0], arrivals[-1][0]
    assert first_delta < 0.8 * finished, arrivals
    assert "ask not what your country" in done_text


def checkpointed(manifest_path: Path) -> tuple[int, float]:
    """The segments a job has checkpointed (whole windows) and its progress, read from the
    manifest as any other process would."""
    if not manifest_path.exists():
        return 0, 0.0
    with Manifest.open(manifest_path) as manifest:
        rows = manifest.jobs()
        if not rows:
            return 0, 0.0
        segments, done = manifest.checkpoints(rows[0].id)
    return len(segments), done


def test_kill_9_mid_job_resumes_to_the_uninterrupted_output(
    start_server: Callable[..., Server], tmp_path: Path, shared_audio: Path
) -> None:
    """Killed after its first window was checkpointed, restarted: the job resumes there and its
    srt, vtt and txt are byte for byte the CLI's uninterrupted run's. Sequential decoding
    (``batch_size: 1``), where the result depends only on the window, and a resumed run decodes
    the same windows; batched decoding may move a timestamp or a word with what shares its
    batches, so it is not reproducible even uninterrupted (docs/server.md, "Restarts")."""
    audio = make_long_wav(shared_audio, tmp_path, repeats=3)  # ~145 s: three 60 s windows
    data = tmp_path / "data"
    server = start_server(data)
    get = lambda p: httpx.get(server.url + p)  # noqa: E731
    (fid,) = httpx.post(
        server.url + "/api/v1/upload", files=[("files", ("long.wav", audio.read_bytes()))]
    ).json()["file_ids"]
    body = {"file_ids": [fid], "model_size": "tiny.en", "language": "en",
            "parameters": {"batch_size": 1}, "output_formats": ["txt", "srt", "vtt"]}  # fmt: skip
    job_id = httpx.post(server.url + "/api/v1/transcribe", json=body).json()["job_id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and checkpointed(data / "manifest.sqlite")[0] == 0:
        time.sleep(0.05)
    job = get(f"/api/v1/transcribe/jobs/{job_id}").json()
    assert job["status"] == "processing" and 0 < job["done_seconds"] < job["total_seconds"], job
    server.kill9()
    saved, _ = checkpointed(data / "manifest.sqlite")
    restarted = start_server(data)
    done = wait_job(lambda p: httpx.get(restarted.url + p), job_id)
    assert done["status"] == "completed" and done["progress"] == 100
    with Manifest.open(data / "manifest.sqlite") as manifest:
        (row,) = manifest.jobs()
    assert row.attempts == 2 and row.resumed_from > 0  # resumed, not started over
    results = f"{restarted.url}/api/v1/results/{job_id}"
    got = {f: httpx.get(f"{results}/{f}").text for f in ("txt", "srt", "vtt")}
    want = cli_outputs(audio, tmp_path / "cli", "txt", "srt", "vtt", "--batch-size", "1")
    assert got == want
    assert 0 < saved < len(list(srt.parse(got["srt"])))  # some of it was really resumed
    # Finished work is never redone: another restart leaves the job as it is.
    restarted.stop()
    again = start_server(data)
    assert httpx.get(f"{again.url}/api/v1/transcribe/jobs/{job_id}").json()["status"] == "completed"
    with Manifest.open(data / "manifest.sqlite") as manifest:
        assert manifest.jobs()[0].attempts == 2


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_stopped_mid_job_the_server_exits_cleanly(
    start_server: Callable[..., Server], tmp_path: Path, dense_speech: Path, signal_name: str
) -> None:
    """A service manager's SIGTERM (or Ctrl-C) while batches are inside the engine: the server
    waits for them and exits as uvicorn does after a graceful shutdown (0, or by the signal it
    was sent, re-raised), not by SIGSEGV/SIGABRT (Ctrl-C: 2 of 2 tries before). Its job is
    resumed by the next start (test_kill_9_mid_job_resumes_to_the_uninterrupted_output)."""
    import signal

    data = tmp_path / "data"
    server = start_server(data)
    (fid,) = httpx.post(
        server.url + "/api/v1/upload", files=[("files", ("long.wav", dense_speech.read_bytes()))]
    ).json()["file_ids"]
    job_id = httpx.post(server.url + "/api/v1/transcribe", json={"file_ids": [fid]}).json()[
        "job_id"
    ]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = httpx.get(f"{server.url}/api/v1/transcribe/jobs/{job_id}").json()
        if job["status"] == "processing":
            break
        time.sleep(0.1)
    time.sleep(3.0)  # batches of the first window are inside the engine
    job = httpx.get(f"{server.url}/api/v1/transcribe/jobs/{job_id}").json()
    assert job["status"] == "processing", job
    # A browser's progress stream stays open: it held the shutdown for uvicorn's 10 s of
    # grace, the file decoding on meanwhile, and ended with "Cancel 1 running task(s)".
    events = threading.Thread(
        target=_read_events, args=(f"{server.url}/api/v1/transcribe/jobs/{job_id}/events",),
        daemon=True,
    )  # fmt: skip
    events.start()
    time.sleep(0.5)
    sent = getattr(signal, signal_name)
    signalled = time.monotonic()
    before = _cpu_seconds(server.proc.pid)
    server.proc.send_signal(sent)
    # Counted in the server's CPU after the signal, not wall time (on a loaded machine the
    # batches in hand take many seconds of it): the batches in hand, not the ~7 minutes of
    # speech left (~60 CPU-s and more).
    used = 0.0
    while server.proc.poll() is None:
        with contextlib.suppress(OSError, IndexError):  # gone between poll and read
            used = _cpu_seconds(server.proc.pid) - before
        assert time.monotonic() - signalled < 60, "still running a minute after the signal"
        time.sleep(0.1)
    assert server.proc.returncode in (0, -sent), server.proc.stderr.read()  # type: ignore[union-attr]
    stderr = server.proc.stderr.read().decode()  # type: ignore[union-attr]
    assert used < 16 and "graceful shutdown exceeded" not in stderr, (used, stderr)


def _read_events(url: str) -> None:
    with contextlib.suppress(httpx.HTTPError), httpx.stream("GET", url, timeout=60) as r:
        for _ in r.iter_lines():
            pass


def test_a_direct_request_stops_when_its_client_goes(
    start_server: Callable[..., Server], tmp_path: Path, long_wav: Path
) -> None:
    """A client of ``/v1/audio/transcriptions`` that timed out (the SDK then retries twice):
    the server went on to the end of the file for nobody, on both cores. Now the work stops
    within a second or two of the disconnect."""
    import numpy as np
    import soundfile as sf

    longer = tmp_path / "longer.wav"  # ~20 minutes: ~45 s of decoding left at the disconnect
    samples, rate = sf.read(long_wav, dtype="int16")
    sf.write(longer, np.tile(samples, 3), rate, subtype="PCM_16")
    server = start_server(tmp_path / "data")
    with pytest.raises(httpx.TimeoutException):
        httpx.post(server.url + "/v1/audio/transcriptions",
                   files={"file": ("long.wav", longer.read_bytes())},
                   data={"model": "whisper-1"}, timeout=4)  # fmt: skip
    # Idle (under 0.3 CPU-s in 2 s) after at most 20 CPU-s more: the window in hand; the rest
    # of the file took ~45 s more on both cores (~90 CPU-s). Counted in the server's CPU, not
    # wall time: on a loaded machine the window in hand takes many seconds of wall time.
    gone = time.monotonic()
    start = before = _cpu_seconds(server.proc.pid)
    while True:
        time.sleep(2)
        now = _cpu_seconds(server.proc.pid)
        if now - before < 0.3:
            break
        before = now
        assert now - start < 20, "still decoding for a client that went away"
        assert time.monotonic() - gone < 120, "still busy two minutes after the client went"
    assert httpx.get(server.url + "/health").json()["status"] == "healthy"


def _cpu_seconds(pid: int) -> float:
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

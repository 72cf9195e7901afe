"""Helpers of the server tests (tests/server): a real ``woasr serve`` process on a free loopback
port, a ~75 s recording made of the shared clips, and waiting for a job to finish."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
CLIPS = ("jfk.wav", "librispeech_1272-128104-0000.wav", "pyannote_sample.wav")


def make_long_wav(shared_audio: Path, folder: Path, repeats: int = 8) -> Path:
    """About 6.5 minutes of real speech: the shared clips one after another, 8 times, with
    pauses (long enough that a job is still running when its first checkpoint is written:
    several 60 s windows of one file decode at once); ``repeats=3``: about 2.5 minutes, three
    windows."""
    import soundfile as sf

    from woasr_cli.media import decode_audio

    pause = np.zeros(8000, dtype=np.float32)
    parts = [
        p for _ in range(repeats) for c in CLIPS for p in (decode_audio(shared_audio / c), pause)
    ]
    path = folder / "long.wav"
    sf.write(path, np.concatenate(parts), 16000, subtype="PCM_16")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "woasr_cli", "serve", "--port", str(self.port),
             "--data-dir", str(data_dir), "--model", "tiny.en", *extra],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"woasr serve exited: {self.proc.stderr.read()!r}")  # type: ignore[union-attr]
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("woasr serve did not answer /health in 90 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill9(self) -> None:
        self.proc.kill()
        self.proc.wait()


def wait_job(get: Callable[[str], httpx.Response], job_id: str, timeout: float = 180) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = get(f"/api/v1/transcribe/jobs/{job_id}").json()
        if job["status"] in ("completed", "failed", "cancelled"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {job}")

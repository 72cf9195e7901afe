"""A real ``woasr serve`` subprocess on 127.0.0.1 (a free port), for tests that need one."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def need_serve_extra() -> None:
    for module in ("fastapi", "uvicorn", "multipart"):
        pytest.importorskip(module, reason="needs pip install 'woasr[serve]'")


@contextmanager
def woasr_serve(data_dir: Path, *args: str, ready_s: float = 60.0) -> Iterator[Server]:
    """Start ``woasr serve`` and wait until ``/health`` answers; stop it afterwards."""
    need_serve_extra()
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    log = data_dir.parent / f"serve-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "woasr_cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(data_dir), *args],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + ready_s
        while True:
            if process.poll() is not None:
                raise AssertionError(f"woasr serve exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(server.url + "/health", timeout=2) as response:
                    json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"not ready: {log.read_text()[-2000:]}") from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

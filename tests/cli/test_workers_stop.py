"""``--workers`` processes stop with the batch: SIGTERM to the parent or to its process group
(``timeout``, systemd, CI runners), a second Ctrl-C. A worker whose engine holds it (a
CTranslate2 batch: 20 s and more on one loaded core) cannot see the parent's stop request; it
must not go on past the parent's exit, still writing to the manifest.

Judged by CPU, not wall time (the machine may be loaded): a worker may spend at most
``AFTER_PARENT_CPU_S`` CPU-seconds once its parent has exited; before the fix each went on
spinning in its engine."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).parents[2]
SRC = str(REPO / "src")
DRIVER = Path(__file__).with_name("stuck_engine_cli.py")
CLIPS = ("jfk.wav", "librispeech_1272-128104-0000.wav")
AFTER_PARENT_CPU_S = 5.0
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """CPU time a live (not zombie) process has used; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    if fields[0] in ("Z", "X"):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def transcribe_args(media: Path, out: Path) -> list[str]:
    return ["transcribe", str(media), "-o", str(out), "--json", "--model", "tiny.en",
            "--workers", "2", "--batch-size", "1", "--threads", "1"]  # fmt: skip


def wait_until(
    done: Callable[[], bool], what: str, proc: subprocess.Popen[str], limit_s: float
) -> None:
    deadline = time.monotonic() + limit_s
    while not done():
        assert proc.poll() is None, f"woasr exited ({proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} in {limit_s:.0f} s"
        time.sleep(0.1)


def start_stuck_batch(
    shared_audio: Path, tmp_path: Path
) -> tuple[Path, Path, Path, subprocess.Popen[str]]:
    """A folder of CLIPS under a batch of two workers whose engine never returns (its workers
    mark ``stuck`` when inside it), in a session of its own: media, stuck, out, the process."""
    media = tmp_path / "media"
    media.mkdir()
    for name in CLIPS:
        shutil.copy(shared_audio / name, media / name)
    stuck, out = tmp_path / "stuck", tmp_path / "out"
    stuck.mkdir()
    env = {**os.environ, "PYTHONPATH": SRC, "WOASR_TEST_STUCK": str(stuck)}
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), *transcribe_args(media, out)], stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
    )  # fmt: skip
    return media, stuck, out, proc


@pytest.mark.parametrize(
    ("how", "expected"),
    [("SIGTERM", 143), ("SIGTERM to the group", 143), ("Ctrl-C twice", 130)],
)
def test_workers_end_with_the_parent(
    how: str, expected: int, shared_audio: Path, tmp_path: Path
) -> None:
    media, stuck, out, proc = start_stuck_batch(shared_audio, tmp_path)
    said: list[str] = []
    assert proc.stderr is not None
    threading.Thread(target=lambda: said.extend(proc.stderr), daemon=True).start()  # type: ignore[arg-type]
    try:
        # both workers inside their engines (each has loaded a model first)
        wait_until(lambda: len(list(stuck.iterdir())) == 2, "worker in its engine", proc, 300)
        workers = [int(p.name) for p in stuck.iterdir()]
        if how == "SIGTERM":
            proc.send_signal(signal.SIGTERM)
        elif how == "SIGTERM to the group":  # the workers get it too
            os.killpg(proc.pid, signal.SIGTERM)
        else:  # a terminal's Ctrl-C reaches the whole group; the second one quits at once
            os.killpg(proc.pid, signal.SIGINT)
            wait_until(lambda: any("Ctrl-C" in line for line in said), "Ctrl-C seen", proc, 60)
            os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=120)
        at_exit = {pid: cpu_seconds(pid) for pid in workers}
        used: dict[int, float] = {}
        deadline = time.monotonic() + 60
        while any(cpu_seconds(pid) is not None for pid in workers):
            for pid in workers:
                now, then = cpu_seconds(pid), at_exit[pid]
                if now is not None and then is not None:
                    used[pid] = now - then
            if max(used.values(), default=0.0) > AFTER_PARENT_CPU_S:
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        left = [pid for pid in workers if cpu_seconds(pid) is not None]
        assert not left, f"workers {left} still running after the parent exited; CPU-s: {used}"
        assert code == expected, "".join(said)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    # Their jobs read as interrupted, the manifest is whole, no temporaries were left.
    with sqlite3.connect(out / ".woasr-manifest.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    status = subprocess.run(
        [sys.executable, "-m", "woasr_cli", "status", "-o", str(out), "--json"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": SRC}, timeout=120,
    )  # fmt: skip
    assert [j["state"] for j in json.loads(status.stdout)["jobs"]] == ["interrupted"] * 2
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]
    if how != "SIGTERM to the group":
        return
    # The same command resumes them: each file done once more, none lost.
    rerun = subprocess.run(
        [sys.executable, "-m", "woasr_cli", *transcribe_args(media, out)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": SRC}, timeout=600,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    done = [json.loads(line) for line in rerun.stdout.splitlines()]
    assert sorted(Path(e["input"]).name for e in done if e["event"] == "done") == sorted(CLIPS)
    with sqlite3.connect(out / ".woasr-manifest.db") as db:
        assert db.execute("SELECT state, attempts FROM jobs").fetchall() == [("done", 2)] * 2
    assert all((out / name).with_suffix(".srt").is_file() for name in CLIPS)


def test_workers_killed_the_batch_fails_and_says_so(shared_audio: Path, tmp_path: Path) -> None:
    """Both workers killed (the OOM killer, a stray SIGKILL): the batch exited 0, "0 done,
    0 failed", its files left interrupted. Now exit 1, naming the workers and what is left."""
    _, stuck, out, proc = start_stuck_batch(shared_audio, tmp_path)
    try:
        wait_until(lambda: len(list(stuck.iterdir())) == 2, "worker in its engine", proc, 300)
        for marker in stuck.iterdir():
            os.kill(int(marker.name), signal.SIGKILL)
        _, stderr = proc.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == 1, stderr
    assert "worker-0 (killed by SIGKILL), worker-1 (killed by SIGKILL) died mid-batch" in stderr
    assert "2 of 2 files left unfinished; rerun the same command to resume them" in stderr
    status = subprocess.run(
        [sys.executable, "-m", "woasr_cli", "status", "-o", str(out), "--json"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": SRC}, timeout=120,
    )  # fmt: skip
    assert [j["state"] for j in json.loads(status.stdout)["jobs"]] == ["interrupted"] * 2

"""Real processes sharing one manifest: racing claims, dying with a claim, dying mid-write."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from woasr_cli.jobs.manifest import Manifest
from woasr_cli.jobs.states import JobState

WORKER = Path(__file__).with_name("manifest_worker.py")
SRC = Path(__file__).resolve().parents[2] / "src"


def _start(*args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _expect_line(proc: subprocess.Popen[str], expected: str) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != expected:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"worker said {line!r}, expected {expected!r}; stderr:\n{err}")


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:  # never leave a worker behind, whatever the test did
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_two_processes_racing_for_claims_claim_each_job_once(
    tmp_path: Path, procs: list[subprocess.Popen[str]]
) -> None:
    path = tmp_path / "m.db"
    with Manifest.open(path) as m:
        ids = {m.register(f"/in/{i:02d}.wav", "c", "o").id for i in range(50)}
    procs += [_start(str(path), "race", "30"), _start(str(path), "race", "30")]
    for proc in procs:
        _expect_line(proc, "ready")
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    claimed = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        claimed.append([int(line) for line in out.split()])
    first, second = (set(c) for c in claimed)
    assert sum(len(c) for c in claimed) == 50  # nobody claimed a job twice
    assert first.isdisjoint(second) and first | second == ids
    assert first and second, "one racer got every job: the test did not race"
    with Manifest.open(path) as m:
        jobs = m.jobs()
    assert {j.state for j in jobs} == {JobState.DONE}
    assert {j.attempts for j in jobs} == {1}


def test_a_killed_owners_job_is_reclaimed(
    tmp_path: Path, procs: list[subprocess.Popen[str]]
) -> None:
    path = tmp_path / "m.db"
    with Manifest.open(path) as m:
        job = m.register("/in/a.wav", "c", "o")
        other = m.register("/in/b.wav", "c", "o")
    lease = 0.5
    procs += [_start(str(path), "hold", str(job.id), str(lease))]
    procs += [_start(str(path), "hold", str(other.id), "3600")]
    for proc in procs:
        _expect_line(proc, "claimed")
    killed_at = time.time()
    for proc in procs:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    with Manifest.open(path) as m:
        # The lease alone protects the job until it runs out ...
        if time.time() - killed_at < lease * 0.8:
            assert not m.claim(job.id, "other:1:x", 30)
        time.sleep(max(0.0, killed_at + lease + 0.05 - time.time()))
        assert m.claim(job.id, "other:1:x", 30)
        # ... and a dead owner on this host is noticed at once, long lease or not.
        assert not m.claim(other.id, "other:1:x", 30)
        assert m.reclaim_dead_owner(other.id)
        assert m.claim(other.id, "other:1:x", 30)
        assert [j.attempts for j in m.jobs()] == [2, 2]


def test_kill_mid_checkpoint_leaves_whole_checkpoints(
    tmp_path: Path, procs: list[subprocess.Popen[str]]
) -> None:
    path = tmp_path / "m.db"
    with Manifest.open(path) as m:
        job = m.register("/in/long.wav", "c", "o")
    per_call = 25
    proc = _start(str(path), "checkpoint-loop", str(job.id), str(per_call))
    procs.append(proc)
    assert proc.stdout is not None
    for _ in range(20):  # let it write a while, then kill it wherever it is
        assert proc.stdout.readline().strip(), "the checkpointing worker stopped early"
    time.sleep(0.05)  # it is writing all the time: the kill lands somewhere inside a write
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with Manifest.open(path) as m:
        segments, resume_from = m.checkpoints(job.id)
    assert len(segments) >= 20 * per_call
    assert len(segments) % per_call == 0  # no checkpoint was half written
    assert [s["start"] for s in segments] == [float(i) for i in range(len(segments))]
    assert resume_from == len(segments) == segments[-1]["end"]


def test_processes_opening_a_fresh_manifest_at_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "m.db"
    code = (
        "import sys\n"
        "from woasr_cli.jobs.manifest import Manifest\n"
        "with Manifest.open(sys.argv[1]) as m:\n"
        "    m.register(f'/in/{sys.argv[2]}.wav', 'c', 'o')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path), str(i)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    with Manifest.open(path) as m:
        assert sorted(j.input_path for j in m.jobs()) == [f"/in/{i}.wav" for i in range(4)]


OPEN_AT = """
import sys, time
from woasr_cli.jobs.manifest import Manifest
path, at = sys.argv[1], float(sys.argv[2])
while time.time() < at:
    pass
with Manifest.open(path) as manifest:
    manifest.register(f"/media/{sys.argv[3]}.wav", "content", "options")
print("ok")
"""


def test_processes_opening_a_new_manifest_together(tmp_path: Path) -> None:
    # Two `woasr transcribe` runs started at once on a new output folder: switching the new file
    # to WAL failed with "database is locked" at once (SQLite skips its busy handler there) in
    # about half of such starts. Both must open it and both registrations must land.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    for attempt in range(12):
        path = tmp_path / f"m{attempt}.db"
        at = time.time() + 0.4  # after both interpreters have started
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_AT, str(path), str(at), name],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for name in ("a", "b")
        ]
        results = [p.communicate(timeout=60) for p in procs]
        assert [out.strip() for out, _ in results] == ["ok", "ok"], [err for _, err in results]
        with Manifest.open(path) as manifest:
            assert sorted(j.input_path for j in manifest.jobs()) == ["/media/a.wav", "/media/b.wav"]

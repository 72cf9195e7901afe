from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from woasr_cli.errors import ManifestError
from woasr_cli.jobs.manifest import Job, Manifest
from woasr_cli.jobs.owner import new_owner
from woasr_cli.jobs.schema import SCHEMA_VERSION
from woasr_cli.jobs.states import JobState
from woasr_cli.transcript import Segment, Word

A, B = "host-a:1:aaaa", "host-b:2:bbbb"  # owners on hosts that are not this one


@pytest.fixture
def manifest(tmp_path: Path) -> Iterator[Manifest]:
    with Manifest.open(tmp_path / "out" / "manifest.db") as m:
        yield m


def _running(m: Manifest, name: str = "/in/a.wav", owner: str = A, lease: float = 60) -> Job:
    job = m.register(name, "c1", "o1")
    assert m.claim(job.id, owner, lease)
    return _get(m, job.id)


def _get(m: Manifest, job_id: int) -> Job:
    job = m.get(job_id)
    assert job is not None
    return job


def _done(m: Manifest, name: str = "/in/a.wav") -> Job:
    job = _running(m, name)
    m.finish(job.id, A, [f"{name}.srt"], 10.0, 2.0)
    return _get(m, job.id)


# -- opening -------------------------------------------------------------------------------------
def test_open_creates_a_wal_database_with_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "m.db"
    with Manifest.open(path) as m:
        assert m.jobs() == []
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
    with Manifest.open(path) as m:  # reopening migrates nothing and keeps the data
        m.register("x.wav", "c", "o")
    with Manifest.open(path) as m:
        assert [j.input_path for j in m.jobs()] == [os.path.abspath("x.wav")]


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    Manifest.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(ManifestError, match=r"schema 99.*upgrade woasr"):
        Manifest.open(path)


def test_another_sqlite_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    with pytest.raises(ManifestError, match="not a woasr manifest"):
        Manifest.open(path)
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
    conn.close()
    assert tables == ["notes"]


# -- register ------------------------------------------------------------------------------------
def test_register_inserts_a_pending_job_with_an_absolute_path(manifest: Manifest) -> None:
    job = manifest.register("rel/a.wav", "c1", "o1")
    assert job.state == JobState.PENDING
    assert job.input_path == os.path.abspath("rel/a.wav")
    assert (job.content_fp, job.options_fp, job.attempts, job.outputs) == ("c1", "o1", 0, ())
    again = manifest.register(Path("rel/a.wav").absolute(), "c1", "o1")
    assert again == job


def test_a_name_that_is_not_utf8_is_kept_byte_for_byte(manifest: Manifest) -> None:
    """Linux names are bytes; a Latin-1 "café" reaches Python with a lone surrogate, which
    SQLite's text cannot hold (the batch stopped with a traceback). It is found again, and
    comes back as the same name everywhere it is stored."""
    name = os.fsdecode(b"/in/caf\xe9.wav")
    job = _running(manifest, name)
    assert job.input_path == name
    manifest.set_meta(job.id, "stem", name[:-4])
    manifest.fail(job.id, A, f"cannot decode {name}")
    failed = _get(manifest, job.id)
    assert failed.error == f"cannot decode {name}"
    assert manifest.meta(job.id) == {"stem": name[:-4]}
    assert manifest.register(name, "c1", "o1").id == job.id  # the same job, not a new one
    assert manifest.claim(job.id, A, 60)
    manifest.finish(job.id, A, [f"{name[:-4]}.srt"], 10.0, 2.0)
    done = _get(manifest, job.id)
    assert done.outputs == (os.fsdecode(b"/in/caf\xe9.srt"),)
    assert os.fsencode(done.input_path) == b"/in/caf\xe9.wav"
    assert [j.input_path for j in manifest.jobs()] == [name]
    # every other name is stored as text, as before
    plain = manifest.register("/in/ünï 한국어.wav", "c1", "o1")
    stored = manifest._read("SELECT typeof(input_path) FROM jobs WHERE id = ?", (plain.id,))
    assert stored == [("text",)]


def test_done_job_with_same_fingerprints_stays_done(manifest: Manifest) -> None:
    done = _done(manifest)
    again = manifest.register("/in/a.wav", "c1", "o1")
    assert again.state == JobState.DONE
    assert again.outputs == ("/in/a.wav.srt",)
    assert again == done


@pytest.mark.parametrize(
    ("content", "options", "force"),
    [("c2", "o1", False), ("c1", "o2", False), ("c1", "o1", True)],
    ids=["content-changed", "options-changed", "force"],
)
def test_done_job_is_reset_by_change_or_force(
    manifest: Manifest, content: str, options: str, force: bool
) -> None:
    done = _done(manifest)
    manifest.set_meta(done.id, "language", "en")
    job = manifest.register("/in/a.wav", content, options, force=force)
    assert job.id == done.id
    assert job.state == JobState.PENDING
    assert (job.content_fp, job.options_fp) == (content, options)
    assert (job.outputs, job.duration, job.attempts, job.done_seconds) == ((), None, 0, 0.0)
    assert manifest.meta(job.id) == {}


def test_unfinished_job_with_changed_input_loses_its_checkpoints(manifest: Manifest) -> None:
    job = _running(manifest)
    manifest.checkpoint(job.id, A, [{"start": 0.0, "end": 1.0, "text": "x"}], 1.0)
    manifest.fail(job.id, A, "boom")
    reset = manifest.register("/in/a.wav", "c2", "o1")
    assert reset.state == JobState.FAILED  # failed -> running is the way out; it stays claimable
    assert manifest.checkpoints(job.id) == ([], 0.0)
    assert manifest.claim(job.id, B, 60)


def test_register_never_yanks_a_job_another_process_is_running(manifest: Manifest) -> None:
    job = _running(manifest)
    manifest.checkpoint(job.id, A, [{"start": 0.0, "end": 1.0, "text": "x"}], 1.0)
    same = manifest.register("/in/a.wav", "c2", "o2", force=True)
    assert same.state == JobState.RUNNING and same.owner == A and same.content_fp == "c1"
    assert len(manifest.checkpoints(job.id)[0]) == 1


def test_register_resets_a_running_job_whose_lease_expired(manifest: Manifest) -> None:
    _running(manifest, lease=0.05)
    time.sleep(0.06)
    reset = manifest.register("/in/a.wav", "c2", "o1")
    assert (reset.state, reset.owner, reset.lease_until) == (JobState.PENDING, None, None)


# -- claims and leases ---------------------------------------------------------------------------
def test_claim_makes_a_job_running_once(manifest: Manifest) -> None:
    job = manifest.register("/in/a.wav", "c1", "o1")
    before = time.time()
    assert manifest.claim(job.id, A, 30)
    assert not manifest.claim(job.id, B, 30)
    assert not manifest.claim(job.id, A, 30)
    claimed = _get(manifest, job.id)
    assert (claimed.state, claimed.owner, claimed.attempts) == (JobState.RUNNING, A, 1)
    assert claimed.lease_until is not None and claimed.lease_until >= before + 30
    assert claimed.started_at is not None and claimed.started_at >= before


def test_done_job_cannot_be_claimed(manifest: Manifest) -> None:
    job = _done(manifest)
    assert not manifest.claim(job.id, B, 30)


@pytest.mark.parametrize("ending", ["fail", "interrupt"])
def test_failed_and_interrupted_jobs_are_claimed_again(manifest: Manifest, ending: str) -> None:
    job = _running(manifest)
    manifest.checkpoint(job.id, A, [{"start": 0.0, "end": 4.0, "text": "x"}], 4.5)
    if ending == "fail":
        manifest.fail(job.id, A, "decoder error")
        assert _get(manifest, job.id).error == "decoder error"
    else:
        manifest.interrupt(job.id, A)
    assert manifest.claim(job.id, B, 30)
    again = _get(manifest, job.id)
    assert (again.state, again.owner, again.attempts) == (JobState.RUNNING, B, 2)
    assert again.resumed_from == 4.5 and again.error is None
    assert manifest.checkpoints(job.id) == ([{"start": 0.0, "end": 4.0, "text": "x"}], 4.5)


def test_expired_lease_is_reclaimed_and_the_old_owner_is_locked_out(manifest: Manifest) -> None:
    job = _running(manifest, lease=0.2)
    assert not manifest.claim(job.id, B, 30)
    manifest.renew(job.id, A, 0.2)
    time.sleep(0.25)
    assert manifest.claim(job.id, B, 30)
    assert _get(manifest, job.id).attempts == 2
    with pytest.raises(ManifestError, match="lost the claim"):
        manifest.renew(job.id, A, 30)
    with pytest.raises(ManifestError, match="lost the claim"):
        manifest.checkpoint(job.id, A, [{"start": 0.0, "end": 1.0, "text": "x"}], 1.0)
    with pytest.raises(ManifestError, match="lost the claim"):
        manifest.finish(job.id, A, ["x.srt"], 1.0, 1.0)
    assert manifest.checkpoints(job.id) == ([], 0.0)
    manifest.finish(job.id, B, ["x.srt"], 1.0, 1.0)


def test_renew_extends_the_lease(manifest: Manifest) -> None:
    job = _running(manifest, lease=1)
    manifest.renew(job.id, A, 100)
    lease = _get(manifest, job.id).lease_until
    assert lease is not None and lease > time.time() + 90


def test_ending_a_job_that_is_not_running_is_refused(manifest: Manifest) -> None:
    job = manifest.register("/in/a.wav", "c", "o")
    calls: list[Callable[[], None]] = [
        lambda: manifest.finish(job.id, A, [], 1.0, 1.0),
        lambda: manifest.fail(job.id, A, "x"),
        lambda: manifest.interrupt(job.id, A),
    ]
    for call in calls:
        with pytest.raises(ManifestError, match=r"lost the claim .* now pending"):
            call()
    assert manifest.get(job.id) == job
    with pytest.raises(ManifestError, match="no job 999"):
        manifest.set_meta(999, "k", "v")


# -- owners that died on this host ---------------------------------------------------------------
def test_reclaim_dead_owner_only_for_a_dead_local_process(manifest: Manifest) -> None:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    dead = f"{socket.gethostname()}:{child.stdout.strip()}:dead"
    alive_here = f"{socket.gethostname()}:{os.getppid()}:alive"
    mine = new_owner()
    for i, owner in enumerate([A, alive_here, mine, "no-colons"]):
        job = _running(manifest, f"/in/{i}.wav", owner)
        assert not manifest.reclaim_dead_owner(job.id), owner
    job = _running(manifest, "/in/dead.wav", dead)
    assert manifest.reclaim_dead_owner(job.id)
    reclaimed = _get(manifest, job.id)
    assert (reclaimed.state, reclaimed.owner) == (JobState.PENDING, None)
    assert not manifest.reclaim_dead_owner(job.id)
    assert manifest.claim(job.id, mine, 30)


# -- checkpoints and metadata --------------------------------------------------------------------
def test_checkpoints_round_trip_segments_in_order(manifest: Manifest) -> None:
    job = _running(manifest)
    segments = [
        Segment(0.0, 2.5, " 안녕하세요", [Word(0.0, 1.0, " 안녕", 0.9)], avg_logprob=-0.2),
        Segment(2.5, 4.0, " naïve café — ok", speaker="SPEAKER_00"),
        Segment(4.0, 6.0, " third"),
    ]
    manifest.checkpoint(job.id, A, [s.to_dict() for s in segments[:2]], 4.0)
    manifest.checkpoint(job.id, A, [], 5.0)  # a window with no speech still moves progress on
    manifest.checkpoint(job.id, A, [segments[2].to_dict()], 6.0)
    manifest.checkpoint(job.id, A, [], 3.0)  # progress never goes back
    stored, resume_from = manifest.checkpoints(job.id)
    assert [Segment.from_dict(d) for d in stored] == segments
    assert resume_from == 6.0
    assert _get(manifest, job.id).done_seconds == 6.0


def test_finish_records_outputs_speed_and_drops_checkpoints(manifest: Manifest) -> None:
    job = _running(manifest)
    manifest.checkpoint(job.id, A, [{"start": 0.0, "end": 20.0, "text": "x"}], 20.0)
    manifest.interrupt(job.id, A)
    assert manifest.claim(job.id, A, 30)  # resumed from 20 s
    manifest.finish(job.id, A, ["/out/a.srt", "/out/a.vtt"], 60.0, 4.0)
    done = _get(manifest, job.id)
    assert done.state == JobState.DONE
    assert done.outputs == ("/out/a.srt", "/out/a.vtt")
    assert (done.duration, done.elapsed, done.done_seconds) == (60.0, 4.0, 60.0)
    assert done.realtime_factor == pytest.approx(10.0)  # 40 s of new audio in 4 s
    assert done.progress == 1.0
    assert (done.owner, done.lease_until, done.error) == (None, None, None)
    assert done.finished_at is not None
    assert manifest.checkpoints(job.id) == ([], 60.0)


def test_layouts_and_the_transcript_are_kept_and_forgotten_with_the_job(manifest: Manifest) -> None:
    job = _running(manifest)
    manifest.finish(job.id, A, ["/o/a.srt", "/o/a.json"], 10.0, 2.0,
                    {"/o/a.srt": "k1", "/o/a.json": ""}, "PACKED")  # fmt: skip
    assert manifest.layouts(job.id) == {"/o/a.srt": "k1", "/o/a.json": ""}
    assert manifest.kept_transcript(job.id) == "PACKED"
    assert "transcript" not in manifest.meta(job.id)
    # Files written again join the outputs; the others keep their layout.
    assert manifest.rewritten(job.id, {"/o/a.srt": "k2", "/o/a.vtt": "k2"})
    assert _get(manifest, job.id).outputs == ("/o/a.srt", "/o/a.json", "/o/a.vtt")
    assert manifest.layouts(job.id) == {"/o/a.srt": "k2", "/o/a.json": "", "/o/a.vtt": "k2"}
    # A job reset by a change is not done: nothing is recorded, and its layouts are gone.
    manifest.register("/in/a.wav", "c2", "o1")
    assert not manifest.rewritten(job.id, {"/o/a.srt": "k3"})
    assert manifest.layouts(job.id) == {} and _get(manifest, job.id).outputs == ()
    assert manifest.kept_transcript(job.id) is None


def test_meta_is_per_job_and_overwritten(manifest: Manifest) -> None:
    a = manifest.register("/in/a.wav", "c", "o")
    b = manifest.register("/in/b.wav", "c", "o")
    manifest.set_meta(a.id, "language", "ko")
    manifest.set_meta(a.id, "language", "en")
    manifest.set_meta(a.id, "stem", "/out/a")
    assert manifest.meta(a.id) == {"language": "en", "stem": "/out/a"}
    assert manifest.meta(b.id) == {}


# -- listing and totals --------------------------------------------------------------------------
def test_jobs_and_totals(manifest: Manifest) -> None:
    _done(manifest, "/in/done.wav")
    failed = _running(manifest, "/in/failed.wav")
    manifest.checkpoint(failed.id, A, [{"start": 0.0, "end": 3.0, "text": "x"}], 3.0)
    manifest.fail(failed.id, A, "bad data")
    _running(manifest, "/in/running.wav")
    manifest.register("/in/pending.wav", "c", "o")
    assert [j.input_path for j in manifest.jobs([JobState.FAILED, JobState.PENDING])] == [
        "/in/failed.wav",
        "/in/pending.wav",
    ]
    assert len(manifest.jobs()) == 4
    assert manifest.totals_by_state() == {
        "pending": 1, "running": 1, "done": 1, "failed": 1, "interrupted": 0,
    }  # fmt: skip
    totals = manifest.totals()
    assert (totals["jobs"], totals["audio_seconds"], totals["done_seconds"]) == (4, 10.0, 13.0)


def test_a_handle_can_be_shared_with_a_heartbeat_thread(manifest: Manifest) -> None:
    job = _running(manifest)
    errors: list[BaseException] = []

    def beat() -> None:
        try:
            for _ in range(50):
                manifest.renew(job.id, A, 60)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=beat)
    thread.start()
    for i in range(50):
        manifest.checkpoint(job.id, A, [{"start": float(i), "end": i + 1.0, "text": "x"}], i + 1)
    thread.join()
    assert errors == []
    assert len(manifest.checkpoints(job.id)[0]) == 50


def test_a_running_job_whose_owner_is_gone_reads_as_interrupted(manifest: Manifest) -> None:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    dead = f"{socket.gethostname()}:{child.stdout.strip()}:dead"
    live = _running(manifest, "/in/live.wav", A)
    killed = _running(manifest, "/in/killed.wav", dead)
    manifest.checkpoint(killed.id, dead, [{"start": 0.0, "end": 2.0, "text": "x"}], 2.0)
    expired = _running(manifest, "/in/expired.wav", B, lease=0.05)
    time.sleep(0.1)
    assert _get(manifest, live.id).state == JobState.RUNNING
    assert _get(manifest, killed.id).state == JobState.INTERRUPTED
    assert _get(manifest, expired.id).state == JobState.INTERRUPTED
    assert [j.input_path for j in manifest.jobs([JobState.INTERRUPTED])] == [
        "/in/killed.wav", "/in/expired.wav",
    ]  # fmt: skip
    assert [j.input_path for j in manifest.jobs([JobState.RUNNING])] == ["/in/live.wav"]
    assert [j.state for j in manifest.jobs()] == [
        JobState.RUNNING, JobState.INTERRUPTED, JobState.INTERRUPTED,
    ]  # fmt: skip
    totals = manifest.totals_by_state()
    assert (totals["running"], totals["interrupted"]) == (1, 2)
    # The row is untouched: the next claim takes it over and resumes from its checkpoint.
    assert manifest.reclaim_dead_owner(killed.id)
    assert manifest.claim(killed.id, B, 30)
    assert manifest.checkpoints(killed.id)[1] == 2.0

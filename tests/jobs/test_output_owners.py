"""Which finished job owns an output file, asked before each file of a batch is written
(:func:`woasr_cli.jobs.finished.written_meanwhile`): the answer comes from an index of the jobs'
outputs, not from a scan of every finished job's list, which cost 5 ms a file after 3,000 files
of a batch and grew with every file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from woasr_cli.jobs.manifest import Manifest
from woasr_cli.jobs.schema import MIGRATIONS


def _done(m: Manifest, name: str, outputs: list[str]) -> int:
    job = m.register(name, f"c-{name}", "o")
    assert m.claim(job.id, "me", 60)
    m.finish(job.id, "me", outputs, 1.0, 0.1)
    return job.id


def _steps(m: Manifest, paths: list[str], besides: int) -> int:
    """SQLite virtual-machine steps (in hundreds) that ``owners_of`` takes."""
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0

    m._conn.set_progress_handler(tick, 100)
    try:
        m.owners_of(paths, besides=besides)
    finally:
        m._conn.set_progress_handler(None, 0)
    return count[0]


def test_finding_a_files_owner_costs_the_same_after_ten_times_the_finished_jobs(
    tmp_path: Path,
) -> None:
    with Manifest.open(tmp_path / "m.db") as m:
        costs = []
        for n in (40, 400):
            for i in range(len(costs) * 40, n):
                _done(m, f"/in/f{i}.wav", [f"/out/f{i}.{e}" for e in ("srt", "vtt", "json")])
            asked = [f"/out/new.{e}" for e in ("srt", "vtt", "json")]
            costs.append(_steps(m, asked, besides=0))
        assert costs[1] < 2 * costs[0] + 10, costs


def test_the_owner_follows_every_change_of_a_jobs_outputs(tmp_path: Path) -> None:
    with Manifest.open(tmp_path / "m.db") as m:
        a = _done(m, "/in/a.wav", ["/out/a.srt", "/out/a.vtt"])
        b = _done(m, "/in/b.wav", ["/out/b.srt"])
        assert [j.id for j in m.owners_of(["/out/a.vtt"], besides=b)] == [a]
        assert m.owners_of(["/out/a.vtt"], besides=a) == []
        m.disown(a, ["/out/a.vtt"])  # another input's file now
        assert m.owners_of(["/out/a.vtt"], besides=b) == []
        assert [j.id for j in m.owners_of(["/out/a.srt"], besides=b)] == [a]
        assert m.rewritten(b, {"/out/b.txt": ""})
        assert [j.id for j in m.owners_of(["/out/b.txt"], besides=a)] == [b]
        m.register("/in/b.wav", "other content", "o")  # reset: its files are not its own now
        assert m.owners_of(["/out/b.srt", "/out/b.txt"], besides=a) == []
        m.forget(a)
        assert m.owners_of(["/out/a.srt"], besides=b) == []


def test_a_manifest_written_before_the_index_is_indexed_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO jobs (input_path, content_fp, options_fp, state, outputs, created_at,"
        " updated_at) VALUES ('/in/old.wav', 'c', 'o', 'done', '[\"/out/old.srt\"]', 0, 0)"
    )
    conn.close()
    with Manifest.open(path) as m:
        owners = m.owners_of(["/out/old.srt"], besides=0)
        assert [j.input_path for j in owners] == ["/in/old.wav"]

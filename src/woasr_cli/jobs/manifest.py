"""The job manifest: one SQLite file that records every input of a batch and how far it got.

It is the source of truth for what is done. Several processes (a second ``woasr transcribe``
on the same folder, ``--workers`` children) share it safely: the database runs in WAL mode,
every change is one ``BEGIN IMMEDIATE`` transaction (so a crash leaves each change whole or
absent), and a job is claimed with a lease that its owner renews while it works. A job whose
owner died is claimed again once the lease runs out (at once, via :meth:`reclaim_dead_owner`,
when the owner ran on this host).

Readers see such a job as it really is: a ``running`` row whose lease ran out, or whose owner
ran on this host and has died (SIGKILL, OOM, power cut), is reported as ``interrupted`` by
:meth:`get`, :meth:`jobs` and :meth:`totals`, so ``woasr status`` and ``woasr retry`` (and any
other front end) treat it as the resumable job it is. The row itself is left alone: the next
claim takes it over, from its checkpoints.

There is one row per input path. Registering it again with other content or options resets
a finished job, and drops the checkpoints of an unfinished one, since they no longer apply.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

from woasr_cli import json_text
from woasr_cli.errors import LeaseLost, ManifestError
from woasr_cli.jobs.job import COLUMNS, Job
from woasr_cli.jobs.owner import owner_is_dead_here
from woasr_cli.jobs.schema import connect, describe
from woasr_cli.jobs.states import JobState, check_transition, sources_of
from woasr_cli.jobs.stored_text import loaded, stored

__all__ = ["Job", "Manifest"]

_CLAIMABLE = ", ".join(f"'{s.value}'" for s in sorted(sources_of(JobState.RUNNING)))
# A running job whose lease ran out was reclaimed (running -> pending) and is claimed again.
_CLAIM_WHERE = f"(state IN ({_CLAIMABLE}) OR (state = 'running' AND lease_until < :now))"
_CLAIM_SET = """state = 'running', owner = :owner, lease_until = :now + :lease,
    attempts = attempts + 1, started_at = :now, finished_at = NULL, error = NULL,
    resumed_from = done_seconds, updated_at = :now"""
# What a reset forgets: everything learnt from an earlier input, options or run.
_RESET_SET = """content_fp = :content_fp, options_fp = :options_fp, state = :state,
    attempts = 0, duration = NULL, done_seconds = 0, resumed_from = 0, started_at = NULL,
    finished_at = NULL, elapsed = NULL, realtime_factor = NULL, outputs = '[]',
    owner = NULL, lease_until = NULL, updated_at = :now"""


class Manifest:
    """A handle on one manifest file; use :meth:`open`, ideally as a context manager.

    A handle may be shared between threads of one process (a heartbeat thread renewing the
    lease, say); its calls are serialised. Every failure is a :class:`ManifestError`.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, timeout: float) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        self._timeout = timeout

    @classmethod
    def open(cls, path: Path | str, *, timeout: float = 30.0) -> Manifest:
        """Open or create the manifest; ``timeout`` is how long to wait for another writer."""
        path = Path(path)
        return cls(connect(path, timeout), path, timeout)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Manifest:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield self._conn
                except BaseException:
                    if self._conn.in_transaction:  # SQLite may have rolled back already
                        self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise describe(exc, self.path, self._timeout) from None

    # -- registering ---------------------------------------------------------------------------
    def register(
        self, input_path: str | Path, content_fp: str, options_fp: str, *, force: bool = False
    ) -> Job:
        """Record an input, or decide what an earlier record of it is still worth.

        Same fingerprints and no ``force``: the job is returned as it is (a done job stays
        done). Otherwise it starts over: a done job becomes pending, an unfinished one keeps
        its state but loses its checkpoints and metadata. A job another process is running
        under a live lease is never touched; it is returned as it is.
        """
        path, now = os.path.abspath(input_path), time.time()
        with self._transaction() as conn:
            job = self._find(conn, path)
            if job is None:
                cur = conn.execute(
                    "INSERT INTO jobs (input_path, content_fp, options_fp, state, created_at,"
                    " updated_at) VALUES (?, ?, ?, 'pending', ?, ?)",
                    (stored(path), content_fp, options_fp, now, now),
                )
                return self._get(conn, int(cur.lastrowid or 0))
            same = (job.content_fp, job.options_fp) == (content_fp, options_fp)
            if (same and not force) or self._held(job, now):
                return job
            state = job.state
            if state in (JobState.DONE, JobState.RUNNING):
                state = JobState.PENDING
                check_transition(job.state, state)
            conn.execute(
                f"UPDATE jobs SET {_RESET_SET} WHERE id = :id",
                {"content_fp": content_fp, "options_fp": options_fp, "state": state.value,
                 "now": now, "id": job.id},
            )  # fmt: skip
            conn.execute("DELETE FROM checkpoints WHERE job_id = ?", (job.id,))
            conn.execute("DELETE FROM job_meta WHERE job_id = ?", (job.id,))
            return self._get(conn, job.id)

    def restamp(self, job_id: int, options_fp: str, new_options_fp: str) -> bool:
        """Give a job another options fingerprint for the same work (one made before an option
        counted: :mod:`woasr_cli.jobs.options_upgrade`); False where its fingerprint is not
        ``options_fp`` any more."""
        with self._transaction() as conn:
            cur = conn.execute(
                "UPDATE jobs SET options_fp = ? WHERE id = ? AND options_fp = ?",
                (new_options_fp, job_id, options_fp),
            )
            return cur.rowcount == 1

    # -- claiming and leases -------------------------------------------------------------------
    def claim(self, job_id: int, owner: str, lease_seconds: float) -> bool:
        """Atomically make a job ``running`` for ``owner``; False if it is taken or done."""
        params = {"owner": owner, "lease": lease_seconds, "now": time.time(), "id": job_id}
        with self._transaction() as conn:
            cur = conn.execute(
                f"UPDATE jobs SET {_CLAIM_SET} WHERE id = :id AND {_CLAIM_WHERE}", params
            )
            return cur.rowcount == 1

    def renew(self, job_id: int, owner: str, lease_seconds: float) -> None:
        """Extend ``owner``'s lease; :class:`ManifestError` if it was lost to another process."""
        now = time.time()
        with self._transaction() as conn:
            self._owned(conn, job_id, owner)
            conn.execute(
                "UPDATE jobs SET lease_until = ?, updated_at = ? WHERE id = ?",
                (now + lease_seconds, now, job_id),
            )

    def reclaim_dead_owner(self, job_id: int) -> bool:
        """Put a running job back to pending if its owner ran on this host and has died."""
        with self._transaction() as conn:
            job = self._get(conn, job_id)
            if job.state != JobState.RUNNING or not job.owner:
                return False
            if not owner_is_dead_here(job.owner):
                return False
            check_transition(JobState.RUNNING, JobState.PENDING)
            conn.execute(
                "UPDATE jobs SET state = 'pending', owner = NULL, lease_until = NULL,"
                " updated_at = ? WHERE id = ?",
                (time.time(), job_id),
            )
            return True

    # -- progress ------------------------------------------------------------------------------
    def checkpoint(
        self,
        job_id: int,
        owner: str,
        segments: Sequence[dict[str, Any]],
        done_seconds: float,
        duration: float | None = None,
    ) -> None:
        """Append finished segments (absolute times) and the progress, in one transaction."""
        with self._transaction() as conn:
            self._owned(conn, job_id, owner)
            (last,) = conn.execute(
                "SELECT coalesce(max(seq), -1) FROM checkpoints WHERE job_id = ?", (job_id,)
            ).fetchone()
            conn.executemany(
                "INSERT INTO checkpoints (job_id, seq, segment) VALUES (?, ?, ?)",
                [
                    (job_id, last + 1 + i, json.dumps(seg, ensure_ascii=False))
                    for i, seg in enumerate(segments)
                ],
            )
            conn.execute(
                "UPDATE jobs SET done_seconds = max(done_seconds, ?), updated_at = ?,"
                " duration = coalesce(?, duration) WHERE id = ?",
                (done_seconds, time.time(), duration, job_id),
            )

    def checkpoints(self, job_id: int) -> tuple[list[dict[str, Any]], float]:
        """The checkpointed segments in order, and the audio time to resume from."""
        with self._transaction(write=False) as conn:
            job = self._get(conn, job_id)
            rows = conn.execute(
                "SELECT segment FROM checkpoints WHERE job_id = ? ORDER BY seq", (job_id,)
            ).fetchall()
        return [json.loads(r[0]) for r in rows], job.done_seconds

    def set_meta(self, job_id: int, key: str, value: str) -> None:
        """Store a string a resumed run needs (detected language, output stem, options)."""
        self.update_meta(job_id, {key: value})

    def update_meta(self, job_id: int, values: Mapping[str, str]) -> None:
        """Store several such strings in one transaction (all of them, or none)."""
        with self._transaction() as conn:
            self._get(conn, job_id)
            conn.executemany(
                "INSERT INTO job_meta (job_id, key, value) VALUES (?, ?, ?)"
                " ON CONFLICT (job_id, key) DO UPDATE SET value = excluded.value",
                [(job_id, key, stored(value)) for key, value in values.items()],
            )

    def meta(self, job_id: int) -> dict[str, str]:
        """The job's strings (not its kept transcript: :meth:`kept_transcript`)."""
        rows = self._read(
            "SELECT key, value FROM job_meta WHERE job_id = ? AND key != 'transcript'", (job_id,)
        )
        return {str(k): loaded(v) for k, v in rows}

    def kept_transcript(self, job_id: int) -> str | None:
        """The transcript a finished job was recorded with (``finish(transcript=...)``)."""
        rows = self._read(
            "SELECT value FROM job_meta WHERE job_id = ? AND key = 'transcript'", (job_id,)
        )
        return str(rows[0][0]) if rows else None

    # -- endings -------------------------------------------------------------------------------
    def finish(
        self,
        job_id: int,
        owner: str,
        outputs: Sequence[str],
        duration: float,
        elapsed: float,
        layouts: Mapping[str, str] | None = None,
        transcript: str | None = None,
    ) -> None:
        """Mark ``owner``'s job done with its output files; its checkpoints are dropped.
        ``layouts``: each file's layout (:func:`woasr_cli.jobs.rewrite.layout_key`), by path;
        ``transcript``: the transcript to keep (:func:`woasr_cli.jobs.rewrite.packed`)."""
        with self._transaction() as conn:
            job = self._owned(conn, job_id, owner)
            check_transition(job.state, JobState.DONE)
            worked = max(duration - job.resumed_from, 0.0)
            conn.execute(
                "UPDATE jobs SET state = 'done', outputs = ?, duration = ?, done_seconds = ?,"
                " elapsed = ?, realtime_factor = ?, finished_at = ?, error = NULL,"
                " owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
                (json_text.dumps([str(p) for p in outputs]), duration,
                 duration, elapsed, worked / elapsed if elapsed > 0 else None,
                 time.time(), time.time(), job_id),
            )  # fmt: skip
            conn.execute("DELETE FROM checkpoints WHERE job_id = ?", (job_id,))
            if layouts is not None:
                self._put_layouts(conn, job_id, dict(layouts))
            if transcript is not None:
                conn.execute(
                    "INSERT INTO job_meta (job_id, key, value) VALUES (?, 'transcript', ?)"
                    " ON CONFLICT (job_id, key) DO UPDATE SET value = excluded.value",
                    (job_id, transcript),
                )

    def rewritten(self, job_id: int, layouts: Mapping[str, str]) -> bool:
        """Record files of a finished job written again from its transcript (``layouts``: each
        one's layout, by path): they join its outputs. False, and nothing recorded, when the
        job is not done any more."""
        with self._transaction() as conn:
            job = self._get(conn, job_id)
            if job.state != JobState.DONE:
                return False
            every = list(dict.fromkeys([*job.outputs, *layouts]))
            conn.execute(
                "UPDATE jobs SET outputs = ?, updated_at = ? WHERE id = ?",
                (json_text.dumps(every), time.time(), job_id),
            )
            self._put_layouts(conn, job_id, {**self._layouts(conn, job_id), **layouts})
            return True

    def done_jobs(self) -> list[Job]:
        """The finished jobs, in the order they finished."""
        rows = self._read(
            f"SELECT {COLUMNS} FROM jobs WHERE state = 'done' ORDER BY finished_at, id"
        )
        return [Job.from_row(r) for r in rows]

    def done_with_outputs_named(self, names: Iterable[str]) -> list[Job]:
        """The finished jobs with an output file of one of these ``names`` (its path's last
        component), in the order they finished: what :meth:`done_jobs` holds of them, without
        reading every finished job into Python (a server runs one file a batch, and reading
        them all cost 0.2 s a file after 1,500 files, 5 s after 50,000)."""
        patterns: set[str] = set()
        for name in names:
            if name:
                patterns.add(json_text.dumps(name))  # a path that is the name alone
                patterns.update(json_text.dumps(sep + name)[1:] for sep in {"/", os.sep})
        if not patterns:
            return []
        ordered = sorted(patterns)
        matches = " OR ".join("instr(outputs, ?) > 0" for _ in ordered)
        rows = self._read(
            f"SELECT {COLUMNS} FROM jobs WHERE state = 'done' AND ({matches})"
            " ORDER BY finished_at, id",
            ordered,
        )
        return [Job.from_row(r) for r in rows]

    def last_done_of(self, content_fp: str, options_fp: str) -> Job | None:
        """The finished job of this content with these options that finished last."""
        rows = self._read(
            f"SELECT {COLUMNS} FROM jobs WHERE state = 'done' AND content_fp = ?"
            " AND options_fp = ? ORDER BY finished_at DESC, id DESC LIMIT 1",
            (content_fp, options_fp),
        )
        return Job.from_row(rows[0]) if rows else None

    def owners_of(self, paths: Iterable[str], besides: int) -> list[Job]:
        """The finished jobs but ``besides`` that list any of ``paths`` among their outputs."""
        rows = self._read(
            f"SELECT {COLUMNS} FROM jobs WHERE state = 'done' AND id != ? AND id IN"
            " (SELECT job_id FROM job_outputs WHERE path IN (SELECT value FROM json_each(?)))",
            (besides, json_text.dumps(list(paths))),
        )
        return [Job.from_row(r) for r in rows]

    def disown(self, job_id: int, paths: Iterable[str]) -> None:
        """Take ``paths`` off a finished job's outputs: another input's files go there now, so
        a later run of this job does not take them for its own."""
        gone = set(paths)
        with self._transaction() as conn:
            job = self._get(conn, job_id)
            kept = [p for p in job.outputs if p not in gone]
            conn.execute(
                "UPDATE jobs SET outputs = ?, updated_at = ? WHERE id = ?",
                (json_text.dumps(kept), time.time(), job_id),
            )
            layouts = self._layouts(conn, job_id)
            if gone & set(layouts):
                self._put_layouts(conn, job_id, {p: k for p, k in layouts.items() if p not in gone})

    def layouts(self, job_id: int) -> dict[str, str]:
        """The layout each of a finished job's files was written with, by path (files finished
        before layouts were recorded are absent)."""
        with self._transaction(write=False) as conn:
            return self._layouts(conn, job_id)

    @staticmethod
    def _layouts(conn: sqlite3.Connection, job_id: int) -> dict[str, str]:
        row = conn.execute(
            "SELECT value FROM job_meta WHERE job_id = ? AND key = 'layouts'", (job_id,)
        ).fetchone()
        return {} if row is None else dict(json.loads(loaded(row[0])))

    @staticmethod
    def _put_layouts(conn: sqlite3.Connection, job_id: int, layouts: dict[str, str]) -> None:
        conn.execute(
            "INSERT INTO job_meta (job_id, key, value) VALUES (?, 'layouts', ?)"
            " ON CONFLICT (job_id, key) DO UPDATE SET value = excluded.value",
            (job_id, json_text.dumps(layouts)),
        )

    def fail(self, job_id: int, owner: str, reason: str) -> None:
        """Mark ``owner``'s job failed; its checkpoints stay for a retry to resume from."""
        self._end(job_id, owner, JobState.FAILED, reason)

    def interrupt(self, job_id: int, owner: str) -> None:
        """Mark ``owner``'s job interrupted; a later run resumes it from its checkpoints."""
        self._end(job_id, owner, JobState.INTERRUPTED, None)

    def _end(self, job_id: int, owner: str, state: JobState, reason: str | None) -> None:
        now = time.time()
        with self._transaction() as conn:
            job = self._owned(conn, job_id, owner)
            check_transition(job.state, state)
            conn.execute(
                "UPDATE jobs SET state = ?, error = ?, finished_at = ?, elapsed = ?,"
                " owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
                (
                    state.value,
                    None if reason is None else stored(reason),
                    now,
                    now - (job.started_at or now),
                    now,
                    job_id,
                ),
            )

    def forget(self, job_id: int) -> None:
        """Delete a job with its checkpoints and metadata (a server dropping old work)."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM checkpoints WHERE job_id = ?", (job_id,))
            conn.execute("DELETE FROM job_meta WHERE job_id = ?", (job_id,))
            conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    # -- reading -------------------------------------------------------------------------------
    def job_at(self, input_path: str | Path) -> Job | None:
        """The job of this input (as :meth:`get` sees it), None if it was never registered."""
        rows = self._read(
            f"SELECT {COLUMNS} FROM jobs WHERE input_path = ?",
            (stored(os.path.abspath(input_path)),),
        )
        return _as_seen(Job.from_row(rows[0]), time.time()) if rows else None

    def get(self, job_id: int) -> Job | None:
        """The job as it stands (a dead owner's ``running`` job reads as ``interrupted``)."""
        rows = self._read(f"SELECT {COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return _as_seen(Job.from_row(rows[0]), time.time()) if rows else None

    def get_many(self, job_ids: Iterable[int]) -> dict[int, Job]:
        """:meth:`get` of each id, in one read (ids not in the manifest are left out)."""
        ids = sorted(set(job_ids))
        if not ids:
            return {}
        rows = self._read(
            f"SELECT {COLUMNS} FROM jobs WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        )
        now = time.time()
        return {job.id: job for job in (_as_seen(Job.from_row(r), now) for r in rows)}

    def jobs(self, states: Iterable[JobState] | None = None) -> list[Job]:
        """Jobs in registration order, only those in ``states`` if given (as :meth:`get` sees
        them: asking for ``interrupted`` includes running jobs whose owner is dead)."""
        now = time.time()
        if states is None:
            rows = self._read(f"SELECT {COLUMNS} FROM jobs ORDER BY id")
            return [_as_seen(Job.from_row(r), now) for r in rows]
        wanted = {JobState(s) for s in states}
        stored = wanted | ({JobState.RUNNING} if JobState.INTERRUPTED in wanted else set())
        rows = self._read(
            f"SELECT {COLUMNS} FROM jobs WHERE state IN (SELECT value FROM json_each(?))"
            " ORDER BY id",
            (json.dumps([s.value for s in stored]),),
        )
        seen = (_as_seen(Job.from_row(r), now) for r in rows)
        return [job for job in seen if job.state in wanted]

    def totals_by_state(self) -> dict[str, int]:
        """How many jobs are in each state (every state present, zeros included)."""
        totals = self.totals()
        return {s.value: int(totals[s.value]) for s in JobState}

    def totals(self) -> dict[str, int | float]:
        """Jobs per state (zeros included), then ``jobs``, ``audio_seconds`` (where known)
        and ``done_seconds``, all from one consistent read."""
        out: dict[str, int | float] = {s.value: 0 for s in JobState}
        jobs, audio, done = 0, 0.0, 0.0
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT state, count(*), coalesce(sum(duration), 0), sum(done_seconds)"
                " FROM jobs GROUP BY state"
            ).fetchall()
            running = conn.execute(f"SELECT {COLUMNS} FROM jobs WHERE state = 'running'").fetchall()
        for state, n, state_audio, state_done in rows:
            out[str(state)] = int(n)
            jobs, audio, done = jobs + int(n), audio + state_audio, done + state_done
        now = time.time()
        dead = sum(_as_seen(Job.from_row(r), now).state != JobState.RUNNING for r in running)
        out[JobState.RUNNING.value] = int(out[JobState.RUNNING.value]) - dead
        out[JobState.INTERRUPTED.value] = int(out[JobState.INTERRUPTED.value]) + dead
        out.update(jobs=jobs, audio_seconds=round(audio, 3), done_seconds=round(done, 3))
        return out

    # -- helpers -------------------------------------------------------------------------------
    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise describe(exc, self.path, self._timeout) from None

    @staticmethod
    def _find(conn: sqlite3.Connection, path: str) -> Job | None:
        found = conn.execute(f"SELECT {COLUMNS} FROM jobs WHERE input_path = ?", (stored(path),))
        row = found.fetchone()
        return None if row is None else Job.from_row(row)

    @staticmethod
    def _get(conn: sqlite3.Connection, job_id: int) -> Job:
        row = conn.execute(f"SELECT {COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise ManifestError(f"no job {job_id} in the manifest")
        return Job.from_row(row)

    @staticmethod
    def _held(job: Job, now: float) -> bool:
        return job.state == JobState.RUNNING and (job.lease_until or 0.0) >= now

    def _owned(self, conn: sqlite3.Connection, job_id: int, owner: str) -> Job:
        job = self._get(conn, job_id)
        if job.state != JobState.RUNNING or job.owner != owner:
            raise LeaseLost(
                f"lost the claim on {job.input_path}: its lease ran out and it is now "
                f"{job.state.value}" + (f" for {job.owner}" if job.owner else "")
            )
        return job


def owner_is_gone(job: Job, now: float) -> bool:
    """A ``running`` job nobody works on any more: its lease ran out, or its owner ran on this
    host and has died."""
    if job.state != JobState.RUNNING:
        return False
    if job.lease_until is not None and job.lease_until < now:
        return True
    return bool(job.owner) and owner_is_dead_here(job.owner or "")


def _as_seen(job: Job, now: float) -> Job:
    return replace(job, state=JobState.INTERRUPTED) if owner_is_gone(job, now) else job

"""``--workers N``: N processes, each with its own model and a share of the CPU threads, claim
jobs from one manifest. The parent registers the batch, relays the children's events to its
reporter and asks them to stop on Ctrl-C; the manifest's claims keep each job to one worker."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import signal
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from woasr_cli import errors
from woasr_cli.errors import WoasrError
from woasr_cli.events import Event, Reporter
from woasr_cli.jobs.manifest import Manifest
from woasr_cli.jobs.runner import BatchResult, BatchRunner, PlannedJob, batch_done
from woasr_cli.jobs.states import JobState
from woasr_cli.options import TranscribeOptions
from woasr_cli.runtime import usable_cores

_DONE = "__worker_done__"


def _worker(
    index: int,
    todo: list[tuple[PlannedJob, int]],
    options: TranscribeOptions,
    manifest_path: Path,
    events: Any,
    stop: Any,
    started_at: float,
) -> None:
    # The parent decides when to stop: a terminal's Ctrl-C reaches the whole process group, and
    # so does the SIGTERM of `timeout`, systemd or a CI runner; a worker that SIGTERM ended at
    # once left the parent with no worker and nothing to say: exit 0, the batch unfinished.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _exit_with_parent()

    def should_stop() -> bool:
        return bool(stop.is_set())

    result = BatchResult()
    error: tuple[str, str] | None = None
    try:
        with Manifest.open(manifest_path) as manifest:
            runner = BatchRunner(manifest, options, reporter=events.put, should_stop=should_stop)
            runner.started_at = started_at
            runner.worker = f"worker-{index}"
            # Workers start at different points of the list so they rarely race for a claim.
            shift = (index * len(todo)) // max(1, options.workers)
            order = todo[shift:] + todo[:shift]
            jobs = [(planned, manifest.get(job_id)) for planned, job_id in order]
            try:
                runner.execute([(p, j) for p, j in jobs if j is not None], result)
            finally:
                runner.close()
    except WoasrError as exc:
        error = (type(exc).__name__, str(exc))
    events.put((_DONE, index, result, error))


def _exit_with_parent() -> None:
    """End this worker the moment its parent process has gone, whatever it is doing.

    The parent stops when it is asked to, within its own deadline (SIGTERM: 3 s); a worker
    sees the parent's request only between segments and batches, and one batch of a worker
    on one core ran 20 s and more under load (tiny.en, four 30 s chunks). Once the parent
    has exited (its deadline, a second Ctrl-C, SIGKILL, the OOM killer) there is nobody to
    wait for: the worker goes too, its jobs left as a killed process leaves them - read as
    interrupted, resumed from their checkpoints by the next run. Before, a worker went on
    until its batch ended: gone 7.2 s after a SIGTERM whose parent exited at 3.1 s."""
    parent = mp.parent_process()
    if parent is None:  # not started by multiprocessing: nothing to watch
        return

    def watch() -> None:
        parent.join()  # returns once the parent's end of its pipe to us is closed
        os._exit(1)

    threading.Thread(target=watch, name="woasr-parent-watch", daemon=True).start()


def run_in_workers(
    parent: BatchRunner,
    jobs: list[PlannedJob],
    manifest_path: Path,
    workers: int,
    *,
    force: bool,
    reporter: Reporter,
    should_stop: Callable[[], bool],
) -> BatchResult:
    result = BatchResult()
    reporter(Event("batch_started", total_files=len(jobs)))
    try:
        _run_children(parent, jobs, manifest_path, workers, force, reporter, should_stop, result)
    except WoasrError as exc:
        reporter(batch_done(parent.manifest, reason=str(exc)))
        raise
    reporter(batch_done(parent.manifest))
    return result


def _run_children(
    parent: BatchRunner,
    jobs: list[PlannedJob],
    manifest_path: Path,
    workers: int,
    force: bool,
    reporter: Reporter,
    should_stop: Callable[[], bool],
    result: BatchResult,
) -> None:
    todo = [(p, j.id) for p, j in parent.prepare(jobs, force, result)]
    if todo and not result.interrupted:
        workers = min(workers, len(todo))
        options = parent.options
        threads = options.threads or max(1, usable_cores() // workers)
        child_options = replace(options, threads=threads, workers=workers)
        ctx = mp.get_context("spawn")
        events = ctx.Queue()
        stop = ctx.Event()
        procs = [
            ctx.Process(
                target=_worker,
                args=(i, todo, child_options, manifest_path, events, stop, parent.started_at),
            )
            for i in range(workers)
        ]
        for proc in procs:
            proc.start()
        died = _relay(procs, events, stop, reporter, should_stop, result)
        if died:
            _after_deaths(parent, [job_id for _, job_id in todo], died, should_stop, result)


def _after_deaths(
    parent: BatchRunner,
    job_ids: list[int],
    died: list[tuple[int, int | None]],
    should_stop: Callable[[], bool],
    result: BatchResult,
) -> None:
    """Workers that ended without a word (killed: SIGKILL, the OOM killer): the batch exited
    0, "0 done, 0 failed", its files left interrupted. Now it stops as asked (when it was) or
    fails, saying which worker died and how many files are left to resume."""
    if should_stop():
        result.interrupted = True
        return
    jobs = parent.manifest.get_many(job_ids).values()
    left = sum(job.state not in (JobState.DONE, JobState.FAILED) for job in jobs)
    if left:  # a sibling that lived on took over the dead one's files: nothing is missing
        which = ", ".join(f"worker-{index} ({_ended(code)})" for index, code in died)
        raise WoasrError(
            f"{which} died mid-batch: {left} of {len(job_ids)} files left unfinished; "
            "rerun the same command to resume them"
        )


def _ended(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def _relay(
    procs: list[Any],
    events: Any,
    stop: Any,
    reporter: Reporter,
    should_stop: Callable[[], bool],
    result: BatchResult,
) -> list[tuple[int, int | None]]:
    """Relay the workers' events until each has said goodbye or died; return those that died
    without a word (index, exit code)."""
    running = len(procs)
    said: set[int] = set()
    while running:
        if should_stop() and not stop.is_set():
            stop.set()
        try:
            item = events.get(timeout=0.2)
        except queue.Empty:
            if not any(p.is_alive() for p in procs):
                break  # a worker died without saying goodbye (killed): stop waiting
            continue
        if isinstance(item, tuple) and item and item[0] == _DONE:
            _, index, child, error = item
            running -= 1
            said.add(index)
            _merge(result, child)
            if error:
                stop.set()
                raise _rebuild(*error)
        else:
            reporter(item)
    for proc in procs:
        proc.join()
    return [(i, p.exitcode) for i, p in enumerate(procs) if i not in said]


def _rebuild(kind: str, message: str) -> WoasrError:
    """The worker's error as the same class, so the CLI maps it to the same exit code."""
    cls = getattr(errors, kind, WoasrError)
    if not (isinstance(cls, type) and issubclass(cls, WoasrError)):
        cls = WoasrError
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    return exc


def _merge(into: BatchResult, child: BatchResult) -> None:
    into.done += child.done
    into.failed += child.failed
    # A child's "elsewhere" jobs were mostly its siblings' work, already counted as done.
    into.lost += child.lost
    into.interrupted = into.interrupted or child.interrupted
    into.failures += child.failures

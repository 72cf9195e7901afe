"""Run a batch of inputs as manifest jobs: skip what is done, resume what was cut, record all.

Every process (a second ``woasr transcribe`` on the same folder, or a ``--workers`` child) runs
this same loop; the manifest's atomic claims make each job run exactly once, and a job whose
owner died is reclaimed when its lease runs out (at once, if the owner was on this host).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from woasr_cli.errors import (
    InputError,
    Interrupted,
    LeaseLost,
    ManifestError,
    ModelNotFound,
    OutputError,
    ProviderUnavailable,
    UsageError,
    WoasrError,
    reason,
)
from woasr_cli.events import Event, Reporter, null_reporter
from woasr_cli.jobs.detected import language_meta, resume_of
from woasr_cli.jobs.fingerprint import fingerprint_file
from woasr_cli.jobs.finished import FinishedWork, written_meanwhile
from woasr_cli.jobs.layout import output_stems
from woasr_cli.jobs.manifest import Job, Manifest
from woasr_cli.jobs.options_upgrade import bring_up_to_date
from woasr_cli.jobs.owner import new_owner
from woasr_cli.jobs.rewrite import layout_key, outdated, own_transcript, packed
from woasr_cli.jobs.states import JobState
from woasr_cli.media import probe
from woasr_cli.media.discover import InputFile
from woasr_cli.options import TranscribeOptions
from woasr_cli.outputs import (
    drop_partial_writes,
    format_options_for,
    output_paths,
    write_outputs,
)
from woasr_cli.transcriber import Transcriber
from woasr_cli.transcript import Segment

log = logging.getLogger("woasr.jobs")

LEASE_S = 60.0
HEARTBEAT_S = 15.0
# Errors that make every job fail the same way: stop the batch instead of failing each file.
BATCH_FATAL = (UsageError, ProviderUnavailable, ModelNotFound, ManifestError)
_HELD_OR_ABANDONED = (JobState.RUNNING, JobState.INTERRUPTED)


@dataclass
class BatchResult:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    elsewhere: int = 0  # finished by another process sharing the manifest
    lost: int = 0  # taken over by another process after our lease ran out
    held: int = 0  # retry: jobs a live process is running now, left to it
    interrupted: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # arguments that matched no media file
    # (path, reason): FIFOs, sockets and devices a folder walk or glob found and did not read
    ignored: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedJob:
    item: InputFile
    stem: Path
    # What the transcript names as its source where that is not the input's path: a server's
    # upload by its name, not where the server keeps it (clients download the JSON).
    source: str | None = None


def plan(inputs: list[InputFile], output_dir: Path) -> list[PlannedJob]:
    return [
        PlannedJob(item, stem)
        for item, stem in zip(inputs, output_stems(inputs, output_dir), strict=True)
    ]


class BatchRunner:
    def __init__(
        self,
        manifest: Manifest,
        options: TranscribeOptions,
        *,
        reporter: Reporter = null_reporter,
        should_stop: Callable[[], bool] = lambda: False,
        transcriber: Transcriber | None = None,
    ) -> None:
        self.manifest = manifest
        self.options = options
        self._report_lock = threading.Lock()
        self._reporter = reporter
        self._tally = threading.Lock()  # job threads share the result counters
        self.should_stop = should_stop
        self.owner = new_owner()
        self.started_at = time.time()  # a job that failed after this is not retried in this run
        self._transcriber = transcriber
        self._owns_transcriber = transcriber is None  # loaded here: closed by close()
        self.worker: str | None = None  # named in events when several workers share a batch
        self.format_options = format_options_for(options)
        # Worked out once, not for each of a batch's thousands of inputs.
        self._options_fp = options.fingerprint()
        self._options_json = json.dumps(options.public_dict())
        self._layout_keys = {f: layout_key(self.format_options, f) for f in options.formats}

    def report(self, event: Event) -> None:
        if self.worker is not None and event.input is not None:
            event = replace(event, worker=self.worker)
        with self._report_lock:  # job threads report too; front ends expect one caller
            self._reporter(event)

    # -- model -------------------------------------------------------------------------------
    def transcriber(self) -> Transcriber:
        # Loaded on first real work only, so a rerun that skips everything loads no model.
        if self._transcriber is None:
            self._transcriber = Transcriber(self.options)
        return self._transcriber

    def close(self) -> None:
        """Close the Transcriber this runner loaded (not one it was given): the engines'
        batches of stopped files end before the process may exit."""
        if self._owns_transcriber and self._transcriber is not None:
            self._transcriber.close()
            self._transcriber = None

    # -- batch -------------------------------------------------------------------------------
    def run(self, jobs: list[PlannedJob], *, force: bool = False) -> BatchResult:
        result = BatchResult()
        self.report(Event("batch_started", total_files=len(jobs)))
        try:
            self.execute(self.prepare(jobs, force, result), result)
        except WoasrError as exc:  # e.g. the model does not load: the batch still ends
            self.report(batch_done(self.manifest, reason=str(exc)))
            raise
        self.report(batch_done(self.manifest))
        return result

    def prepare(
        self, jobs: list[PlannedJob], force: bool, result: BatchResult
    ) -> list[tuple[PlannedJob, Job]]:
        """Register every input; report skips and unreadable inputs; return the work left."""
        registered: list[tuple[PlannedJob, Job]] = []
        finished = FinishedWork(self.manifest, inputs=len(jobs))
        for planned in jobs:
            if self.should_stop():
                result.interrupted = True
                break
            job = self._register(planned, force, result, finished)
            if job is not None:
                registered.append((planned, job))
        return registered

    def execute(self, registered: list[tuple[PlannedJob, Job]], result: BatchResult) -> None:
        """Claim and run jobs, several at once where the provider batches across files; then
        wait for those other processes hold, taking over any whose owner died."""
        registered = self._fail_unopened(registered, result)
        if not registered:
            return
        width = min(self.transcriber().concurrent_files, len(registered))
        waiting = self._run_pass(registered, result, width)
        while waiting and not result.interrupted:
            time.sleep(0.5)
            waiting = self._run_pass(waiting, result, width)

    def _fail_unopened(
        self, registered: list[tuple[PlannedJob, Job]], result: BatchResult
    ) -> list[tuple[PlannedJob, Job]]:
        """Before a model loads, the leading jobs whose media does not open are run (to fail
        with the reason, as :meth:`_run_job` fails them without the model); the rest, from the
        first that opens, are returned. A rerun whose only work is a folder's broken files
        loads no model to fail them again."""
        if self._transcriber is not None:
            return registered
        waiting: list[tuple[PlannedJob, Job]] = []
        for i, (planned, job) in enumerate(registered):
            try:
                probe(planned.item.path, self.options.audio_track)
            except InputError:
                self._attempt(planned, job, result, waiting)
                if result.interrupted:
                    return []
                continue
            return waiting + registered[i:]
        return waiting

    def _register(
        self, planned: PlannedJob, force: bool, result: BatchResult, finished: FinishedWork
    ) -> Job | None:
        path = planned.item.path
        options_fp = self._options_fp
        try:
            content_fp = fingerprint_file(path)
        except InputError as exc:
            # An input that cannot be read now (a drive not mounted, a link to nowhere) keeps
            # what its job holds: a finished job its transcript, an interrupted one the
            # checkpoints to resume from once it is back (they were dropped, and an hour of a
            # long recording transcribed again).
            job = self.manifest.job_at(str(path)) or self.manifest.register(
                str(path), "", options_fp, force=True
            )
            self._refuse(job, planned, str(exc), result)
            return None
        bring_up_to_date(self.manifest, str(path), self.options)
        job = self.manifest.register(str(path), content_fp, options_fp, force=force)
        taken = finished.taken(str(path), content_fp, options_fp, self.file_layouts(planned.stem))
        if taken is not None:
            held = [p for p in taken.paths if Path(p).is_file()]
            if held and not force and not taken.orphaned:
                self._refuse(job, planned, _held_by_another(held[0], taken.owner), result)
                return None
            finished.hand_over(taken, job)  # --force, its files or its input gone: ours now
        if job.state == JobState.DONE:
            if self._up_to_date(planned, job, result):
                return None
            # No transcript of its own to write them from: the model runs again.
            job = self.manifest.register(str(path), content_fp, options_fp, force=True)
        elif not force:
            earlier = finished.same_media(str(path), content_fp, options_fp)
            if self._copied(planned, job, earlier, result):
                return None
        self._record_plan(job, planned)
        return job

    def _record_plan(self, job: Job, planned: PlannedJob) -> None:
        """What ``woasr retry`` needs to run the job again: its output stem and options."""
        self.manifest.update_meta(
            job.id, {"stem": str(planned.stem), "options": self._options_json}
        )

    def _refuse(self, job: Job, planned: PlannedJob, reason: str, result: BatchResult) -> None:
        """Fail an input without touching another's files; a finished job stays finished (its
        transcript is kept), the others are recorded failed, for ``woasr retry``."""
        name = str(planned.item.path)
        if job.state != JobState.DONE:
            self._record_plan(job, planned)
            self._fail(job, name, reason, result)
            return
        self._count_failure(name, reason, result)

    def _copied(
        self, planned: PlannedJob, job: Job, earlier: Job | None, result: BatchResult
    ) -> bool:
        """A new input that is media this manifest already transcribed with these options under
        another name (renamed, moved, copied): its files are written from that transcript,
        and the model does not run again."""
        if earlier is None or job.state != JobState.PENDING or job.attempts:
            return False
        transcript = own_transcript(earlier, self.manifest.kept_transcript(earlier.id))
        if transcript is None or not self.manifest.claim(job.id, self.owner, LEASE_S):
            return False
        path = str(planned.item.path)
        transcript.source = planned.source or path
        transcript.options = {**transcript.options, **asdict(self.format_options)}
        try:
            written = write_outputs(
                transcript, planned.stem, self.options.formats, self.format_options
            )
        except WoasrError as exc:
            self._fail_claimed(job.id, path, str(exc), result)
            return True
        outputs = [str(p) for p in written]
        self.manifest.finish(
            job.id, self.owner, outputs, transcript.duration, 0.0,
            self.file_layouts(planned.stem), packed(transcript),
        )  # fmt: skip
        with self._tally:
            result.skipped += 1
        reason = f"the same media as {earlier.input_path}: written from its transcript"
        self.report(Event("skipped", input=path, outputs=outputs, reason=reason))
        return True

    def _up_to_date(self, planned: PlannedJob, job: Job, result: BatchResult) -> bool:
        """Whether a finished job's files are as asked, or were brought up to date from its
        own JSON transcript (jobs/rewrite.py); either way it counts as skipped."""
        path = str(planned.item.path)
        wanted = self.file_layouts(planned.stem)
        stale = outdated(job, wanted, self.manifest.layouts(job.id))
        if not stale:
            result.skipped += 1
            self.report(Event("skipped", input=path, outputs=list(wanted)))
            return True
        transcript = own_transcript(job, self.manifest.kept_transcript(job.id))
        if transcript is None:
            return False
        formats = [f for f, p in zip(self.options.formats, wanted, strict=True) if p in stale]
        # The layout asked now, in the JSON's record of its options too.
        transcript.options = {**transcript.options, **asdict(self.format_options)}
        try:
            written = write_outputs(transcript, planned.stem, formats, self.format_options)
        except WoasrError as exc:  # e.g. the output folder is not writable now
            # the job keeps its transcript and files: it stays done
            self._count_failure(path, str(exc), result)
            return True
        if not self.manifest.rewritten(job.id, {str(p): wanted[str(p)] for p in written}):
            return False  # reset meanwhile by another run: transcribe it as asked
        result.skipped += 1
        again = ", ".join(p.suffix.lstrip(".") for p in written)
        self.report(
            Event(
                "skipped",
                input=path,
                outputs=list(wanted),
                reason=f"{again} written again from its transcript",
            )
        )
        return True

    def file_layouts(self, stem: Path) -> dict[str, str]:
        """The files a job of this batch writes, each with the layout it is written in."""
        paths = output_paths(stem, self.options.formats)
        return {
            str(path): self._layout_keys[fmt]
            for path, fmt in zip(paths, self.options.formats, strict=True)
        }

    def _run_pass(
        self, pending: list[tuple[PlannedJob, Job]], result: BatchResult, width: int = 1
    ) -> list[tuple[PlannedJob, Job]]:
        """Try every pending job once, ``width`` at a time (one thread each); return those that
        another process is running."""
        queue = iter(pending)
        waiting: list[tuple[PlannedJob, Job]] = []
        errors: list[BaseException] = []

        def work() -> None:
            while True:
                with self._tally:
                    item = None if errors or result.interrupted else next(queue, None)
                if item is None:
                    return
                try:
                    self._attempt(*item, result, waiting)
                except BaseException as exc:  # raised again in the calling thread below
                    with self._tally:
                        errors.append(exc)
                    return

        if width <= 1:
            work()
        else:
            threads = [threading.Thread(target=work, name=f"woasr-job-{i}") for i in range(width)]
            for thread in threads:
                thread.start()
            for thread in threads:
                while thread.is_alive():  # a timed join keeps the main thread's signals live
                    thread.join(timeout=0.2)
        if errors:
            raise errors[0]
        return waiting

    def _attempt(
        self,
        planned: PlannedJob,
        job: Job,
        result: BatchResult,
        waiting: list[tuple[PlannedJob, Job]],
    ) -> None:
        if self.should_stop():
            result.interrupted = True
            return
        self.manifest.reclaim_dead_owner(job.id)
        latest = self.manifest.get(job.id)
        if latest is None or _failed_since(latest, self.started_at):
            return  # another worker of this batch already tried it
        if not self.manifest.claim(job.id, self.owner, LEASE_S):
            current = self.manifest.get(job.id)
            with self._tally:
                if current is not None and current.state in _HELD_OR_ABANDONED:
                    waiting.append((planned, current))  # an abandoned one is claimed next pass
                elif current is not None and current.state == JobState.DONE:
                    result.elsewhere += 1
            return
        if latest.attempts:  # tried before: a killed run may have left parts of its files
            drop_partial_writes(output_paths(planned.stem, self.options.formats))
        try:
            self._run_job(planned, job.id, result)
        except Interrupted:
            result.interrupted = True

    # -- one job -----------------------------------------------------------------------------
    def _run_job(self, planned: PlannedJob, job_id: int, result: BatchResult) -> None:
        path = planned.item.path
        segments, offset = self.manifest.checkpoints(job_id)
        resume = resume_of(segments, offset, self.manifest.meta(job_id))
        self.report(Event("started", input=str(path), resumed_from=offset if offset > 0 else None))
        heartbeat = _Heartbeat(self.manifest, job_id, self.owner)
        started = time.monotonic()
        try:
            duration = probe(path, self.options.audio_track).duration
        except InputError as exc:
            # Decoding opens it the same way and would say the same, after loading a model: a
            # rerun whose only work is a folder's corrupt files loaded one to fail them again.
            self._fail_claimed(job_id, str(path), reason(exc), result)
            return
        try:
            transcriber = self.transcriber()
            with heartbeat:
                # The batch's options per call: a shared Transcriber (a server's) may have been
                # loaded for another request's language, prompt, ...
                transcript = transcriber.transcribe(
                    path, resume=resume, should_stop=self.should_stop, options=self.options,
                    **self._callbacks(job_id, str(path), heartbeat, duration),
                )  # fmt: skip
                if planned.source is not None:
                    transcript.source = planned.source
                self._check_not_taken(job_id, planned)
                outputs = write_outputs(
                    transcript, planned.stem, self.options.formats, self.format_options
                )
        except LeaseLost as exc:
            # Another process owns this job now (we stalled past the lease); it finishes it.
            with self._tally:
                result.lost += 1
            self.report(Event("failed", input=str(path), reason=str(exc)))
            return
        except Interrupted:
            self.manifest.interrupt(job_id, self.owner)
            self.report(Event("interrupted", input=str(path)))
            raise
        except BATCH_FATAL as exc:
            # Every job would fail the same way (a capability the model lacks, a missing model
            # or extra): record why on this one and stop the batch.
            self.manifest.fail(job_id, self.owner, f"batch stopped: {exc}")
            raise
        except WoasrError as exc:
            self._fail_claimed(job_id, str(path), reason(exc), result)
            return
        except Exception as exc:
            # Anything else raised on one file (an engine's RuntimeError, a library's
            # unexpected error, a bug) fails that file at once, with the reason, instead of
            # leaving it running until its lease runs out; the batch goes on.
            log.info("%s failed", path, exc_info=True)
            self._fail_claimed(job_id, str(path), one_line(exc), result)
            return
        elapsed = time.monotonic() - started
        self.manifest.finish(
            job_id, self.owner, [str(p) for p in outputs], transcript.duration, elapsed,
            self.file_layouts(planned.stem), packed(transcript),
        )  # fmt: skip
        with self._tally:
            result.done += 1
        worked = max(transcript.duration - offset, 0.0)
        self.report(
            Event(
                "done",
                input=str(path),
                duration=transcript.duration,
                elapsed=elapsed,
                realtime_factor=worked / elapsed if elapsed > 0 else None,
                outputs=[str(p) for p in outputs],
                language=transcript.language,
                words=transcript.word_count,
                audio_track=transcript.audio_track,
                warnings=list(transcript.warnings),
            )
        )

    def _check_not_taken(self, job_id: int, planned: PlannedJob) -> None:
        """Raise ``OutputError`` where another input's job finished into this job's files
        while it ran (its checkpoints stay, for a retry once those files are out of the way)."""
        job = self.manifest.get(job_id)
        if job is None:
            return
        wanted = self.file_layouts(planned.stem)
        other = written_meanwhile(self.manifest, job, wanted, job.content_fp, job.options_fp)
        if other is not None:
            held = next((p for p in wanted if Path(p).is_file()), next(iter(wanted)))
            raise OutputError(_held_by_another(held, other))

    def _callbacks(
        self, job_id: int, name: str, heartbeat: _Heartbeat, duration: float | None
    ) -> dict[str, Any]:
        def checkpoint(segments: list[Segment], done_seconds: float) -> None:
            heartbeat.check()
            self.manifest.checkpoint(
                job_id, self.owner, [s.to_dict() for s in segments], done_seconds,
                duration,
            )  # fmt: skip

        def on_language(language: str, probability: float | None) -> None:
            self.manifest.update_meta(job_id, language_meta(language, probability))

        def on_progress(done: float, duration: float | None) -> None:
            self.report(Event("progress", input=name, done_seconds=done, duration=duration))

        return {
            "checkpoint": checkpoint,
            "on_language_detected": on_language,
            "on_progress": on_progress,
        }

    def _fail_claimed(self, job_id: int, name: str, reason: str, result: BatchResult) -> None:
        self.manifest.fail(job_id, self.owner, reason)
        self._count_failure(name, reason, result)

    def _count_failure(self, name: str, reason: str, result: BatchResult) -> None:
        with self._tally:
            result.failed += 1
            result.failures.append((name, reason))
        self.report(Event("failed", input=name, reason=reason))

    def _fail(self, job: Job, name: str, reason: str, result: BatchResult) -> None:
        if self.manifest.claim(job.id, self.owner, LEASE_S):
            self._fail_claimed(job.id, name, reason, result)


def _held_by_another(path: str, owner: Job) -> str:
    return (
        f"{path} holds the transcript of {owner.input_path} (done earlier into this folder): "
        "not written over; another -o keeps both; delete those files (or --force) to replace them"
    )


def batch_done(manifest: Manifest, reason: str | None = None) -> Event:
    """The event that ends every batch that started, with the reason when it stopped early."""
    try:
        totals = manifest.totals_by_state()
    except ManifestError:
        totals = {}
    return Event("batch_done", totals=totals, reason=reason)


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line (a manifest reason, a job's error), at most 500 chars."""
    text = " ".join(str(exc).split())
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= 500 else line[:499] + "…"


def _failed_since(job: Job, started_at: float) -> bool:
    return job.state == JobState.FAILED and (job.finished_at or 0.0) >= started_at


class _Heartbeat:
    """Renews the job's lease from a thread while the engine works; a lost lease is raised in
    the working thread at its next checkpoint."""

    def __init__(self, manifest: Manifest, job_id: int, owner: str) -> None:
        self._args = (manifest, job_id, owner)
        self._stop = threading.Event()
        self._lost: LeaseLost | None = None
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        manifest, job_id, owner = self._args
        while not self._stop.wait(HEARTBEAT_S):
            try:
                manifest.renew(job_id, owner, LEASE_S)
            except LeaseLost as exc:
                self._lost = exc
                return
            except ManifestError:
                continue  # e.g. busy for a moment: the next beat tries again

    def check(self) -> None:
        if self._lost is not None:
            raise self._lost

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

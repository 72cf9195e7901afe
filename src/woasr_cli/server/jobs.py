"""The job service: submit, run, observe and cancel server jobs, one manifest job per file.

Files wait in one FIFO queue; worker threads (never the event loop) take them and run each
through the library's :class:`~woasr_cli.jobs.runner.BatchRunner` on the shared model, so a job
resumes from its checkpoints after a crash, finished work is never redone, and files of
different requests are decoded in the same batches where the provider batches across files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path

from woasr_cli.errors import (
    InputError,
    Interrupted,
    ManifestError,
    UsageError,
    WoasrError,
    reason,
)
from woasr_cli.events import Event
from woasr_cli.jobs.fingerprint import fingerprint_file
from woasr_cli.jobs.manifest import Manifest
from woasr_cli.jobs.owner import new_owner
from woasr_cli.jobs.runner import LEASE_S, BatchRunner, PlannedJob, one_line
from woasr_cli.jobs.states import JobState
from woasr_cli.media.discover import InputFile
from woasr_cli.model_pool import LoadedModel, ModelPool
from woasr_cli.options import TranscribeOptions
from woasr_cli.server.records import JobFile, JobRecord, RecordStore
from woasr_cli.server.settings import ServerSettings
from woasr_cli.server.status import TERMINAL, JobStatus, JobView, job_view
from woasr_cli.server.uploads import StoredFile, UploadStore

log = logging.getLogger("woasr.serve")

DEFAULT_WORKERS = 16
CLEANUP_EVERY_S = 3600.0


class NotFound(WoasrError):
    """An unknown job or file id."""


class QueueFull(WoasrError):
    """More files are waiting than the server accepts; the client should retry later."""


class Conflict(WoasrError):
    """The request does not fit the job's state (cancelling a finished job)."""


Unit = tuple[str, int]  # (job id, index of the file in the job)


class JobService:
    def __init__(
        self,
        settings: ServerSettings,
        models: ModelPool,
        uploads: UploadStore,
        scratch: UploadStore | None = None,
    ) -> None:
        self.settings = settings
        self.models = models
        self.uploads = uploads
        self.scratch = scratch  # the files of the requests answered at once (OpenAI routes)
        self.records = RecordStore(settings.data_dir / "jobs")
        self.manifest = Manifest.open(settings.data_dir / "manifest.sqlite")
        self._jobs: dict[str, JobRecord] = {}
        self._queue: deque[Unit] = deque()
        self._running: set[Unit] = set()
        self._cv = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.listeners: list[Callable[[str, Event], None]] = []
        self.manifest_error: str | None = None

    # -- life --------------------------------------------------------------------------------
    def start(self) -> None:
        """Load every job; queue the unfinished files of those not cancelled; start workers."""
        for record in self.records.load_all():
            self._jobs[record.id] = record
            if record.cancelled_at is not None:
                continue
            for index, f in enumerate(record.files):
                row = self.manifest.get(f.manifest_id)
                if row is None or row.state not in (JobState.DONE, JobState.FAILED):
                    self._queue.append((record.id, index))
        count = self.settings.workers or DEFAULT_WORKERS
        self._threads = [
            threading.Thread(target=self._work, name=f"woasr-serve-{i}", daemon=True)
            for i in range(count)
        ]
        if self.settings.keep_days is not None:
            self._threads.append(threading.Thread(target=self._cleaner, daemon=True))
        for thread in self._threads:
            thread.start()

    def begin_stop(self) -> None:
        """Stop taking work (the server got SIGTERM): running files stop after their current
        segment, resumable, and the progress streams and direct requests that watch
        :attr:`stopping` end, so the server does not wait on their connections."""
        self._stopping.set()
        with self._cv:
            self._cv.notify_all()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking work; running files stop after their current segment, resumable."""
        self.begin_stop()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.manifest.close()

    # -- submitting --------------------------------------------------------------------------
    def submit(
        self,
        file_ids: list[str],
        options: TranscribeOptions,
        formats: tuple[str, ...],
        request: dict[str, object],
    ) -> JobRecord:
        """Validate, load the model (once), register the files in the manifest and queue them.

        Raises :class:`NotFound` for unknown files, :class:`QueueFull`, and the library's
        errors for options or models it cannot serve. Runs in a worker thread."""
        stored = [self.uploads.get(i) for i in file_ids]
        found = [s for s in stored if s is not None]
        if len(found) != len(file_ids) or len(set(file_ids)) != len(file_ids):
            missing = [i for i, s in zip(file_ids, stored, strict=True) if s is None]
            raise NotFound(
                f"Some files not found: requested {len(file_ids)}, found {len(found)}"
                + (f" (unknown: {', '.join(missing)})" if missing else " (duplicate ids)")
            )
        if len(found) > self.settings.max_queue:  # a 503 would say "try again": it never fits
            raise UsageError(
                f"{len(found)} files in one job, more than the queue holds "
                f"({self.settings.max_queue}): split it"
            )
        with self._cv:
            if self.queue_length() + len(found) > self.settings.max_queue:
                raise QueueFull(f"the queue is full ({self.settings.max_queue} files)")
        options = self.settings.configured(options)
        self.models.check(options)  # load or fail now, not later in the background
        job_id = str(uuid.uuid4())
        folder = self.records.folder(job_id)
        files = tuple(self._link(folder, s, options) for s in found)
        record = JobRecord(
            id=job_id,
            created_at=round(time.time(), 3),
            files=files,
            options=options.public_dict(),
            formats=formats,
            request=request,
        )
        self.records.save(record)
        with self._cv:
            self._jobs[job_id] = record
            self._queue.extend((job_id, i) for i in range(len(files)))
            self._cv.notify_all()
        return record

    def _link(self, folder: Path, stored: StoredFile, options: TranscribeOptions) -> JobFile:
        inputs = folder / "inputs"
        inputs.mkdir(parents=True, exist_ok=True)
        source = Path(stored.path)
        link = inputs / source.name
        try:
            os.link(source, link)
        except OSError:  # another filesystem: a symlink reads the same
            link.symlink_to(source.absolute())
        row = self.manifest.register(str(link), fingerprint_file(link), options.fingerprint())
        return JobFile(stored.file_id, stored.filename, str(link), row.id, stored.duration)

    # -- reading -----------------------------------------------------------------------------
    def get(self, job_id: str) -> JobRecord:
        record = self._jobs.get(job_id)
        if record is None:
            raise NotFound(f"Job {job_id} not found")
        return record

    def view(self, job_id: str) -> JobView:
        record = self.get(job_id)
        try:
            rows = [self.manifest.get(f.manifest_id) for f in record.files]
        except ManifestError as exc:
            self.manifest_error = str(exc)
            raise
        self.manifest_error = None
        return job_view(record, rows)

    def views(self, newest: int | None = None) -> list[JobView]:
        """Every job's view (``newest``: only that many, the newest first), from one read of
        the manifest: a read per file made the job list and ``/metrics`` cost 0.1 s after
        1,500 jobs, and more with every job after."""
        records = list(self._jobs.values())
        if newest is not None:
            records = sorted(records, key=lambda r: r.created_at, reverse=True)[:newest]
        try:
            rows = self.manifest.get_many(f.manifest_id for r in records for f in r.files)
        except ManifestError as exc:
            self.manifest_error = str(exc)
            raise
        self.manifest_error = None
        return [job_view(r, [rows.get(f.manifest_id) for f in r.files]) for r in records]

    def count(self) -> int:
        return len(self._jobs)

    def healthy(self) -> bool:
        """No manifest failure since the last success, and every worker thread alive."""
        workers = [t for t in self._threads if t.name.startswith("woasr-serve-")]
        alive = self._stopping.is_set() or all(t.is_alive() for t in workers)
        return self.manifest_error is None and alive

    def queue_length(self) -> int:
        return len(self._queue) + len(self._running)

    def result_stem(self, job_id: str, file: JobFile) -> Path:
        return self.records.folder(job_id) / "results" / file.file_id

    # -- cancelling --------------------------------------------------------------------------
    def cancel(self, job_id: str) -> JobView:
        view = self.view(job_id)
        if view.status in TERMINAL:
            raise Conflict(f"Job {job_id} is already {view.status.value}")
        with self._cv:
            self._jobs[job_id] = self.records.cancel(view.record)
            self._queue = deque(u for u in self._queue if u[0] != job_id)
        return self.view(job_id)

    # -- working -----------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._stopping.is_set():
                    self._cv.wait()
                if self._stopping.is_set():
                    return
                unit = self._queue.popleft()
                self._running.add(unit)
            try:
                self._run(*unit)
            except Exception as exc:  # a bug must cost one file, not a worker thread
                log.exception("job %s file %d failed", *unit)
                record = self._jobs.get(unit[0])
                if record is not None:
                    with contextlib.suppress(WoasrError):
                        self._fail(record.files[unit[1]].manifest_id, new_owner(), one_line(exc))
            finally:
                with self._cv:
                    self._running.discard(unit)

    def _run(self, job_id: str, index: int) -> None:
        record = self._jobs[job_id]
        if record.cancelled_at is not None:
            return
        file = record.files[index]
        options = self.settings.complete(record.transcribe_options)
        owner = new_owner()

        def should_stop() -> bool:
            return self._stopping.is_set() or self._jobs[job_id].cancelled_at is not None

        try:
            # Waits while every model slot is in use by other work (a file for another model).
            with self.models.use(options, should_stop=should_stop) as loaded:
                self._run_on(loaded, job_id, index, options, should_stop)
        except Interrupted:  # stopped or cancelled while waiting: the file stays queued
            return
        except WoasrError as exc:  # the model does not load (any more)
            self._fail(file.manifest_id, owner, str(exc))

    def _run_on(
        self,
        loaded: LoadedModel,
        job_id: str,
        index: int,
        options: TranscribeOptions,
        should_stop: Callable[[], bool],
    ) -> None:
        file = self._jobs[job_id].files[index]
        runner = BatchRunner(
            self.manifest, options, reporter=lambda e: self._emit(job_id, e),
            should_stop=should_stop, transcriber=loaded.transcriber,
        )  # fmt: skip
        link = Path(file.input_path)
        planned = PlannedJob(
            InputFile(link, link.parent), self.result_stem(job_id, file), source=file.filename
        )
        with loaded.slots:
            try:
                runner.run([planned])
            except WoasrError as exc:  # fatal for the batch: this file's job failed
                self._fail(file.manifest_id, runner.owner, reason(exc))
            except Exception as exc:  # the runner fails a file's own errors; this is around it
                log.exception("job %s file %d failed", job_id, index)
                self._fail(file.manifest_id, runner.owner, one_line(exc))

    def _fail(self, manifest_id: int, owner: str, reason: str) -> None:
        row = self.manifest.get(manifest_id)
        if row is None:
            return
        ours = row.state == JobState.RUNNING and row.owner == owner
        free = row.state != JobState.RUNNING
        if ours or (free and self.manifest.claim(manifest_id, owner, LEASE_S)):
            self.manifest.fail(manifest_id, owner, reason)

    def _emit(self, job_id: str, event: Event) -> None:
        for listener in self.listeners:
            listener(job_id, event)

    # -- cleanup -----------------------------------------------------------------------------
    def cleanup(self, now: float | None = None) -> int:
        """Delete finished jobs and uploads older than ``keep_days``, and what a server that
        died left of an upload being stored or of a request being answered (those are deleted
        when the request ends, but not by a server killed meanwhile: a crash during a 500 MB
        request to ``/v1/audio/transcriptions`` kept its 500 MB for good); returns jobs
        deleted."""
        if self.settings.keep_days is None:
            return 0
        cutoff = (now or time.time()) - self.settings.keep_days * 86400
        deleted = 0
        for view in self.views():
            if view.record.created_at >= cutoff or view.status not in TERMINAL:
                continue
            with self._cv:
                self._jobs.pop(view.record.id, None)
            for f in view.record.files:
                with contextlib.suppress(WoasrError):
                    self.manifest.forget(f.manifest_id)
            self.records.delete(view.record.id)
            deleted += 1
        in_use = {f.file_id for r in self._jobs.values() for f in r.files}
        for file_id in self.uploads.older_than(cutoff):
            if file_id not in in_use:
                self.uploads.delete(file_id)
        stores = [self.uploads]
        if self.scratch is not None:
            stores.append(self.scratch)
            for file_id in self.scratch.older_than(cutoff):  # no request takes that long
                self.scratch.delete(file_id)
        for store in stores:
            for stray in store.strays_older_than(cutoff):
                stray.unlink(missing_ok=True)
        return deleted

    def _cleaner(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(OSError, WoasrError):  # tried again at the next round
                self.cleanup()
            self._stopping.wait(CLEANUP_EVERY_S)


__all__ = ["Conflict", "InputError", "JobService", "JobStatus", "NotFound", "QueueFull"]

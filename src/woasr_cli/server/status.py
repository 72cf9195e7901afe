"""A server job's state as the original API reports it, derived from the manifest rows of its
files: ``queued | processing | completed | failed | cancelled`` and progress in audio seconds."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from woasr_cli.jobs.job import Job
from woasr_cli.jobs.states import JobState
from woasr_cli.server.records import JobFile, JobRecord


class JobStatus(str, Enum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})


@dataclass(frozen=True)
class FileView:
    file: JobFile
    row: Job | None

    @property
    def state(self) -> JobState | None:
        return self.row.state if self.row else None

    @property
    def duration(self) -> float | None:
        return (self.row.duration if self.row else None) or self.file.duration

    @property
    def done_seconds(self) -> float:
        if self.row is None:
            return 0.0
        if self.row.state == JobState.DONE:
            return self.duration or self.row.done_seconds
        return self.row.done_seconds


@dataclass(frozen=True)
class JobView:
    record: JobRecord
    files: tuple[FileView, ...]
    status: JobStatus
    progress: int
    current_file: str | None
    started_at: float | None
    completed_at: float | None
    error: str | None
    done_seconds: float
    total_seconds: float | None


def job_view(record: JobRecord, rows: list[Job | None]) -> JobView:
    files = tuple(FileView(f, row) for f, row in zip(record.files, rows, strict=True))
    states = [f.state for f in files]
    failures = [f for f in files if f.state == JobState.FAILED]
    unfinished = [s for s in states if s not in (JobState.DONE, JobState.FAILED)]
    if record.cancelled_at is not None:
        status = JobStatus.CANCELLED
    elif not unfinished:
        status = JobStatus.FAILED if failures else JobStatus.COMPLETED
    elif any(f.state != JobState.PENDING or f.done_seconds > 0 for f in files):
        status = JobStatus.PROCESSING
    else:
        status = JobStatus.QUEUED
    done = sum(f.done_seconds for f in files)
    durations = [f.duration for f in files]
    total = sum(d for d in durations if d) if all(durations) else None
    if status == JobStatus.COMPLETED:
        progress = 100
    elif total:
        progress = min(99, int(100 * done / total))
    else:
        progress = int(100 * (len(files) - len(unfinished)) / len(files))
    running = [f.file.filename for f in files if f.state == JobState.RUNNING]
    starts = [f.row.started_at for f in files if f.row and f.row.started_at]
    ends = [f.row.finished_at for f in files if f.row and f.row.finished_at]
    return JobView(
        record=record,
        files=files,
        status=status,
        progress=progress,
        current_file=running[0] if running else None,
        started_at=min(starts) if starts else None,
        completed_at=record.cancelled_at or (max(ends) if status in TERMINAL and ends else None),
        error="; ".join(f"{f.file.filename}: {f.row.error}" for f in failures if f.row) or None,
        done_seconds=round(done, 3),
        total_seconds=None if total is None else round(total, 3),
    )

"""One row of the manifest, as an immutable value."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from woasr_cli.jobs.states import JobState
from woasr_cli.jobs.stored_text import loaded


@dataclass(frozen=True)
class Job:
    """A snapshot of one input's job; the manifest row may have moved on since it was read.

    Times are seconds: ``started_at``/``finished_at``/``lease_until`` on the Unix clock (shared
    by every process), the rest as durations. ``done_seconds`` is how far into the audio the
    finished segments reach; ``resumed_from`` is where the current or last attempt started.
    """

    id: int
    input_path: str
    content_fp: str
    options_fp: str
    state: JobState
    attempts: int = 0
    duration: float | None = None
    done_seconds: float = 0.0
    resumed_from: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    elapsed: float | None = None
    realtime_factor: float | None = None
    outputs: tuple[str, ...] = ()
    error: str | None = None
    owner: str | None = None
    lease_until: float | None = None

    @property
    def progress(self) -> float | None:
        """Fraction of the audio done, when the duration is known."""
        if not self.duration:
            return None
        return min(self.done_seconds / self.duration, 1.0)

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Job:
        """Build from a row selected as ``SELECT {COLUMNS} FROM jobs``."""
        data = dict(zip(COLUMN_NAMES, row, strict=True))
        data["state"] = JobState(data["state"])
        data["input_path"] = loaded(data["input_path"])
        if data["error"] is not None:
            data["error"] = loaded(data["error"])
        data["outputs"] = tuple(json.loads(data["outputs"]))
        return cls(**data)


COLUMN_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Job))
COLUMNS = ", ".join(COLUMN_NAMES)

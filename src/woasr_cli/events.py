"""Batch events: what the runner reports and every front end (rich, plain, JSON) renders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

EventKind = Literal[
    "batch_started",  # total files and known audio seconds
    "started",  # one job begins (or resumes)
    "progress",  # audio seconds done within a job
    "done",
    "skipped",  # done earlier with the same input and options; outputs exist
    "failed",
    "interrupted",
    "batch_done",
]


@dataclass(frozen=True)
class Event:
    kind: EventKind
    input: str | None = None
    done_seconds: float | None = None
    duration: float | None = None
    elapsed: float | None = None
    realtime_factor: float | None = None  # audio seconds per wall second ("x real time")
    outputs: list[str] = field(default_factory=list)
    reason: str | None = None
    language: str | None = None
    resumed_from: float | None = None
    totals: dict[str, int] = field(default_factory=dict)
    total_files: int | None = None
    worker: str | None = None  # which worker process (or cluster actor) did the work
    words: int | None = None  # a file's words transcribed (0: no speech found)
    # of a file with several audio tracks, the one transcribed: index (0-based), language, of
    audio_track: dict[str, Any] | None = None
    # done: what the user should know of the input, one line each (its audio cut off)
    warnings: list[str] = field(default_factory=list)
    # the input as a person reads it: relative to the folder the batch's inputs share
    # (jobs/input_names.py); ``input`` stays the absolute path
    name: str | None = None
    inputs_dir: str | None = None  # batch_started: that folder, where there is one

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], {})}


Reporter = Callable[[Event], None]


def null_reporter(event: Event) -> None:
    del event

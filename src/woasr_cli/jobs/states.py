"""Job states and the one table of allowed transitions between them.

::

    pending ──> running ──> done ──> pending      (input/options changed, --force, output gone)
                   │ ├────> failed ──────> running  (retry)
                   │ ├────> interrupted ─> running  (resume)
                   │ └────> pending                (lease reclaimed: the owner died)

The manifest checks every state change it makes against :data:`TRANSITIONS`, and builds the
``WHERE`` clause of its atomic claim from the same table.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from woasr_cli.errors import ManifestError


class JobState(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    INTERRUPTED = "interrupted"

    def __str__(self) -> str:
        return self.value


TRANSITIONS: Mapping[JobState, frozenset[JobState]] = {
    JobState.PENDING: frozenset({JobState.RUNNING}),
    JobState.RUNNING: frozenset(
        {JobState.DONE, JobState.FAILED, JobState.INTERRUPTED, JobState.PENDING}
    ),
    JobState.DONE: frozenset({JobState.PENDING}),
    JobState.FAILED: frozenset({JobState.RUNNING}),
    JobState.INTERRUPTED: frozenset({JobState.RUNNING}),
}


def can_transition(old: JobState, new: JobState) -> bool:
    return new in TRANSITIONS[old]


def check_transition(old: JobState, new: JobState) -> None:
    """Raise :class:`ManifestError` unless ``old -> new`` is in :data:`TRANSITIONS`."""
    if not can_transition(old, new):
        raise ManifestError(f"illegal job state change: {old.value} -> {new.value}")


def sources_of(new: JobState) -> frozenset[JobState]:
    """Every state from which a job may move to ``new``."""
    return frozenset(old for old, targets in TRANSITIONS.items() if new in targets)

from __future__ import annotations

import itertools

import pytest

from woasr_cli.errors import ManifestError
from woasr_cli.jobs.states import (
    TRANSITIONS,
    JobState,
    can_transition,
    check_transition,
    sources_of,
)

P, R, D, F, INT = (
    JobState.PENDING,
    JobState.RUNNING,
    JobState.DONE,
    JobState.FAILED,
    JobState.INTERRUPTED,
)
# The table, written out independently of the code under test.
LEGAL = {(P, R), (R, D), (R, F), (R, INT), (R, P), (F, R), (INT, R), (D, P)}
ALL_PAIRS = list(itertools.product(JobState, repeat=2))


def test_state_values_are_the_stored_names() -> None:
    assert [s.value for s in JobState] == ["pending", "running", "done", "failed", "interrupted"]
    assert JobState("done") is D
    assert str(F) == "failed"


def test_every_state_has_an_entry() -> None:
    assert set(TRANSITIONS) == set(JobState)


@pytest.mark.parametrize(("old", "new"), sorted(LEGAL))
def test_legal_transitions(old: JobState, new: JobState) -> None:
    assert can_transition(old, new)
    check_transition(old, new)


@pytest.mark.parametrize(("old", "new"), [p for p in ALL_PAIRS if p not in LEGAL])
def test_illegal_transitions_raise(old: JobState, new: JobState) -> None:
    assert not can_transition(old, new)
    with pytest.raises(ManifestError, match=f"{old.value} -> {new.value}"):
        check_transition(old, new)


def test_sources_of_running_are_the_claimable_states() -> None:
    assert sources_of(R) == {P, F, INT}
    assert sources_of(P) == {R, D}
    assert sources_of(D) == {R}

"""Slot packing: short chunks share 30 s slots; segments go back to their chunk or are redone."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from woasr_cli.providers.slot_packing import GAP_S, SLOT_S, Placement, assign, pack
from woasr_cli.transcript import Segment


def test_short_chunks_share_a_slot_a_gap_apart() -> None:
    placements = pack([10.0, 12.0, 25.0, 5.0])
    # Longest first: 25 s alone (25 + 1 + 5 > 30), then 12, 10 and 5 s together.
    assert placements[2] == Placement(2, 0, 0.0)
    assert placements[0] == Placement(0, 1, 0.0)  # batch order within the slot
    assert placements[1] == Placement(1, 1, 10.0 + GAP_S)
    assert placements[3] == Placement(3, 1, 10.0 + GAP_S + 12.0 + GAP_S)


def test_without_sharing_each_chunk_has_its_slot() -> None:
    assert pack([3.0, 4.0], share=False) == [Placement(0, 0, 0.0), Placement(1, 1, 0.0)]


@given(st.lists(st.floats(min_value=0.1, max_value=30.0), min_size=1, max_size=16))
def test_packed_slots_never_overflow_or_overlap(durations: list[float]) -> None:
    placements = pack(durations)
    assert sorted(p.chunk for p in placements) == list(range(len(durations)))
    slots: dict[int, list[tuple[float, float]]] = {}
    for p in placements:
        slots.setdefault(p.slot, []).append((p.offset, p.offset + durations[p.chunk]))
    for spans in slots.values():
        spans.sort()
        assert spans[-1][1] <= SLOT_S + 1e-9
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start - end >= GAP_S - 1e-9
    assert len(slots) <= len(durations)


def seg(start: float, end: float, text: str) -> Segment:
    return Segment(start, end, text)


def test_segments_go_back_to_their_chunk_in_chunk_time() -> None:
    durations = [10.0, 8.0]
    placements = [Placement(0, 0, 0.0), Placement(1, 0, 11.0)]
    found = [(0, seg(0.2, 9.8, "first")), (0, seg(11.3, 18.7, "second"))]
    per_chunk, redo = assign(found, placements, durations)
    assert redo == set()
    assert [(s.start, s.end, s.text) for s in per_chunk[0]] == [(0.2, 9.8, "first")]
    (second,) = per_chunk[1]
    assert second.text == "second"
    assert (second.start, second.end) == pytest.approx((0.3, 7.7))


def test_a_segment_across_two_chunks_sends_both_back() -> None:
    durations = [10.0, 8.0, 6.0]
    placements = [Placement(0, 0, 0.0), Placement(1, 0, 11.0), Placement(2, 1, 0.0)]
    found = [(0, seg(7.0, 14.0, "mixed")), (1, seg(0.0, 6.0, "alone"))]
    per_chunk, redo = assign(found, placements, durations)
    assert redo == {0, 1}
    assert per_chunk[0] == [] and per_chunk[1] == []
    assert [s.text for s in per_chunk[2]] == ["alone"]


def test_overrun_into_the_gap_is_timing_slack() -> None:
    durations = [10.0, 8.0]
    placements = [Placement(0, 0, 0.0), Placement(1, 0, 11.0)]
    found = [(0, seg(0.0, 10.8, "first")), (0, seg(11.2, 19.0, "second"))]
    per_chunk, redo = assign(found, placements, durations)
    assert redo == set() and [len(c) for c in per_chunk] == [1, 1]


def test_a_chunk_left_empty_in_a_shared_slot_is_redone() -> None:
    # Whisper stopped at the gap: the second chunk got nothing.
    durations = [10.0, 8.0]
    placements = [Placement(0, 0, 0.0), Placement(1, 0, 11.0)]
    per_chunk, redo = assign([(0, seg(0.0, 9.0, "first"))], placements, durations)
    assert redo == {1}
    assert [s.text for s in per_chunk[0]] == ["first"]

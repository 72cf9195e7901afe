"""Pack several short speech chunks into one 30 s Whisper input, and sort the segments out again.

Whisper's encoder always runs on 30 s of audio, and on CPU it is most of the cost (tiny.en,
beam 5: ~80 %). A folder of short clips leaves most of each 30 s slot as padding, so chunks of
different files share a slot, a second of silence apart. Each segment goes back to the chunk it
lies in; a segment that runs across two chunks, or a chunk that got no segment in a shared slot
(Whisper may stop at the gap), is decoded again in a slot of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from woasr_cli.transcript import Segment

SLOT_S = 30.0
GAP_S = 1.0
# A segment may overrun into the gap by Whisper's timing slack; more than this into the speech of
# two chunks means it mixes them.
_OVERLAP_S = 0.3


@dataclass(frozen=True)
class Placement:
    chunk: int  # index into the batch
    slot: int
    offset: float  # seconds from the slot's start


def pack(durations: list[float], share: bool = True) -> list[Placement]:
    """Slots for chunks of these durations: first-fit decreasing when ``share``, else one slot
    each. Within a slot chunks keep their batch order."""
    if not share:
        return [Placement(i, i, 0.0) for i in range(len(durations))]
    fill: list[float] = []
    slot_of: dict[int, int] = {}
    for i in sorted(range(len(durations)), key=lambda i: -durations[i]):
        fits = (s for s, used in enumerate(fill) if used + GAP_S + durations[i] <= SLOT_S)
        s = next(fits, None)
        if s is None:
            fill.append(durations[i])
            slot_of[i] = len(fill) - 1
        else:
            fill[s] += GAP_S + durations[i]
            slot_of[i] = s
    placements: list[Placement] = []
    ends: dict[int, float] = {}
    for i, duration in enumerate(durations):
        s = slot_of[i]
        start = ends[s] + GAP_S if s in ends else 0.0
        ends[s] = start + duration
        placements.append(Placement(i, s, start))
    return placements


def assign(
    found: list[tuple[int, Segment]], placements: list[Placement], durations: list[float]
) -> tuple[list[list[Segment]], set[int]]:
    """``(slot, segment in slot time)`` -> each chunk's segments in chunk time, and the chunks
    whose slot-mates made them unreliable (to be decoded again alone)."""
    per_chunk: list[list[Segment]] = [[] for _ in placements]
    members: dict[int, list[Placement]] = {}
    for p in placements:
        members.setdefault(p.slot, []).append(p)
    redo: set[int] = set()
    for slot, seg in found:
        mates = members.get(slot)
        if not mates:
            continue
        spans = [(p, p.offset, p.offset + durations[p.chunk]) for p in mates]
        inside = [p for p, a, b in spans if min(seg.end, b) - max(seg.start, a) > _OVERLAP_S]
        if len(inside) > 1:
            redo.update(p.chunk for p in inside)
            continue
        middle = (seg.start + seg.end) / 2
        owner = inside[0] if inside else min(spans, key=lambda s: _distance(middle, s[1], s[2]))[0]
        per_chunk[owner.chunk].append(seg.shifted(-owner.offset))
    for mates in members.values():
        if len(mates) > 1:
            redo.update(p.chunk for p in mates if not per_chunk[p.chunk])
    for i in redo:
        per_chunk[i] = []
    return per_chunk, redo


def _distance(t: float, start: float, end: float) -> float:
    return max(start - t, t - end, 0.0)

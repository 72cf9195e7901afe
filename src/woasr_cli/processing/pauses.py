"""Segments never run across a long pause: split them where their words stop for >= 1.5 s.

Batched decoding joins the speech of a window into 30 s chunks with the silences removed, so one
Whisper segment can hold speech from both sides of a long pause. A subtitle cue must not stay on
screen through it, and a pause is where a new thought starts, so the segment is cut there, from
its word times. Segments without word times are left as they are.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from woasr_cli.transcript import Segment, Word

PAUSE_S = 1.5


def split_at_pauses(segment: Segment, pause_s: float = PAUSE_S) -> list[Segment]:
    """``segment`` cut at every gap of at least ``pause_s`` between consecutive words."""
    words = segment.words
    if len(words) < 2:
        return [segment]
    groups: list[list[Word]] = [[words[0]]]
    for prev, word in pairwise(words):
        if word.start - prev.end >= pause_s:
            groups.append([])
        groups[-1].append(word)
    if len(groups) == 1:
        return [segment]
    # Words carry no separators; scripts written without spaces join without them.
    sep = " " if " " in segment.text.strip() else ""
    return [
        replace(
            segment,
            start=group[0].start,
            end=group[-1].end,
            text=sep.join(w.text for w in group).strip(),
            words=group,
        )
        for group in groups
    ]

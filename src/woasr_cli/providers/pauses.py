"""Segments never run across a long pause: split them where their words stop for >= 1.5 s.

Also: a segment decoded without Whisper's timestamp tokens (a whole 30 s chunk) cut into
sentences at the words that end one.

Batched decoding joins the speech of a window into 30 s chunks with the silences removed, so one
Whisper segment can hold speech from both sides of a long pause. A subtitle cue must not stay on
screen through it, and a pause is where a new thought starts, so the segment is cut there, from
its word times. Segments without word times are left as they are.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from woasr_cli.punctuation import ends_sentence
from woasr_cli.spacing import join
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
    return _regroup(segment, groups)


def split_at_times(segment: Segment, times: list[float]) -> list[Segment]:
    """``segment`` cut before the first word at or after each of ``times`` (ascending): a
    segment decoded from pieces of a window joined end to end is cut back into its pieces."""
    groups: list[list[Word]] = [[]]
    cuts = iter(times)
    cut = next(cuts, None)
    for word in segment.words:
        moved = False
        while cut is not None and word.start >= cut:
            cut, moved = next(cuts, None), True
        if moved and groups[-1]:
            groups.append([])
        groups[-1].append(word)
    return _regroup(segment, groups)


def split_sentences(segment: Segment) -> list[Segment]:
    """``segment`` cut after every word that ends a sentence (needs word times)."""
    words = segment.words
    groups: list[list[Word]] = [[]]
    for i, word in enumerate(words):
        groups[-1].append(word)
        if ends_sentence(word.text) and i + 1 < len(words):
            groups.append([])
    return _regroup(segment, groups)


def _regroup(segment: Segment, groups: list[list[Word]]) -> list[Segment]:
    if len(groups) <= 1:
        return [segment]
    return [
        replace(
            segment,
            start=group[0].start,
            end=group[-1].end,
            text=join(group).strip(),
            words=group,
        )
        for group in groups
    ]

"""Timed words into segments, for engines that give words but no segments of their own (CTC
models, NeMo): a new segment at a sentence end, at a pause, or when one grows too long."""

from __future__ import annotations

from woasr_cli.punctuation import ends_sentence
from woasr_cli.spacing import join
from woasr_cli.transcript import Segment, Word

SEGMENT_GAP_S = 0.8  # a pause this long between words starts a new segment
SEGMENT_MAX_S = 15.0


def group_words(words: list[Word]) -> list[Segment]:
    """Words (in time order) into segments at sentence ends, pauses and ``SEGMENT_MAX_S``."""
    groups: list[list[Word]] = []
    for word in words:
        current = groups[-1] if groups else None
        if (
            current is None
            or ends_sentence(current[-1].text)
            or word.start - current[-1].end >= SEGMENT_GAP_S
            or word.end - current[0].start > SEGMENT_MAX_S
        ):
            groups.append([word])
        else:
            current.append(word)
    return [Segment(g[0].start, max(w.end for w in g), join(g), words=g) for g in groups]

"""NeMo hypotheses to woasr segments: word timestamps in seconds, grouped into segments.

NeMo reports word (and segment) timestamps as encoder-frame offsets, and in recent versions
also in seconds (``start``/``end``). Its segments end at ``.``/``?``/``!`` (and at pauses only
when configured), so a model without punctuation can give one segment per input. Segments are
therefore built here from the words: a new one at a sentence end, at a pause, or before one
grows past ``SEGMENT_MAX_S``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from woasr_cli.providers.word_groups import group_words
from woasr_cli.transcript import Segment, Word


@dataclass(frozen=True)
class Span:
    """Where one decoded chunk lies in the audio the provider was given (seconds)."""

    start: float
    end: float
    frame_s: float  # seconds per encoder frame (window stride x subsampling factor)


def _seconds(entry: Mapping[str, Any], key: str, span: Span) -> float:
    value = entry.get(key)
    if value is None:  # older NeMo: frame offsets only
        value = float(entry[f"{key}_offset"]) * span.frame_s
    # Relative to the chunk; kept inside it (NeMo pads short inputs, so ends can overshoot).
    return min(max(span.start + float(value), span.start), span.end)


def _timed(entries: list[Mapping[str, Any]], key: str, span: Span) -> list[Word]:
    out = []
    for entry in entries:
        # NeMo joins a word that starts with punctuation (an apostrophe) to the previous one.
        text = " ".join(str(entry.get(key, "")).split())
        if text:
            start = _seconds(entry, "start", span)
            out.append(Word(start, max(start, _seconds(entry, "end", span)), text))
    out.sort(key=lambda w: w.start)
    return out


def hypothesis_words(hypothesis: Any, span: Span) -> list[Word]:
    """The hypothesis's timed words, in order, inside ``span``."""
    stamps = getattr(hypothesis, "timestamp", None) or {}
    return _timed(list(stamps.get("word") or []), "word", span)


def hypothesis_segments(hypothesis: Any, span: Span) -> list[Segment]:
    """Segments for one decoded chunk: from its words, else NeMo's segments, else the span."""
    words = hypothesis_words(hypothesis, span)
    if words:
        return group_words(words)
    stamps = getattr(hypothesis, "timestamp", None) or {}
    timed = _timed(list(stamps.get("segment") or []), "segment", span)
    if timed:
        return [Segment(s.start, s.end, s.text) for s in timed]
    text = str(getattr(hypothesis, "text", "") or "").strip()
    # Text without any timestamps: the only honest times are the chunk's own.
    return [Segment(span.start, span.end, text)] if text else []

"""The first word after a pause starts no earlier than the speech does.

Batched decoding hears each stretch of speech with the VAD's padding around it (400 ms of the
silence before it, speech_chunks.VAD_PAD_MS), and Whisper's cross-attention often starts the
first word where that padding starts: on benchmarks/long_recording.py's hour, words after a
pause started within 0.25 s of their known time 70 % of the time, against 90 % for the others,
most of the misses ~0.4 s early - a subtitle up before anyone speaks. Where the VAD set a span
apart from the speech before it, the speech began ``pad`` after the span's start; the first
word of it is moved to start ``ONSET_MARGIN_S`` before that (Silero's onsets come a little
late on soft first sounds), when the word runs past that point and nothing was said between
the span's start and it.
"""

from __future__ import annotations

from dataclasses import replace

from woasr_cli.media import SAMPLE_RATE
from woasr_cli.providers.speech_chunks import SpeechChunk
from woasr_cli.transcript import Segment

ONSET_MARGIN_S = 0.1  # measured: 0.0 / 0.05 / 0.1 / 0.15 -> 87.8 / 88.0 / 88.9 / 88.9 % (87.0)


def speech_onsets(
    chunks: list[SpeechChunk], pad_s: float, opening: float | None = None
) -> list[float]:
    """Seconds into the window where speech starts after a silence, as the VAD found it: the
    start of each span not joined to the one before (a silence under twice the padding is split
    between the two spans, leaving no gap) nor at the window's start, plus ``pad_s``; and
    ``opening``, where the VAD heard the speech of a span at the window's start begin (a file's
    first words: jfk.wav's "And" at 0.3 s started at 0.0)."""
    spans = sorted(span for chunk in chunks for span in chunk.spans)
    onsets: list[float] = [opening] if opening else []
    before = None
    for start, end in spans:
        if start > 0 and (before is None or start > before):
            onsets.append(start / SAMPLE_RATE + pad_s)
        before = end if before is None else max(before, end)
    return onsets


def start_at_onsets(
    segments: list[Segment], onsets: list[float], pad_s: float, lag_s: float = 0.0
) -> list[Segment]:
    """``segments`` (in time order, window time) with the first word after each onset moved to
    start ``ONSET_MARGIN_S`` before it. ``lag_s``: how late this model's word times are (they
    are moved earlier by that later on: providers/word_lag.py)."""
    if not onsets:
        return segments
    out: list[Segment] = []
    pending = sorted(onsets)
    at = 0
    last_end = float("-inf")  # where the word before ended, as the speech is timed
    for segment in segments:
        words = list(segment.words)
        for k, word in enumerate(words):
            start, end = word.start - lag_s, word.end - lag_s
            while at < len(pending) and pending[at] - pad_s <= last_end:
                at += 1  # speech went on past this onset's padding: not a first word
            if at < len(pending):
                onset = pending[at]
                target = onset - ONSET_MARGIN_S
                if onset - pad_s - 0.1 <= start < target < end:
                    words[k] = replace(word, start=target + lag_s)
                    at += 1
            last_end = max(last_end, end)
        if words == segment.words:
            out.append(segment)
        else:
            moved_first = words[0] is not segment.words[0]
            start = words[0].start if moved_first else segment.start
            out.append(replace(segment, start=start, words=words))
    return out

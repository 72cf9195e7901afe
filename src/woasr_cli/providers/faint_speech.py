"""Speech too faint for the VAD's start of speech, kept for Whisper to hear.

Silero starts speech at a probability of 0.5, and a soft word between two spans can stay under
it: jfk's "ask" scored 0.41-0.61 clean and 0.29-0.41 under room tone at 0 dB SNR, where batched
decoding (which transcribes VAD spans only) wrote "And so my fellow Americans, not what your
country can do for you" (whisper-ctranslate2's sequential mode, which decodes the silences too,
kept it). A run of ``FAINT_FRAMES`` frames scored ``FAINT`` or more that no span covers is kept
as speech (:func:`faint_spans`): on benchmarks/long_recording.py's hour 3.8 s more of 2914 s; a
lower threshold for all speech (0.4) cost WER everywhere (docs/performance.md, session 22).

A run that only trails speech - reaching back to the span before it but not on to the next - is
kept only when it lasts ``TRAIL_FRAMES`` (a word or more): room tone starting right after speech
scored 0.25-0.49 over 5 frames at its onset, and Whisper, given that audio after "... ask what
you can do for your country.", guessed "Yeah." (probability 0.03) and timed it within the span
before, where nothing tells it from a word; under room tone 5 dB above jfk, the end of "ask what
you can do for your country" scored 0.26-0.36 over 19 frames in three runs after the span
before it, and is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FAINT = 0.25  # a run of frames scored this (Silero starts speech at 0.5) ...
FAINT_FRAMES = 4  # ... this long (128 ms) between spans is speech too quiet for the VAD
TRAIL_FRAMES = 10  # ... or this long (320 ms) where it only trails speech
VAD_FRAME = 512  # samples a Silero probability covers

Span = tuple[int, int]  # samples


def faint_spans(
    spans: Sequence[Span],
    probabilities: npt.NDArray[np.float32],
    length: int,
    pad: int,
    longest: int,
) -> list[Span]:
    """The faint speech around ``spans`` (the VAD's, in order): runs of ``FAINT_FRAMES`` frames
    scored ``FAINT`` or more that no span covers, padded by ``pad`` samples as the VAD pads
    speech but not into the spans beside them, runs that reach each other made one, short runs
    that only trail speech left out (see the module docstring), and cut into pieces of at most
    ``longest`` samples (as the VAD cuts its own)."""
    maybe = np.asarray(probabilities).reshape(-1) >= FAINT
    covered = np.zeros(len(maybe), dtype=bool)
    for start, end in spans:
        covered[start // VAD_FRAME : -(-end // VAD_FRAME)] = True
    found = np.concatenate([[0], (maybe & ~covered).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(found))
    runs: list[tuple[int, int, int]] = []  # (start, end, frames scored FAINT or more)
    for a, b in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        if b - a < FAINT_FRAMES:
            continue
        before = max((end for _, end in spans if end <= a * VAD_FRAME), default=0)
        after = min((start for start, _ in spans if start >= b * VAD_FRAME), default=length)
        start, end = max(before, a * VAD_FRAME - pad), min(after, b * VAD_FRAME + pad, length)
        if runs and start <= runs[-1][1]:  # padded into the one before: one run
            first, last, frames = runs[-1]
            runs[-1] = (first, max(last, end), frames + b - a)
        elif end > start:
            runs.append((start, end, b - a))
    kept = [(s, e) for s, e, n in runs if n >= TRAIL_FRAMES or not _trails(s, e, spans)]
    return [
        (at, min(at + longest, end)) for start, end in kept for at in range(start, end, longest)
    ]


def _trails(start: int, end: int, spans: Sequence[Span]) -> bool:
    """``[start, end)`` reaches back to a span's end and not on to the next span's start."""
    return any(e == start for _, e in spans) and not any(s == end for s, _ in spans)

"""Whisper's temperature fallback rule, for decodes made without it.

Whisper decodes a 30 s window at temperature 0 and decodes it again at the next temperature of
its list when the text fails one of two checks: it compresses too well (gzip ratio above
``compression_ratio_threshold``, 2.4: the same words over and over, "Pujulebja nu!" forty times
for 11 s of French read by espeak-ng that Whisper ``base`` took for Latin), or the decoder was
unsure of it (mean token log-probability below ``logprob_threshold``, -1), unless it is
silence (unsure, and the no-speech probability above ``no_speech_threshold``). faster-whisper's
sequential ``transcribe`` applies it; its batched pipeline decodes at the first temperature only
and keeps what comes out, loops included. woasr decodes a batch that way, then decodes the
chunks that fail the rule again, alone and with the rest of the list
(faster_whisper_batch.pipeline_decoder).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from woasr_cli.options import TranscribeOptions
from woasr_cli.transcript import Segment


def compression_ratio(text: str) -> float:
    """Bytes of ``text`` over bytes of its zlib compression (Whisper's measure of repetition)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def decode_text(segments: Sequence[Segment]) -> str:
    """The text of one decode, as Whisper's check reads it."""
    return " ".join(s.text.strip() for s in segments if s.text.strip())


def mean_logprob(segments: Sequence[Segment]) -> float | None:
    """The decode's mean token log-probability (each segment of one decode carries it)."""
    found = [s.avg_logprob for s in segments if s.avg_logprob is not None]
    return sum(found) / len(found) if found else None


def repeats(segments: Sequence[Segment], options: TranscribeOptions) -> bool:
    """The decode's text compresses better than Whisper allows: text repeated in a loop."""
    threshold = options.compression_ratio_threshold
    return threshold is not None and compression_ratio(decode_text(segments)) > threshold


def needs_fallback(segments: Sequence[Segment], options: TranscribeOptions) -> bool:
    """Whisper's rule: decode again at a higher temperature (when the list has one)."""
    if len(options.temperature) < 2 or not segments:
        return False
    logprob = mean_logprob(segments)
    unsure = (
        options.logprob_threshold is not None
        and logprob is not None
        and logprob < options.logprob_threshold
    )
    no_speech = max((s.no_speech_prob or 0.0) for s in segments)
    threshold = options.no_speech_threshold
    if unsure and threshold is not None and no_speech > threshold:
        return False  # silence: Whisper's no-speech rule drops it, a second decode would not
    return unsure or repeats(segments, options)


def better(
    first: list[Segment], again: list[Segment], options: TranscribeOptions
) -> list[Segment]:
    """The decode to keep of the first one (temperature 0) and the one decoded again: Whisper
    keeps, of the decodes that do not repeat, the one with the highest mean log-probability."""
    if repeats(first, options) or not first:
        return again
    if not again or repeats(again, options):
        return first
    a, b = mean_logprob(first), mean_logprob(again)
    if a is None or b is None:
        return again
    return first if a >= b else again

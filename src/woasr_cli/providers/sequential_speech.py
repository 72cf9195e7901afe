"""The speech faster-whisper's sequential decoding hears, found here, and the silences its word
times are checked against.

faster-whisper's ``vad_filter`` finds the speech (``VAD_PARAMETERS``: 800 ms of padding, silences
of 2 s or more left out), joins it, decodes it and maps the times back, and says nothing of
where the speech was. Found here instead, the same spans are found with the VAD model's state
started again after music or room tone, as where a file is cut for batches (vad_batches.py:
after 15 s of room tone, jfk.wav's "And so my fellow Americans, ask not what" was read "All my
fellow Americans, what"); and the same scores, read as that cut reads them
(speech_chunks.speech_spans), give the silences that speech_onsets' rules time words by
(jfk.wav's "And", said at 0.3 s, was timed at 0.0 s, and after 3 s of silence 0.8 s early).
The spans are joined as faster-whisper joins them and its own function maps the times back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from woasr_cli.media import SAMPLE_RATE
from woasr_cli.media.audio import Audio
from woasr_cli.providers import vad_batches
from woasr_cli.providers.speech_chunks import VAD_PAD_MS, speech_spans
from woasr_cli.providers.speech_onsets import speech_gaps

# Sequential decoding hears each span with this much around it (faster-whisper's other defaults:
# 2 s the shortest silence left out). Silero's default 400 ms pad clips soft word onsets (seen on
# Korean read speech, where the first syllable was lost); 800 ms keeps them at a negligible cost
# in audio decoded.
VAD_PARAMETERS = {"speech_pad_ms": 800}


@dataclass(frozen=True)
class JoinedSpeech:
    audio: Audio  # the spans end to end
    spans: list[dict[str, int]]  # samples of the input, as faster-whisper's VAD gives them
    gaps: list[tuple[float, float]]  # speech_onsets.speech_gaps of the input


def joined_speech(audio: Audio) -> JoinedSpeech:
    """The speech of ``audio`` to decode, and its silences (see the module docstring)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad_batches.install()
    with vad_batches.starting_again_after_quiet() as scores:
        spans = get_speech_timestamps(audio, VadOptions(**VAD_PARAMETERS))
    gaps: list[tuple[float, float]] = []
    if scores:
        with vad_batches.replaying(scores[-1]):
            heard, opening = speech_spans(audio)
        gaps = speech_gaps(heard, VAD_PAD_MS / 1000, opening)
    pieces = [audio[s["start"] : s["end"]] for s in spans]
    joined = np.concatenate(pieces).astype(np.float32, copy=False) if pieces else audio[:0]
    return JoinedSpeech(joined, spans, gaps)


def restored(segments: Iterable[Any], spans: list[dict[str, int]]) -> Iterator[Any]:
    """faster-whisper's segments of the joined speech, timed in the input again."""
    from faster_whisper.transcribe import restore_speech_timestamps

    return iter(restore_speech_timestamps(segments, spans, SAMPLE_RATE))

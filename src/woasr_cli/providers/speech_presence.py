"""Where Silero VAD hears speech in a stretch of audio: the test the media layer's stereo mix
is handed (``media.mixdown.SpeechSpans``) to tell a side that carries a talker, however noisy,
from one that carries none, and when."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from woasr_cli.providers import vad_batches


def speech_spans(audio: npt.NDArray[np.float32]) -> list[tuple[int, int]]:
    """``(start, end)`` samples of ``audio`` (16 kHz mono) in faster-whisper's speech spans,
    unpadded, found as woasr cuts speech (the state starts again after long non-speech,
    vad_batches.py)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad_batches.install()
    with vad_batches.starting_again_after_quiet():
        spans = get_speech_timestamps(audio, VadOptions(speech_pad_ms=0))
    return [(int(span["start"]), int(span["end"])) for span in spans]

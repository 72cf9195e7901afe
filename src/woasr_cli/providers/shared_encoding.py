"""One encoder run for both a pass's language detection and its decoding (sequential
faster-whisper; live passes).

Told no language, faster-whisper's ``transcribe`` detects one on its own encoder run over a
30 s window and then encodes the same audio again to decode it: on multilingual ``base`` (int8,
2 cores) a live pass over 2-10 s of jfk took 0.82-0.99 s that way and 0.54-0.67 s told "en".
:func:`detect` encodes the audio as the decoding will (the same features, cut and padded by
``pad_or_trim`` as :mod:`encoder_window` sets it on this thread), asks the model for the
language probabilities on that output, and keeps it, so that the next encoder call on this
thread with the same features - the first window of ``transcribe(audio, language=...)``, whose
language the caller chose from those probabilities - takes it instead of running the encoder
again. Another call on this thread, or different features, drops what was kept.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from woasr_cli.media.audio import Audio
from woasr_cli.providers.window_language import read_languages

_local = threading.local()
_installed = threading.Lock()
_FRAMES = 3000  # a Whisper window: 30 s of 10 ms frames


def detect(model: Any, audio: Audio) -> list[tuple[str, float]]:
    """Language codes and probabilities (most likely first) of ``audio`` (at most its first
    30 s) from the encoder output the next ``model.transcribe(audio, ...)`` on this thread
    reuses; ``model``: a multilingual ``faster_whisper.WhisperModel``."""
    import faster_whisper.transcribe as fwt

    _install(model)
    features = model.feature_extractor(audio)
    # transcribe's first window: the frames of its content (the last frame is not), padded
    segment = fwt.pad_or_trim(features[:, : min(_FRAMES, features.shape[-1] - 1)])
    output = model.encode(segment)
    _local.kept = (segment, output)
    return read_languages(model, output)


def _install(model: Any) -> None:
    """``model.encode`` takes what :func:`detect` kept for the same features on this thread."""
    with _installed:
        if getattr(model, "_woasr_shared_encoding", False):
            return
        run = model.encode

        def encode(features: Any) -> Any:
            kept = getattr(_local, "kept", None)
            _local.kept = None  # one use
            if kept is not None and _same(kept[0], features):
                return kept[1]
            return run(features)

        model.encode = encode
        model._woasr_shared_encoding = True


def _same(a: Any, b: Any) -> bool:
    return bool(
        isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
        and np.array_equal(a, b)
    )  # fmt: skip

"""A file's language from an encoder window of its first speech plus a few seconds, not 30 s.

faster-whisper's ``detect_language`` pads the audio's features to 30 s whatever it holds, so
on a folder of short clips the file's language cost as much as decoding it: multilingual
``base`` int8 on 2 cores, 0.86 CPU-s a file, 18 of the 59 CPU-s of the 26-file mixed folder
(``-l en``: 40 CPU-s). Whisper's encoder takes fewer frames (encoder_window.py), and its
language guess from the speech plus ``PAD_S`` seconds was the 30 s window's on all 44 files
measured (the mixed folder, the shared clips, espeak-ng German, Spanish, French; its
probability within 0.05 but for espeak-ng's German, 0.59 -> 0.37 and 0.81 -> 0.66, still
German), for 0.33 CPU-s instead of 0.80 (docs/performance.md, "session 41").
"""

from __future__ import annotations

from typing import Any

from woasr_cli.media.audio import Audio

PAD_S = 8.0  # seconds of padding after the audio (live passes during speech use as much)
_FRAMES = 3000  # a Whisper window: 30 s of 10 ms frames


def window_languages(
    model: Any, audio: Audio, pad: float | None = PAD_S
) -> list[tuple[str, float]]:
    """Language codes and probabilities (most likely first) of ``audio``'s first 30 s, from an
    encoder window of it plus ``pad`` seconds (None: 30 s); ``model``: a multilingual
    ``faster_whisper.WhisperModel``."""
    from faster_whisper.audio import pad_or_trim  # faster-whisper's own, not encoder_window's

    features = model.feature_extractor(audio)[:, :_FRAMES]
    frames = _FRAMES if pad is None else min(_FRAMES, features.shape[-1] + round(pad * 100))
    return read_languages(model, model.encode(pad_or_trim(features, frames)))


def read_languages(model: Any, output: Any) -> list[tuple[str, float]]:
    """Language codes and probabilities (most likely first) from an encoder output."""
    found = model.model.detect_language(output)[0]
    return [(str(token)[2:-2], float(p)) for token, p in found]

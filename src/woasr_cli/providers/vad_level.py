"""The level Silero VAD hears: quiet recordings brought up to where the model finds speech.

Silero's speech probabilities depend on the level. jfk.wav, pyannote_sample.wav and a hibari
clip scaled to a peak of -10 to -45 dBFS gave the same speech spans; at -50 dBFS jfk lost 2.3
of its 11 s, at -55 dBFS all of it, and pyannote_sample 19.5 of its 23.6 s. Whisper itself
reads them (without VAD: 0 % WER on jfk at -55 dBFS). A lapel microphone with its gain set low,
a far-off recorder or a 32-bit float field recording taken with headroom comes out that quiet,
and the default command wrote an empty transcript. The VAD's input (never the audio Whisper
hears) is brought up to ``TARGET`` where its loudness is under ``QUIET``, by at most
``MAX_GAIN``, and clipped at full scale as a louder recording would have been (a click, then).
Noise does not become speech that way: room tone, white, brown noise and mains hum scaled to
-10 dBFS gave no speech. Audio at ordinary levels is left as it is, so its probabilities are
faster-whisper's exactly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from woasr_cli.media import SAMPLE_RATE

QUIET = 10 ** (-40 / 20)  # loudness under which the VAD's input is brought up (15 dB above
# where it started to miss speech: jfk, loudness -55 dBFS; pyannote_sample, -66 dBFS)
TARGET = 10 ** (-20 / 20)  # the loudness it is brought up to
MAX_GAIN = 10 ** (40 / 20)
LOUD_SAMPLES = SAMPLE_RATE // 4  # loudness: the level the loudest 0.25 s of samples reach ...
LOUD_SHARE = 0.001  # ... or the loudest 0.1 % of them, in more than 250 s


def loudness(audio: npt.NDArray[np.float32]) -> float:
    """The level the loudest 0.25 s of ``audio``'s samples (``LOUD_SAMPLES``, all told) reach
    around its mean: speech, whose peaks recur, sets it; a click, a bump of the microphone or
    a door (a 0.2 s burst at -10 dBFS before jfk.wav at -55 dBFS set the loudest 0.1 % of a
    19 s file's samples to -17 dBFS, and the file went unheard), or a DC offset, does not."""
    if audio.size == 0:
        return 0.0
    magnitudes = np.abs(audio.reshape(-1) - np.mean(audio, dtype=np.float64))
    top = max(LOUD_SAMPLES, int(magnitudes.size * LOUD_SHARE))
    k = max(0, magnitudes.size - 1 - top)
    return float(np.partition(magnitudes, k)[k])


def gain(level: float) -> float:
    """The factor the VAD's input of loudness ``level`` (:func:`loudness`) is scaled by."""
    if level >= QUIET or level <= 0.0:
        return 1.0
    return min(TARGET / level, MAX_GAIN)


def for_vad(audio: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``audio`` as the VAD should hear it: itself, or a louder copy of a quiet recording."""
    return _scaled(audio, gain(loudness(audio)), audio)


def _scaled(
    audio: npt.NDArray[np.float32], factor: float, around: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """``audio`` scaled by ``factor`` about the mean of ``around`` (a DC offset, which would
    take the louder copy to full scale, left out), clipped at full scale."""
    if factor == 1.0:
        return audio
    louder = (audio - np.float32(np.mean(around, dtype=np.float64))) * np.float32(factor)
    return np.asarray(np.clip(louder, -1.0, 1.0), dtype=np.float32)


class RecentLevel:
    """:func:`for_vad` over a stream, whose level is known only so far: the gain is the one
    the last ``seconds`` of it call for (the frames being scored included)."""

    def __init__(self, seconds: float = 10.0, sample_rate: int = 16_000) -> None:
        self._keep = int(seconds * sample_rate)
        self._recent = np.zeros(0, dtype=np.float32)

    def for_vad(self, frames: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        self._recent = np.concatenate([self._recent, frames.reshape(-1)])[-self._keep :]
        return _scaled(frames, gain(loudness(self._recent)), self._recent)

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
-10 dBFS gave no speech. A loud moment in a quiet recording (applause, a door, a cough by the
recorder) is not its level: where it keeps a window from counting as quiet but most of the
window's ``BLOCK`` seconds are quiet, each quiet block that sounds like speech is brought up on
its own, and the block that holds the loud moment is left as it is. Audio at ordinary levels,
and its quiet pauses, are left as they are, so their probabilities are faster-whisper's
exactly.
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
BLOCK = 2 * SAMPLE_RATE  # a loud moment in a quiet recording sets the level of these only,
QUIET_BLOCKS = 0.75  # where at least this share of a window's blocks are quiet,
CREST = 10 ** (8.5 / 20)  # and those that sound like speech are brought up
QUIET_RECENT = 0.6  # a stream: 3 of its last 5 blocks (a moment may straddle two)


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
    level = loudness(audio)
    if level < QUIET:
        return _scaled(audio, gain(level), audio)
    return _by_block(audio)


def _by_block(audio: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """A window that counts as loud only for a moment: where ``QUIET_BLOCKS`` of its ``BLOCK``
    seconds are quiet, each quiet block that sounds like speech (:func:`_speechlike`) brought
    up by its own gain and the rest left as it is (jfk.wav at -55 dBFS after a second of
    applause at -12 dBFS lost "And so my fellow Americans, ask not"); otherwise ``audio``."""
    flat = audio.reshape(-1)
    count = flat.size // BLOCK
    if count < 2:
        return audio
    blocks, magnitudes, levels = _blocks(flat[: count * BLOCK], _mean(flat))
    quiet = levels < QUIET
    if quiet.sum() < QUIET_BLOCKS * count:
        return audio
    speech = [i for i in np.flatnonzero(quiet) if _speechlike(levels[i], magnitudes[i])]
    if not speech:
        return audio
    louder = flat.copy()
    for i in speech:
        part = blocks[i] * np.float32(gain(float(levels[i])))
        louder[i * BLOCK : (i + 1) * BLOCK] = np.clip(part, -1.0, 1.0)
    return louder.reshape(audio.shape)


def _blocks(
    whole: npt.NDArray[np.float32], mean: np.float32
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """``whole`` (a whole number of ``BLOCK`` seconds) in blocks about ``mean``, their
    magnitudes, and the loudness of each (:func:`loudness`'s rule)."""
    blocks = (whole - mean).reshape(-1, BLOCK)
    magnitudes = np.abs(blocks)
    k = BLOCK - 1 - LOUD_SAMPLES
    return blocks, magnitudes, np.partition(magnitudes, k, axis=1)[:, k]


def _mean(audio: npt.NDArray[np.float32]) -> np.float32:
    return np.float32(np.mean(audio, dtype=np.float64))


def _speechlike(level: float, magnitudes: npt.NDArray[np.float32]) -> bool:
    """Whether a block's loudest ``LOUD_SAMPLES`` stand ``CREST`` above its median: speech,
    whose syllables and pauses come and go, does (2 s blocks of jfk.wav 13-24 dB, LibriSpeech's
    10-18 dB, espeak-ng's 16-42 dB); steady noise - room tone 3-4 dB, brown noise 3-7, white
    noise and dither 7 (Gaussian), mains hum 1 - does not, and is left as it is, so a loud
    recording's quiet pauses are heard as before."""
    return level > 0.0 and level >= CREST * float(np.median(magnitudes))


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
    the last ``seconds`` of it call for (the frames being scored included), leaving out the
    ``BLOCK`` seconds that hold a loud moment where most of them are quiet (a cough into a
    quiet microphone left it heard as it is for the next 10 s)."""

    def __init__(self, seconds: float = 10.0, sample_rate: int = 16_000) -> None:
        self._keep = int(seconds * sample_rate)
        self._recent = np.zeros(0, dtype=np.float32)

    def for_vad(self, frames: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        self._recent = np.concatenate([self._recent, frames.reshape(-1)])[-self._keep :]
        level = loudness(self._recent)
        if level >= QUIET:
            level = self._quiet_blocks(level)
        return _scaled(frames, gain(level), self._recent)

    def _quiet_blocks(self, level: float) -> float:
        """The loudness of the recent ``BLOCK`` seconds that are quiet, where they are most of
        them (``QUIET_RECENT``, counted back from the last sample) and the last is one; else
        ``level``."""
        count = self._recent.size // BLOCK
        mean = _mean(self._recent)
        if count < 2 or _blocks(self._recent[-BLOCK:], mean)[2][0] >= QUIET:
            return level  # the last seconds are loud (or too few): what is said is heard
        blocks, _, levels = _blocks(self._recent[-count * BLOCK :], mean)
        quiet = levels < QUIET
        if quiet.sum() < QUIET_RECENT * count:
            return level
        return loudness(blocks[quiet])

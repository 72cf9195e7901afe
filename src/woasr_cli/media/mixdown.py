"""How a decoded track becomes 16 kHz mono: per format, and for the speech in its channels.

FFmpeg's own downmix is kept where it hears the speech (mono, most stereo); a surround track is
mixed for its dialogue, a stereo track whose sides cancel is heard from their difference and one
with speech on one side and steady noise on the other from the spoken side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

from woasr_cli.media.audio import SAMPLE_RATE

if TYPE_CHECKING:
    from av.audio.frame import AudioFrame
    from av.audio.layout import AudioLayout

Planar = npt.NDArray[np.float32]  # channels x samples
Mix = Callable[[Planar], npt.NDArray[np.float32]]


class Converter:
    """Frames of one sample format, channel layout and rate -> 16 kHz float32 planes (one
    plane: FFmpeg's downmix; else each channel, for ``mix``), and those planes as mono."""

    def __init__(self, frame: AudioFrame, mix: Mix | None) -> None:
        import av

        self.mix = mix
        # PyAV checks that later frames match the first only where it resamples: a frame that
        # needs no conversion passes through, and a later one at another rate then did too.
        self._format = (frame.sample_rate, frame.format.name, frame.layout.name)
        if mix is None:
            self.channels = 1
            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        else:
            # Packed, not planar: PyAV's to_ndarray of a planar frame of 8 channels (7.1) reads
            # a ninth plane past its array of 8 and crashed the process (SIGSEGV); one packed
            # plane has no such limit and is split into channels here.
            self.channels = len(frame.layout.channels)
            self._resampler = av.AudioResampler(format="flt", layout=frame.layout, rate=SAMPLE_RATE)

    def takes(self, frame: AudioFrame) -> bool:
        """``frame`` has the rate, sample format and channels this converter was set up for."""
        return self._format == (frame.sample_rate, frame.format.name, frame.layout.name)

    def resample(self, frame: AudioFrame) -> list[Planar]:
        return [_planar(out, self.channels) for out in self._resampler.resample(frame)]

    def flush(self) -> list[Planar]:
        """What the resampler still holds (its last frame's tail); it takes no frames after."""
        return [_planar(out, self.channels) for out in self._resampler.resample(None)]

    def mixed(self, pending: list[Planar]) -> npt.NDArray[np.float32]:
        """Blocks of this converter's planes as one mono block (per resampled frame, numpy's
        calls cost as much as resampling the channels)."""
        block = np.concatenate(pending, axis=1) if len(pending) > 1 else pending[0]
        return block[0] if self.mix is None else self.mix(block)


def _planar(frame: AudioFrame, channels: int) -> Planar:
    """A resampled (packed) frame as channels x samples."""
    return cast("Planar", frame.to_ndarray().reshape(-1, channels).T)


def mixer(layout: AudioLayout) -> Mix | None:
    """How channels of ``layout`` become mono where FFmpeg's own downmix would lose the speech
    (surround: :func:`dialogue_weights`; stereo: :class:`StereoMix`); None where it does not."""
    if len(layout.channels) == 2:
        return StereoMix()
    weights = dialogue_weights(layout)
    if weights is None:
        return None
    # A weighted sum, not a matrix product: BLAS would start its threads for a 30 s block.
    column = weights[:, None]
    return lambda planar: np.asarray((planar * column).sum(axis=0), dtype=np.float32)


class StereoMix:
    """Left plus right, as FFmpeg mixes them (each at -3 dB) - unless the sum loses the speech:

    - one side is the other turned upside down (a miswired microphone, a "wide" effect): the
      sum cancels the speech, and a recording that plays fine was transcribed as nothing. Where
      the difference of the sides has carried four times the energy of their sum so far (sides
      that agree give the opposite; unrelated sides, equal), the difference is taken instead.
    - one side is speech and the other steady noise louder than it (a recorder's second input
      left open with its gain up, a camera's noisy built-in microphone beside a lavalier): the
      sum buried the words - speech on the left, pink noise as loud on the right read 32% WER
      (tiny.en) and 80% with the noise 6 dB louder, where the left alone reads 1%. Where one
      side's 32 ms levels so far stay within ``STEADY_DB`` (noise, hum, hiss: 7 dB for pink
      noise) while the other's spread over ``SPOKEN_DB`` (speech and its pauses: 20-30 dB) and
      the steady side is the louder at its median, the spoken side is taken alone. Two talkers,
      one a side, both spread wide and are summed as before. Speech under steady noise at 5 dB
      SNR or less spreads as little as noise does: a talker that buried on one side, beside a
      clean talker on the other, is left out (tiny.en, 36 s: 45% WER summed, 43% so).
    """

    def __init__(self) -> None:
        self.same = 0.0
        self.opposite = 0.0
        self.levels = np.zeros((2, _LEVEL_BINS), np.int64)  # 32 ms frames per dB, per side

    def __call__(self, planar: Planar) -> npt.NDArray[np.float32]:
        left, right = planar[0], planar[1]
        same, opposite = left + right, left - right
        self.same += float(same @ same)
        self.opposite += float(opposite @ opposite)
        if self.opposite <= 4 * self.same:
            self._count_levels(planar)
            side = self._spoken_side()
            if side is not None:
                return np.ascontiguousarray(planar[side], dtype=np.float32)
        out = opposite if self.opposite > 4 * self.same else same
        return np.asarray(out * np.float32(0.70710677), dtype=np.float32)

    def _count_levels(self, planar: Planar) -> None:
        frames = planar.shape[1] // _LEVEL_FRAME
        if frames == 0:
            return
        power = np.square(planar[:, : frames * _LEVEL_FRAME].reshape(2, frames, _LEVEL_FRAME))
        decibels = 10 * np.log10(power.mean(axis=2) + 1e-10)
        bins = np.clip(decibels + _LEVEL_BINS, 0, _LEVEL_BINS - 1).astype(np.int64)
        for side in (0, 1):
            self.levels[side] += np.bincount(bins[side], minlength=_LEVEL_BINS)

    def _spoken_side(self) -> int | None:
        """The side that carries speech beside steady noise on the other (see the class)."""
        if self.levels[0].sum() < _LEVEL_FRAMES_NEEDED:
            return None
        low, median, high = (
            np.array([_percentile(counts, share) for counts in self.levels])
            for share in (0.1, 0.5, 0.9)
        )
        spread = high - low
        for spoken, steady in ((0, 1), (1, 0)):
            if (
                spread[steady] < STEADY_DB
                and spread[spoken] > SPOKEN_DB
                and median[steady] > median[spoken]
            ):
                return spoken
        return None


STEADY_DB = 10.0
SPOKEN_DB = 20.0
_LEVEL_BINS = 100  # 1 dB each, -100 to 0 dBFS
_LEVEL_FRAME = 512  # 32 ms at 16 kHz
_LEVEL_FRAMES_NEEDED = 62  # 2 s heard before a side is dropped


def _percentile(counts: npt.NDArray[np.int64], share: float) -> float:
    """The level (dBFS) under which ``share`` of the counted frames lie."""
    return float(np.searchsorted(np.cumsum(counts), share * counts.sum())) - _LEVEL_BINS


# Surround mixes carry the dialogue in the centre channel and music and effects around it.
# FFmpeg's mono downmix (PyAV's, ``ffmpeg -ac 1``) weighs the front pair at twice the centre,
# so music in front drowned the words: a film-like 5.1 mix lost a whole sentence under music
# in front and garbled one under loud effects. Mixed for speech: the centre at full, the front
# pair at half (speech panned off centre, or a stereo source spread to 5.1, is still heard),
# the rest at a quarter, the LFE left out (no speech in it). Speech in the centre keeps its own
# level.
_DIALOGUE = {"FC": 1.0, "FL": 0.5, "FR": 0.5, "LFE": 0.0, "LFE2": 0.0}
_AROUND = 0.25


def dialogue_weights(layout: AudioLayout) -> npt.NDArray[np.float32] | None:
    """Per-channel weights of a mono mix for speech, for a layout with a centre channel and
    others beside it (5.1, 7.1, 3.0, ...); None for mono, stereo and layouts without a
    centre, which FFmpeg's own downmix handles."""
    try:
        names = [channel.name for channel in layout.channels]
    except (AttributeError, ValueError):
        return None
    if "FC" not in names or len(names) < 3:
        return None
    return np.array([_DIALOGUE.get(name, _AROUND) for name in names], dtype=np.float32)

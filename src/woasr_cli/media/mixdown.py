"""How a decoded track becomes 16 kHz mono: per format, and for the speech in its channels.

FFmpeg's own downmix is kept where it hears the speech (mono, most stereo); a surround track is
mixed for its dialogue, a stereo track whose sides cancel is heard from their difference and one
with a talker on one side and noise on the other, where it talks alone, from that side (a VAD's
judgement, handed in).
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
# Where a VAD hears speech in 16 kHz mono samples, as (start, end) samples; the media layer has
# none of its own: the pipeline hands in providers.speech_presence.speech_spans.
SpeechSpans = Callable[[npt.NDArray[np.float32]], list[tuple[int, int]]]


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


def mixer(layout: AudioLayout, speech: SpeechSpans | None = None) -> Mix | None:
    """How channels of ``layout`` become mono where FFmpeg's own downmix would lose the speech
    (surround: :func:`dialogue_weights`; stereo: :class:`StereoMix`, which asks ``speech`` of
    unrelated sides); None where it does not."""
    if len(layout.channels) == 2:
        return StereoMix(speech)
    weights = dialogue_weights(layout)
    if weights is None:
        return None
    # A weighted sum, not a matrix product: BLAS would start its threads for a 30 s block.
    column = weights[:, None]
    return lambda planar: np.asarray((planar * column).sum(axis=0), dtype=np.float32)


class StereoMix:
    """Left plus right, as FFmpeg mixes them (each at -3 dB) - less what of it loses the speech:

    - one side is the other turned upside down (a miswired microphone, a "wide" effect): the
      sum cancels the speech, and a recording that plays fine was transcribed as nothing. Where
      the difference of the sides has carried four times the energy of their sum so far (sides
      that agree give the opposite; unrelated sides, equal), the difference is taken instead.
    - unrelated sides (neither sum nor difference four times the other) where one carries a
      talker and the other none, or none just then: the sum buried the words under the other
      side's noise. Speech on the left and pink noise as loud on the right read 32% WER
      (tiny.en) and 80% with the noise 6 dB louder, where the left alone reads 1%; a call with
      the agent on the left and a caller on a noisy line on the right (white noise, speech at
      8 dB SNR), taking turns, lost the agent's whole turn under the line noise (benchmarks/
      degraded.py's call_turns: 17.2% WER tiny.en, 15.1% base; so mixed, 7.5% and 2.2%). ``speech``
      (a VAD: where it hears speech in a block; none given, the sides are summed) is asked of
      each side of each block, and a side is left out of the sum where the other side is
      heard speaking within ``PAD_S`` and it is not - and, while it has shown under
      ``NO_SPEECH_S`` of speech and the other ``TALKER_S``, wherever it is not (a lone "yeah"
      is kept, the noise around it is not). Levels cannot tell noise
      from a talker buried in it (the caller's 8 dB SNR speech spreads as little as pink
      noise, 7-8 dB between its 10th and 90th percentile), and a rule on levels dropped that
      caller whole; Silero hears the caller's turn, and no speech in 10 min of pink noise or
      60 s of white. Where both sides talk at once, or neither, they are summed as before.
      Identical and phase-inverted sides, and mono: no VAD asked.
    """

    def __init__(self, speech: SpeechSpans | None = None) -> None:
        self.same = 0.0
        self.opposite = 0.0
        self.speech = speech
        self.spoken = [0.0, 0.0]  # seconds of speech heard so far, per side

    def __call__(self, planar: Planar) -> npt.NDArray[np.float32]:
        left, right = planar[0], planar[1]
        same, opposite = left + right, left - right
        self.same += float(same @ same)
        self.opposite += float(opposite @ opposite)
        if self.opposite > 4 * self.same:
            return np.asarray(opposite * np.float32(0.70710677), dtype=np.float32)
        if self.speech is not None and self.same <= 4 * self.opposite:
            heard = self._heard(planar)
            # No talker on a side so far: left out wherever it is not heard speaking.
            no_talker = [
                self.spoken[side] < NO_SPEECH_S and self.spoken[other] >= TALKER_S
                for side, other in ((0, 1), (1, 0))
            ]
            left_out = ~heard & (heard[::-1] | np.array(no_talker)[:, None])
            if left_out.any():
                kept = np.where(left_out, np.float32(0), planar)
                return np.asarray(kept.sum(axis=0) * np.float32(0.70710677), dtype=np.float32)
        return np.asarray(same * np.float32(0.70710677), dtype=np.float32)

    def _heard(self, planar: Planar) -> npt.NDArray[np.bool_]:
        """Per side, the samples within ``PAD_S`` of speech ``speech`` hears there; the seconds
        heard are added to :attr:`spoken`."""
        assert self.speech is not None
        pad = round(PAD_S * SAMPLE_RATE)
        heard = np.zeros(planar.shape, dtype=bool)
        for side in (0, 1):
            for start, end in self.speech(np.ascontiguousarray(planar[side])):
                self.spoken[side] += (end - start) / SAMPLE_RATE
                heard[side, max(0, start - pad) : end + pad] = True
        return heard


PAD_S = 0.5  # speech heard this close keeps a side (word onsets, tails under the VAD's threshold)
TALKER_S = 1.0  # a side with this much speech heard carries a talker
NO_SPEECH_S = 0.5  # a side with less carries none (Silero heard 0.0 s in 10 min of pink noise)


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

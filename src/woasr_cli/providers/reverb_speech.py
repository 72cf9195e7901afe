"""Speech a reverberant room hides from the VAD, found again in a dereverberated copy.

In a hall, a church or a bare room, each word's reverberant tail fills the pauses Silero
relies on, and the model scores the speech itself 0.05-0.3 where it scores dry speech 0.9:
on benchmarks/degraded.py's hall (RT60 1.5 s) jfk's whole sentence but "And so my fellow"
and "ask" fell outside every span, and woasr's default read 41.9 % WER where faster-whisper
without a VAD read 28.0 %. Where the VAD heard no speech between its spans but still scored
the stretch ``STEADY`` or more at the median (:func:`candidates`), the window is heard again
with its late reverberation taken out (:func:`dereverberated`: spectral subtraction of a
delayed, decayed copy of the signal's own power, as Lebart et al. 2001 do for an assumed
``RT60``), and the speech Silero finds there is kept where the VAD's own scores over it
have a median of ``STEADY`` or more and it is no more than ``QUIETEST_DB`` under the speech
the VAD heard (a crowd or a call behind the talker scores as steadily: someone else). On
held-out rooms (RT60 0.6-2.0 s) those medians were 0.08-0.19 over reverberant speech and
0.00-0.02 over music, the only non-speech the dereverberated copy heard as speech
(docs/performance.md, "Reverberant speech"). The copy is
made and heard only in a window with such a stretch (dry speech, silence and music cost
nothing more), and never in one where the VAD heard no speech at all: a room hides some of
the speech, not all of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from woasr_cli.media import SAMPLE_RATE
from woasr_cli.providers.faint_speech import VAD_FRAME

Span = tuple[int, int]  # samples
Finder = Callable[[npt.NDArray[np.float32]], list[Span]]  # Silero's spans of some audio

STEADY = 0.05  # the VAD's median score over speech it missed in a hall (music: <= 0.02)
MIN_S = 0.5  # the shortest stretch looked at again, and the shortest span kept
RT60 = 1.0  # seconds: the reverberation assumed (a lecture hall; 0.7 and 1.5 found as much)
DELAY_S = 0.05  # late reverberation: what arrives this long after the direct sound
FLOOR = 0.1  # the least gain (-20 dB) a frequency bin is left with
# The least level, against the median of the VAD's spans', of speech kept: a room hides the
# talker's own speech, which reaches the microphone about as loud as the speech the VAD heard
# (held-out rooms: -8.9 to +6.6 dB); speech 16 dB under it (a crowd behind the talker, a call
# on another phone) scores as steadily and is someone else's.
QUIETEST_DB = -12.0
_N, _HOP, _SMOOTH = 512, 128, 4  # STFT size, hop (samples) and power smoothing (frames)


LAG = _N  # samples StreamingDereverb's copy comes out late


def dereverberated(audio: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``audio`` with its late reverberation suppressed: each STFT bin's power less the power
    ``DELAY_S`` earlier decayed as a room of ``RT60`` decays it (gain floored at ``FLOOR``);
    :class:`StreamingDereverb` over the whole of it, the zeros after it heard too."""
    flushed = np.concatenate([np.asarray(audio, np.float32).reshape(-1), np.zeros(_N, np.float32)])
    return StreamingDereverb()(flushed)[LAG : LAG + len(audio)]


class StreamingDereverb:
    """:func:`dereverberated` a piece of a stream at a time (the live VAD's copy): call with
    each piece; returns the copy as far as it is final, ``LAG`` samples (one 32 ms VAD frame)
    behind the stream - its first ``LAG`` samples are the zeros before the stream. The STFT's
    input, its power history and its overlap-add are carried from one call to the next."""

    def __init__(self) -> None:
        self._window = np.hanning(_N).astype(np.float32)
        self._delay = round(DELAY_S * SAMPLE_RATE / _HOP)
        self._decay = float(np.exp(-6 * np.log(10) * DELAY_S / RT60))  # -60 dB over RT60
        self._input = np.zeros(_N, np.float32)  # not yet framed (the zeros before the stream)
        self._power = np.zeros((self._delay + _SMOOTH - 1, _N // 2 + 1))  # the last frames'
        self._carry = np.zeros(_N - _HOP)  # overlap-add of frames already made
        self._norm = float(self._window @ self._window) / _HOP

    def __call__(self, audio: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        buffer = np.concatenate([self._input, np.asarray(audio, np.float32).reshape(-1)])
        count = (len(buffer) - _N) // _HOP + 1 if len(buffer) >= _N else 0
        if count == 0:
            self._input = buffer
            return np.zeros(0, np.float32)
        frames = np.lib.stride_tricks.sliding_window_view(buffer, _N)[::_HOP][:count]
        spectra = np.fft.rfft(frames * self._window)
        power = np.abs(spectra) ** 2
        history = np.concatenate([self._power, power])
        sums = np.cumsum(np.concatenate([np.zeros((1, power.shape[1])), history]), axis=0)
        late = self._decay * (sums[_SMOOTH:] - sums[:-_SMOOTH])[:count] / _SMOOTH
        self._power = history[len(history) - len(self._power) :]
        gain = np.sqrt(np.maximum(1 - late / np.maximum(power, 1e-12), FLOOR**2))
        pieces = np.fft.irfft(spectra * gain, _N, axis=1) * self._window
        out = np.zeros((count - 1) * _HOP + _N)
        out[: len(self._carry)] += self._carry
        step = _N // _HOP
        for k in range(step):  # overlap-add: every step-th frame abuts the one before
            part = pieces[k::step].reshape(-1)
            out[k * _HOP : k * _HOP + len(part)] += part
        done = count * _HOP
        self._carry = out[done:]
        self._input = buffer[done:]
        return (out[:done] / self._norm).astype(np.float32)


def candidates(
    spans: Sequence[Span], probabilities: npt.NDArray[np.float32], length: int
) -> list[Span]:
    """The stretches between ``spans`` (the VAD's, in order) of ``MIN_S`` or more over which
    the VAD's scores (``probabilities``: one per ``VAD_FRAME``) have a median of ``STEADY`` or
    more."""
    scores = np.asarray(probabilities).reshape(-1)
    least = int(MIN_S * SAMPLE_RATE)
    edges = [0, *(x for span in spans for x in span), length]
    return [
        (start, end)
        for start, end in zip(edges[::2], edges[1::2], strict=True)
        if end - start >= least
        and float(np.median(scores[start // VAD_FRAME : -(-end // VAD_FRAME)])) >= STEADY
    ]


def reverberant_spans(
    audio: npt.NDArray[np.float32],
    spans: Sequence[Span],
    probabilities: npt.NDArray[np.float32],
    find: Finder,
) -> list[Span]:
    """Speech between ``spans`` (the VAD's, in order, ``probabilities`` its scores) that
    ``find`` hears in the dereverberated audio and the VAD scored steadily (module docstring),
    as spans of ``audio`` that no span of ``spans`` overlaps. None where the VAD heard no
    speech at all: a room hides some of the speech, not all of it."""
    scores = np.asarray(probabilities).reshape(-1)
    stretches = candidates(spans, scores, len(audio)) if spans else []
    if not stretches:
        return []
    least = int(MIN_S * SAMPLE_RATE)
    heard = find(dereverberated(audio))  # the whole window: the model's state as it runs
    talker = float(np.median([_level(audio, s, e) for s, e in spans]))
    kept: list[Span] = []
    for start, end in stretches:
        for s, e in heard:
            s, e = max(s, start), min(e, end)
            piece = scores[s // VAD_FRAME : -(-e // VAD_FRAME)]
            if (
                e - s >= least
                and float(np.median(piece)) >= STEADY
                and _level(audio, s, e) >= talker + QUIETEST_DB
            ):
                kept.append((s, e))
    return kept


def _level(audio: npt.NDArray[np.float32], start: int, end: int) -> float:
    """The mean power of ``audio[start:end]``, in dB."""
    piece = audio[start:end].astype(np.float64)
    return float(10 * np.log10(float(piece @ piece) / max(len(piece), 1) + 1e-20))

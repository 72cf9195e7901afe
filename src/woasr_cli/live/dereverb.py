"""A stream's late reverberation taken out as it arrives, for the live VAD to hear.

The same spectral subtraction as providers/reverb_speech.dereverberated (each STFT bin's power
less the power ``DELAY_S`` earlier, decayed as a room of ``RT60`` decays it), computed a
hop at a time with the STFT's input, its power history and its overlap-add carried from one
call to the next. The copy comes out ``LAG`` samples late (one 32 ms VAD frame): its first
``LAG`` samples are the zeros before the stream, then the stream dereverberated, the samples
reverb_speech.dereverberated gives for the whole of it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from woasr_cli.media import SAMPLE_RATE
from woasr_cli.providers.reverb_speech import DELAY_S, FLOOR, RT60

_N, _HOP, _SMOOTH = 512, 128, 4  # as reverb_speech's STFT
LAG = _N  # samples the copy comes out late


class StreamingDereverb:
    """Call with each piece of a stream; returns the dereverberated copy as far as it is
    final, ``LAG`` samples behind the stream (module docstring)."""

    def __init__(self) -> None:
        self._window = np.hanning(_N).astype(np.float32)
        self._delay = round(DELAY_S * SAMPLE_RATE / _HOP)
        self._decay = float(np.exp(-6 * np.log(10) * DELAY_S / RT60))
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
        for k, piece in enumerate(pieces):
            out[k * _HOP : k * _HOP + _N] += piece
        done = count * _HOP
        self._carry = out[done:]
        self._input = buffer[done:]
        return (out[:done] / self._norm).astype(np.float32)

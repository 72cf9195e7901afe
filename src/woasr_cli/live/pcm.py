"""Raw PCM as it arrives, in pieces of any size, to 16 kHz mono float32.

``woasr listen --stdin`` (``--sample-rate``, ``--channels``) and the WebSocket stream (its
``sample_rate``) take s16le at other rates too. Pieces are cut where the sender cut them (a
browser's 128-sample render quantum, a capture tool's 1024-frame period), so the conversion
keeps its state across them: a byte or a frame cut in two waits for the rest, and the resampler
(FFmpeg's, through PyAV) carries its filter state and position over, so no sample is lost or
added at a cut. Converting each piece on its own lost up to two samples a piece at 48 kHz
(128-sample pieces: 1.6 % of the audio, every word after a minute a second early).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from woasr_cli.media.audio import SAMPLE_RATE, Audio


def pcm16_to_float(data: bytes) -> Audio:
    """s16le bytes (an odd trailing byte is the caller's to keep) -> float32 in [-1, 1)."""
    pcm = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2")
    return (pcm.astype(np.float32) / 32768.0).astype(np.float32)


class PcmConverter:
    """s16le at ``rate`` Hz with ``channels`` interleaved channels -> 16 kHz mono float32,
    piece by piece (:meth:`__call__`); :meth:`flush` gives the resampler's last samples."""

    def __init__(self, rate: int = SAMPLE_RATE, channels: int = 1) -> None:
        self.rate = rate
        self.channels = channels
        self._frame_bytes = 2 * channels
        self._carry = b""
        self._resampler: Any = None
        if rate != SAMPLE_RATE:
            import av

            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)

    def __call__(self, data: bytes) -> Audio:
        data = self._carry + data
        whole = len(data) // self._frame_bytes * self._frame_bytes
        self._carry = data[whole:]
        audio = pcm16_to_float(data[:whole])
        if self.channels > 1:  # the channels' mean: a microphone is on one side or on both
            audio = audio.reshape(-1, self.channels).mean(axis=1, dtype=np.float32)
        if self._resampler is None or len(audio) == 0:
            return audio
        return self._resample(audio)

    def flush(self) -> Audio:
        """The samples the resampler still holds; the converter takes nothing after."""
        if self._resampler is None:
            return np.zeros(0, np.float32)
        return self._resample(None)

    def _resample(self, audio: Audio | None) -> Audio:
        frame = None
        if audio is not None:
            import av

            frame = av.AudioFrame.from_ndarray(audio[None, :], format="flt", layout="mono")
            frame.sample_rate = self.rate
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        if not out:
            return np.zeros(0, np.float32)
        return np.asarray(np.concatenate(out) if len(out) > 1 else out[0], dtype=np.float32)

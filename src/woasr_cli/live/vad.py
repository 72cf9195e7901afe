"""Silero voice activity detection over a stream, one 32 ms frame at a time.

faster-whisper ships the Silero model (ONNX) and runs it over whole files; here the recurrent
state and the 64-sample context are carried from one call to the next, so frames fed a few at a
time get the same probabilities as the whole file would - the state starting again after 2 s
of sound that is not speech, as it does where files are cut (providers/vad_batches.py: music,
a tone or room tone before speech deafened the model to the first words).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from woasr_cli.errors import UsageError
from woasr_cli.providers.vad_batches import RESET_AFTER_FRAMES, quiet_frames

FRAME = 512  # samples per Silero frame at 16 kHz
_CONTEXT = 64


class StreamingVad:
    def __init__(self) -> None:
        try:
            from faster_whisper.vad import get_vad_model
        except ImportError:
            raise UsageError(
                "live voice activity detection needs: pip install 'woasr[faster-whisper]' "
                "(or turn it off with --no-vad)"
            ) from None
        self._session: Any = get_vad_model().session
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)
        self._quiet = 0  # frames in a row of sound that is not speech, up to the last one

    def __call__(self, frames: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Speech probability of each row of ``frames`` (n x 512 samples), in stream order."""
        if len(frames) == 0:
            return np.zeros(0, dtype=np.float32)
        if self._quiet >= RESET_AFTER_FRAMES:
            self._h = np.zeros_like(self._h)
            self._c = np.zeros_like(self._c)
            self._quiet = 0
        contexts = np.concatenate([self._context[None, :], frames[:-1, -_CONTEXT:]])
        self._context = frames[-1, -_CONTEXT:].copy()
        batch = np.ascontiguousarray(np.concatenate([contexts, frames], axis=1), np.float32)
        feed = {"input": batch, "h": self._h, "c": self._c}
        out, self._h, self._c = self._session.run(None, feed)
        probabilities = np.asarray(out, dtype=np.float32).reshape(-1)
        self._quiet = quiet_frames(self._quiet, probabilities, frames)
        return probabilities

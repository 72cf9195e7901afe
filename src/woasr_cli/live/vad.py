"""Silero voice activity detection over a stream, one 32 ms frame at a time.

faster-whisper ships the Silero model (ONNX) and runs it over whole files; here the recurrent
state and the 64-sample context are carried from one call to the next, so frames fed a few at a
time get the same probabilities as the whole file would - the state starting again after 2 s
of sound that is not speech, as it does where files are cut (providers/vad_batches.py: music,
a tone or room tone before speech deafened the model to the first words). A quiet microphone
is heard louder too (:class:`StreamingVad`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from woasr_cli.errors import UsageError
from woasr_cli.providers.vad_batches import RESET_AFTER_FRAMES, quiet_frames
from woasr_cli.providers.vad_level import RecentLevel

FRAME = 512  # samples per Silero frame at 16 kHz
_CONTEXT = 64


class _Track:
    """Silero's state over one stream of frames: the recurrent state, the last frame's context
    and the frames in a row of sound that is not speech (the state starts again after 2 s)."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)
        self._quiet = 0

    def __call__(self, frames: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
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

    def follow(self, other: _Track) -> None:
        """Take ``other``'s state (having heard the same frames as it)."""
        self._h, self._c, self._context, self._quiet = (
            other._h, other._c, other._context, other._quiet)  # fmt: skip


class StreamingVad:
    """Speech probabilities of a stream's frames as they arrive. Where the stream has been
    quiet (its last 10 s, a loud moment among them left out: vad_level.RecentLevel) a second
    state hears it louder and a frame scores the higher of the two: a quiet microphone is
    heard, and a stream at ordinary levels that opens quietly scores as before (the louder
    state alone scored pyannote_sample's first "Hello?", after 6.7 s of faint sound, 0.44
    instead of 0.55, and its first partial came 1.3 s later)."""

    def __init__(self) -> None:
        try:
            from faster_whisper.vad import get_vad_model
        except ImportError:
            raise UsageError(
                "live voice activity detection needs faster-whisper, which woasr itself "
                "installs: pip install woasr (or turn it off with --no-vad)"
            ) from None
        session = get_vad_model().session
        self._heard = _Track(session)
        self._louder = _Track(session)
        self._level = RecentLevel()

    def __call__(self, frames: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Speech probability of each row of ``frames`` (n x 512 samples), in stream order."""
        if len(frames) == 0:
            return np.zeros(0, dtype=np.float32)
        probabilities = self._heard(frames)
        louder = self._level.for_vad(frames)
        if louder is frames:  # not quiet: the louder state would hear the same
            self._louder.follow(self._heard)
            return probabilities
        return np.maximum(probabilities, self._louder(louder))

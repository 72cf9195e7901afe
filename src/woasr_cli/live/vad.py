"""Silero voice activity detection over a stream, one 32 ms frame at a time.

faster-whisper ships the Silero model (ONNX) and runs it over whole files; here the recurrent
state and the 64-sample context are carried from one call to the next, so frames fed a few at a
time get the same probabilities as the whole file would - the state starting again after 2 s
of sound that is not speech, as it does where files are cut (providers/vad_batches.py: music,
a tone or room tone before speech deafened the model to the first words). A quiet microphone
is heard louder too, and a reverberant room's speech in a dereverberated copy
(:class:`StreamingVad`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from woasr_cli.errors import UsageError
from woasr_cli.providers.reverb_speech import QUIETEST_DB, STEADY, StreamingDereverb
from woasr_cli.providers.vad_batches import RESET_AFTER_FRAMES, quiet_frames
from woasr_cli.providers.vad_level import RecentLevel

FRAME = 512  # samples per Silero frame at 16 kHz
_CONTEXT = 64
STEADY_FRAMES = 62  # the copy counts where half the last 2 s of scores were steady:
HEARD = 0.35  # STEADY or more, under HEARD (the processor's release: speech heard)
TALKER_PROB = 0.5  # frames scored this likely are the talker's speech, whose level is kept
TALKER_FRAMES = 940  # over the last 30 s of such frames
LEVEL_FRAMES = 16  # a frame's level: the mean power of the last 0.5 s


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
    instead of 0.55, and its first partial came 1.3 s later).

    A third state hears the stream dereverberated (reverb_speech.StreamingDereverb, one frame
    late), and its score counts, as providers/reverb_speech's rule counts it offline, only where at
    least half of the last 2 s scored ``STEADY`` to ``HEARD`` (a hall's smeared speech: jfk
    in a hall of RT60 1.5 s scored 0.05-0.3 where `woasr listen` committed only "And so my
    fellow"; a clean pause scores under 0.05, clean speech over 0.35, music mostly under
    0.05) and the last 0.5 s is no more than ``QUIETEST_DB`` under the speech heard in the
    last 30 s (none heard yet: it does not count). jfk, librispeech and pyannote_sample
    score exactly as without it."""

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
        self._dereverb = StreamingDereverb()
        self._dry = _Track(session)
        self._copy = np.zeros(0, np.float32)  # dereverberated samples not yet heard
        self._scores = np.zeros(0, np.float32)  # the last STEADY_FRAMES scores
        self._powers = np.zeros(0)  # the last LEVEL_FRAMES frames' mean power
        self._talker = np.zeros(0)  # the speech's frames' levels (dB), the last TALKER_FRAMES

    def __call__(self, frames: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Speech probability of each row of ``frames`` (n x 512 samples), in stream order."""
        if len(frames) == 0:
            return np.zeros(0, dtype=np.float32)
        probabilities = self._heard(frames)
        louder = self._level.for_vad(frames)
        if louder is frames:  # not quiet: the louder state would hear the same
            self._louder.follow(self._heard)
        else:
            probabilities = np.maximum(probabilities, self._louder(louder))
        return self._with_dereverberated(frames, probabilities)

    def _with_dereverberated(
        self, frames: npt.NDArray[np.float32], scores: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """``scores``, raised to the dereverberated copy's where the class docstring's rule
        lets it count."""
        n = len(frames)
        self._copy = np.concatenate([self._copy, self._dereverb(frames.reshape(-1))])
        ready = len(self._copy) // FRAME
        dry = self._dry(self._copy[: ready * FRAME].reshape(-1, FRAME))[-n:]
        self._copy = self._copy[ready * FRAME :]
        power = np.mean(np.square(frames, dtype=np.float64), axis=1)
        powers = np.concatenate([self._powers, power])
        recent = np.concatenate([self._scores, scores])
        steady = (recent >= STEADY) & (recent < HEARD)  # neither a pause nor speech heard
        out = scores.copy()
        for i in range(n):
            k = len(self._scores) + i + 1  # scores up to and with this frame's
            p = len(self._powers) + i + 1
            level = 10 * np.log10(float(np.mean(powers[max(0, p - LEVEL_FRAMES) : p])) + 1e-20)
            if scores[i] >= TALKER_PROB:
                self._talker = np.append(self._talker[1 - TALKER_FRAMES :], level)
            if (
                k >= STEADY_FRAMES
                and np.count_nonzero(steady[k - STEADY_FRAMES : k]) * 2 >= STEADY_FRAMES
                and len(self._talker)
                and level >= float(np.median(self._talker)) + QUIETEST_DB
            ):
                out[i] = max(scores[i], dry[i])
        self._scores = recent[-STEADY_FRAMES:]
        self._powers = powers[-LEVEL_FRAMES:]
        return out

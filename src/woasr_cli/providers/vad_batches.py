"""Silero VAD in short batches: faster-whisper's speech probabilities in bounded memory, and
a fresh start after a long stretch of non-speech.

faster-whisper's ``SileroVADModel`` runs up to 10,000 frames of 32 ms (320 s of audio) through
ONNX Runtime in one call, whose intermediate tensors take ~70 MB for a 300 s window (left in the
allocator afterwards), and builds a context-prefixed copy of the whole input first. The model
carries its LSTM state from one call to the next, so the same frames run in batches of
``BATCH_FRAMES`` with that state carried give bit-identical probabilities (tests/providers/
test_vad_batches.py) in a few MB, as fast. :func:`install` makes faster-whisper's own
``get_speech_timestamps`` (and every other caller of ``get_vad_model``) use them.

One difference, on purpose, where speech is cut into chunks to transcribe
(:func:`starting_again_after_quiet`): the state carried through seconds of music, tones or
steady noise deafens the model to the speech that follows. After 15 s of a tone, the first
second of jfk.wav scored 0.01-0.2 instead of 0.8 and "And so my fellow Americans, ask" lost "And"
and "ask" (an intro jingle before a podcast or a video's first words); after 15 s of the shared
room tone (-26 dBFS), 0.0-0.2, and "ask" 0.01-0.15. There, once ``RESET_AFTER_FRAMES`` frames
in a row are sound that is not speech (scored under ``QUIET_PROB``, louder than ``AUDIBLE_RMS``),
the state starts again from zero, as at the start of a file: speech after music is heard as
speech after silence. Speech never triggers it (its probabilities stay above ``QUIET_PROB``
within any 2 s), nor do pauses under 2 s, nor silence (after 15 s of it jfk still scored
0.55-0.7: files that open quietly are cut as before). Sequential decoding finds its speech the
same way (sequential_speech.py). Other callers (diarization, whose speaker turns were tuned on
faster-whisper's spans) get faster-whisper's probabilities exactly, at ordinary levels: in
every call a quiet recording is heard louder (vad_level.py). :func:`replaying` reads scores a
call already computed again, with other options, at no cost.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from woasr_cli.providers import vad_level
from woasr_cli.providers.thread_setting import thread_setting

BATCH_FRAMES = 32  # 1 s of audio a call (the state can start again between calls)
RESET_AFTER_FRAMES = 62  # 2 s of 32 ms frames
QUIET_PROB = 0.2  # well under the speech threshold (0.5) and the end-of-speech one (0.35)
AUDIBLE_RMS = 10 ** (-50 / 20)  # -50 dBFS: quieter frames are silence, which deafens little
_FRAME = 512
_CONTEXT = 64
_lock = threading.Lock()
_local = threading.local()  # .reset_after: this thread's, within starting_again_after_quiet()


class BatchedSilero:
    """Callable like ``SileroVADModel`` (``session`` included), in batches of ``batch`` frames;
    the state starts again after ``reset_after`` frames of sound that is not speech (None:
    never, as in faster-whisper, unless the caller is within :func:`starting_again_after_quiet`)."""

    def __init__(
        self, model: Any, batch: int = BATCH_FRAMES, reset_after: int | None = None
    ) -> None:
        self.model = model
        self.session = model.session
        self.batch = batch
        self.reset_after = reset_after

    def __call__(
        self,
        audio: npt.NDArray[np.float32],
        num_samples: int = _FRAME,
        context_size_samples: int = _CONTEXT,
    ) -> npt.NDArray[np.float32]:
        assert audio.ndim == 1 and audio.shape[0] % num_samples == 0
        replay = getattr(_local, "replay", None)
        if replay is not None:
            assert len(replay) * num_samples == len(audio), "replayed scores are of other audio"
            return self._keep(replay.reshape(-1, 1))
        frames = vad_level.for_vad(audio).reshape(-1, num_samples)  # a quiet recording louder
        h = np.zeros((1, 1, 128), dtype=np.float32)
        c = np.zeros((1, 1, 128), dtype=np.float32)
        outputs = []
        reset_after = self.reset_after or getattr(_local, "reset_after", None)
        quiet = 0  # frames in a row of sound that is not speech, up to the last one
        for i in range(0, len(frames), self.batch):
            if reset_after is not None and quiet >= reset_after:
                h = np.zeros_like(h)
                c = np.zeros_like(c)
                quiet = 0
            part = frames[i : i + self.batch]
            # Each frame is preceded by the last samples of the frame before (zeros first).
            context = np.zeros((len(part), context_size_samples), dtype=np.float32)
            context[1:] = part[:-1, -context_size_samples:]
            if i > 0:
                context[0] = frames[i - 1, -context_size_samples:]
            batch = np.concatenate([context, part], axis=1)
            output, h, c = self.session.run(None, {"input": batch, "h": h, "c": c})
            outputs.append(output)
            if reset_after is not None:
                quiet = quiet_frames(quiet, output, part)
        return self._keep(np.concatenate(outputs, axis=0))

    @staticmethod
    def _keep(probabilities: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        kept = getattr(_local, "kept", None)
        if kept is not None:
            kept.append(probabilities.reshape(-1))
        return probabilities


def quiet_frames(
    before: int, probabilities: npt.NDArray[np.float32], frames: npt.NDArray[np.float32]
) -> int:
    """Frames in a row that are sound but not speech (scored under QUIET_PROB, louder than
    AUDIBLE_RMS) up to the last of ``frames`` (n x 512 samples), counting the ``before`` such
    frames that came before them."""
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float32), axis=1))
    heard = (np.asarray(probabilities).reshape(-1) >= QUIET_PROB) | (rms < AUDIBLE_RMS)
    breaks = np.flatnonzero(heard)
    n = len(frames)
    return before + n if len(breaks) == 0 else n - 1 - int(breaks[-1])


@contextlib.contextmanager
def starting_again_after_quiet() -> Iterator[list[npt.NDArray[np.float32]]]:
    """Within: this thread's VAD calls start the model's state again after 2 s of sound that is
    not speech. Yields a list that gets each call's probabilities (one per 512-sample frame)."""
    kept: list[npt.NDArray[np.float32]] = []
    with (
        thread_setting(_local, "reset_after", RESET_AFTER_FRAMES),
        thread_setting(_local, "kept", kept),
    ):
        yield kept


@contextlib.contextmanager
def replaying(probabilities: npt.NDArray[np.float32]) -> Iterator[None]:
    """Within: this thread's VAD calls return ``probabilities`` (one per frame, from an earlier
    call on the same audio) instead of running the model: the same speech read again with other
    options, at no cost."""
    with thread_setting(_local, "replay", np.asarray(probabilities, np.float32).reshape(-1)):
        yield


def install() -> None:
    """Route faster-whisper's ``get_vad_model`` to a batched wrapper of its model (once)."""
    import faster_whisper.vad as fwv

    with _lock:
        if getattr(fwv.get_vad_model, "woasr_batched", False):
            return
        original = fwv.get_vad_model

        @functools.cache
        def get_vad_model() -> BatchedSilero:
            model = original()
            return model if isinstance(model, BatchedSilero) else BatchedSilero(model)

        get_vad_model.woasr_batched = True  # type: ignore[attr-defined]
        fwv.get_vad_model = get_vad_model

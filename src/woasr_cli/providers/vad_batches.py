"""Silero VAD in short batches: faster-whisper's speech probabilities in bounded memory.

faster-whisper's ``SileroVADModel`` runs up to 10,000 frames of 32 ms (320 s of audio) through
ONNX Runtime in one call, whose intermediate tensors take ~70 MB for a 300 s window (left in the
allocator afterwards), and builds a context-prefixed copy of the whole input first. The model
carries its LSTM state from one call to the next, so the same frames run in batches of
``BATCH_FRAMES`` with that state carried give bit-identical probabilities (tests/providers/
test_vad_batches.py) in ~10 MB, and a little faster. :func:`install` makes faster-whisper's own
``get_speech_timestamps`` (and every other caller of ``get_vad_model``) use them.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import numpy as np
import numpy.typing as npt

BATCH_FRAMES = 256  # 8.2 s of audio a call
_FRAME = 512
_CONTEXT = 64
_lock = threading.Lock()


class BatchedSilero:
    """Callable like ``SileroVADModel`` (``session`` included), in batches of ``batch`` frames."""

    def __init__(self, model: Any, batch: int = BATCH_FRAMES) -> None:
        self.model = model
        self.session = model.session
        self.batch = batch

    def __call__(
        self,
        audio: npt.NDArray[np.float32],
        num_samples: int = _FRAME,
        context_size_samples: int = _CONTEXT,
    ) -> npt.NDArray[np.float32]:
        assert audio.ndim == 1 and audio.shape[0] % num_samples == 0
        frames = audio.reshape(-1, num_samples)
        h = np.zeros((1, 1, 128), dtype=np.float32)
        c = np.zeros((1, 1, 128), dtype=np.float32)
        outputs = []
        for i in range(0, len(frames), self.batch):
            part = frames[i : i + self.batch]
            # Each frame is preceded by the last samples of the frame before (zeros first).
            context = np.zeros((len(part), context_size_samples), dtype=np.float32)
            context[1:] = part[:-1, -context_size_samples:]
            if i > 0:
                context[0] = frames[i - 1, -context_size_samples:]
            batch = np.concatenate([context, part], axis=1)
            output, h, c = self.session.run(None, {"input": batch, "h": h, "c": c})
            outputs.append(output)
        return np.concatenate(outputs, axis=0)


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

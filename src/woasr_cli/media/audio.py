"""The one audio representation every engine and processing step takes: 16 kHz mono float32."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from woasr_cli.errors import InputError

SAMPLE_RATE = 16000
Audio = npt.NDArray[np.float32]


def as_samples(value: object) -> Audio:
    """Samples handed to the library (``Transcriber.transcribe(array)``) as the engines take
    them: float32, mono. 16-bit and 32-bit integer PCM are scaled to -1..1, float64 and lists
    converted. Raises ``InputError`` for what cannot be read as one channel of samples: several
    channels (their mix is the caller's choice), NaN or infinite samples (every engine read
    such a file as silence, or made text up, without a word)."""
    array = np.asarray(value)
    if array.ndim == 2 and 1 in array.shape:
        array = array.reshape(-1)
    if array.ndim != 1:
        raise InputError(
            f"samples of shape {array.shape}: give one channel of 16 kHz samples (a 1-D array; "
            "mix the channels first, e.g. samples.mean(axis=1))"
        )
    if array.dtype.kind == "i" and array.dtype.itemsize in (2, 4):
        return (array / float(2 ** (8 * array.dtype.itemsize - 1))).astype(np.float32)
    if array.dtype.kind != "f":
        raise InputError(f"samples of type {array.dtype}: give float32 (-1..1) or int16 PCM")
    samples = array.astype(np.float32, copy=False)
    bad = int(np.count_nonzero(~np.isfinite(samples)))
    if bad:
        raise InputError(f"{bad} of {len(samples)} samples are NaN or infinite")
    return samples

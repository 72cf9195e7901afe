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
    such a file as silence, or made text up, without a word), and what is not samples at all
    (a file's bytes, a file object, ``None``: named, not read as an array of no dimensions)."""
    if isinstance(value, (bytes, bytearray, memoryview)) or hasattr(value, "read"):
        raise InputError(_not_audio(value))
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested lists, objects NumPy cannot hold
        raise InputError(f"not an array of samples ({exc})") from None
    if array.ndim == 0:
        raise InputError(_not_audio(value))
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


def _not_audio(value: object) -> str:
    return (
        f"{type(value).__name__} given as audio: give a path to the media file, or its 16 kHz "
        "mono samples as a 1-D NumPy array"
    )

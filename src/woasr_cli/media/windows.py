"""Bounded windows over a decoded stream, cut in the quietest spot near each boundary.

ASR runs window by window so memory stays flat however long the input is. Cutting in the
quietest 100 ms of the last few seconds of a window keeps words whole at the seam.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from woasr_cli.media.audio import SAMPLE_RATE
from woasr_cli.media.decode import iter_audio
from woasr_cli.media.mixdown import SpeechSpans

DEFAULT_WINDOW_S = 60.0
_SEARCH_S = 8.0  # look this far back from the boundary for a quiet cut
_FRAME = SAMPLE_RATE // 10  # 100 ms energy frames


def quiet_cut(samples: npt.NDArray[np.float32], target: int) -> int:
    """Index of the quietest 100 ms frame centre in the ``_SEARCH_S`` seconds before ``target``."""
    lo = max(0, target - int(_SEARCH_S * SAMPLE_RATE))
    region = samples[lo:target]
    n = len(region) // _FRAME
    if n < 2:
        return target
    frames = region[: n * _FRAME].reshape(n, _FRAME)
    energy = np.einsum("ij,ij->i", frames, frames)
    # Prefer the latest of the (near-)quietest frames so windows stay long.
    quietest = float(energy.min())
    candidates = np.flatnonzero(energy <= quietest * 1.05 + 1e-9)
    return lo + int(candidates[-1]) * _FRAME + _FRAME // 2


def iter_windows(
    path: Path,
    window_s: float = DEFAULT_WINDOW_S,
    start: float = 0.0,
    speech: SpeechSpans | None = None,
    track: int | str | None = None,
) -> Generator[tuple[float, npt.NDArray[np.float32]], None, None]:
    """Yield ``(offset_seconds, samples)`` windows of at most ``window_s`` seconds (``speech``,
    ``track``: as for :func:`~woasr_cli.media.decode.iter_audio`)."""
    limit = int(window_s * SAMPLE_RATE)
    # Blocks are joined once a window's worth is in, and a window is a view of that one array
    # (no copy): a 300 s window costs its 19 MB once, not again for each block appended.
    blocks: list[npt.NDArray[np.float32]] = []
    size = 0
    offset = start
    for block in iter_audio(path, start, speech, track):
        blocks.append(block)
        size += len(block)
        if size < limit + SAMPLE_RATE:
            continue
        buffer = np.concatenate(blocks)
        blocks = []  # joined into ``buffer``: not kept twice while a window is out
        while len(buffer) >= limit + SAMPLE_RATE:
            cut = quiet_cut(buffer, limit)
            window = [buffer[:cut]]  # emptied by the yield: no local keeps the window
            # The few seconds after the cut are copied out, so nothing here holds the window's
            # memory while it is out: it goes when its reader lets it go, not when the next
            # window has been decoded (on a long file, 20 MB held for the whole time between
            # two windows, docs/performance.md, "Long recordings", session 16).
            buffer = buffer[cut:].copy()
            at, offset = offset, offset + cut / SAMPLE_RATE
            yield at, window.pop()
        blocks, size = [buffer], len(buffer)
    buffer = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
    if len(buffer) or offset == start:
        yield offset, buffer


def iter_array_windows(
    samples: npt.NDArray[np.float32], window_s: float = DEFAULT_WINDOW_S, start: float = 0.0
) -> Iterator[tuple[float, npt.NDArray[np.float32]]]:
    """:func:`iter_windows` over samples already in memory (views, no copies)."""
    limit = int(window_s * SAMPLE_RATE)
    offset, rest = start, samples
    while len(rest) >= limit + SAMPLE_RATE:
        cut = quiet_cut(rest, limit)
        yield offset, rest[:cut]
        offset += cut / SAMPLE_RATE
        rest = rest[cut:]
    yield offset, rest

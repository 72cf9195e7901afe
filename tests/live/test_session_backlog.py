"""A live source that delivers faster than real time (``ffmpeg -i talk.mp4 -f s16le - | woasr
listen --stdin``) is read ahead only so far, and handed to the passes at most 30 s a call:
the whole input was read into memory (0.7 GB for a 22-minute talk) and fed as one block, so
nothing was printed or written until all of it had been transcribed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np

from woasr_cli.live.session import _arrivals, never
from woasr_cli.media.audio import SAMPLE_RATE

BLOCK = 2 * SAMPLE_RATE  # what a 64 KB read of s16le holds
TOTAL_S = 1200
SLICE_S = 30  # a pass takes at most this many seconds
MAX_WAITING_S = 600  # read and not yet taken, at most (as a WebSocket stream may hold)


class FastPipe:
    """20 minutes as fast as it can be read; block ``k`` holds the value ``k``."""

    live = True
    name = "stdin"

    def __init__(self) -> None:
        self.read = 0  # samples handed out so far

    def blocks(self) -> Iterator[np.ndarray]:
        for k in range(TOTAL_S * SAMPLE_RATE // BLOCK):
            self.read += BLOCK
            yield np.full(BLOCK, k, dtype=np.float32)


def _settled(pipe: FastPipe) -> int:
    """How far the reader got once it stopped (or after 5 s)."""
    last, deadline = -1, time.monotonic() + 5
    while pipe.read != last and time.monotonic() < deadline:
        last = pipe.read
        time.sleep(0.3)
    return pipe.read


def test_a_pipe_faster_than_real_time_is_read_ahead_boundedly_and_fed_in_slices() -> None:
    pipe = FastPipe()
    fed = _arrivals(pipe, never)  # type: ignore[arg-type]
    first = next(fed)
    ahead = _settled(pipe) / SAMPLE_RATE
    assert ahead <= SLICE_S + MAX_WAITING_S + 2 * BLOCK / SAMPLE_RATE, ahead
    blocks = [first, *fed]
    assert max(len(b) for b in blocks) <= SLICE_S * SAMPLE_RATE
    audio = np.concatenate(blocks)  # nothing lost, nothing repeated, in order
    assert len(audio) == TOTAL_S * SAMPLE_RATE
    assert np.array_equal(audio[::BLOCK], np.arange(len(audio) // BLOCK, dtype=np.float32))
    assert pipe.read == TOTAL_S * SAMPLE_RATE


class OpenPipe(FastPipe):
    """A pipe that never ends (a microphone, a producer still writing); knows when it is let go."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def blocks(self) -> Iterator[np.ndarray]:
        try:
            while True:
                self.read += BLOCK
                yield np.zeros(BLOCK, dtype=np.float32)
        finally:
            self.closed = True


def test_a_stopped_stream_lets_its_source_go() -> None:
    """A library caller's stream stopped with its backlog full: the reader waited for room for
    good, holding 600 s of audio and the source open (a microphone kept recording)."""
    pipe, stop = OpenPipe(), [False]
    fed = _arrivals(pipe, lambda: stop[0])  # type: ignore[arg-type]
    next(fed)
    _settled(pipe)  # the backlog is full: the reader waits for room
    stop[0] = True
    assert list(fed) == []

    def reading() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "woasr-listen-stdin"]

    deadline = time.monotonic() + 5
    while (not pipe.closed or reading()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pipe.closed and not reading()

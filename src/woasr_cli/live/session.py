"""Drive a source through a processor until the input ends or the caller asks to stop.

A live source is read on a thread of its own, and what arrived while a pass ran goes to the
next - at most ``SLICE_S`` of it a call, as the WebSocket route takes it, and at most
``MAX_WAITING_S`` of it waiting: past that the reader waits for the passes (a pipe then
holds its writer back). ``ffmpeg -i talk.mp4 -f s16le - | woasr listen --stdin`` delivers
far faster than real time: the whole input was read into memory (a 22-minute talk: 0.7 GB,
1 GB at its peak) and handed to one pass, so nothing was printed or written to ``-o`` files
until all of it had been transcribed.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator

import numpy as np

from woasr_cli.live.events import EventSink, StreamEvent
from woasr_cli.live.processor import LiveProcessor
from woasr_cli.live.sources import AudioSource
from woasr_cli.media.audio import SAMPLE_RATE, Audio

_POLL = 0.1  # seconds between looks at the stop flag while waiting for audio
SLICE_S = 30.0  # seconds of audio a pass takes at most
MAX_WAITING_S = 600.0  # seconds of audio read and not yet taken, at most


def never() -> bool:
    return False


def run_stream(
    source: AudioSource,
    processor: LiveProcessor,
    sink: EventSink,
    should_stop: Callable[[], bool] = never,
) -> None:
    """Feed ``source`` to ``processor`` and hand every event to ``sink``; the tail is flushed
    (``finish``) whether the input ended or ``should_stop`` turned true."""
    blocks = _arrivals(source, should_stop) if source.live else _each(source, should_stop)
    for audio in blocks:
        _emit(processor.feed(audio), sink)
    _emit(processor.finish(), sink)


def _emit(events: list[StreamEvent], sink: EventSink) -> None:
    for event in events:
        sink(event)


def _each(source: AudioSource, should_stop: Callable[[], bool]) -> Iterator[Audio]:
    for block in source.blocks():
        if should_stop():
            return
        yield block


def _arrivals(
    source: AudioSource,
    should_stop: Callable[[], bool],
    slice_s: float = SLICE_S,
    max_waiting_s: float = MAX_WAITING_S,
) -> Iterator[Audio]:
    """What arrived while the last pass ran, as one block (at most ``slice_s`` of it): a live
    source never waits for the model unless ``max_waiting_s`` of audio waits already, and the
    model never sees the backlog one sliver at a time."""
    arrived = _Arrived(round(max_waiting_s * SAMPLE_RATE))

    def read() -> None:
        try:
            blocks = source.blocks()
            try:
                for block in blocks:
                    if not arrived.put(block):
                        return  # no one takes any more: the source is closed
            finally:
                getattr(blocks, "close", lambda: None)()
        except BaseException as exc:  # re-raised in the caller's thread
            arrived.put(exc)
        arrived.put(None)

    threading.Thread(target=read, name=f"woasr-listen-{source.name}", daemon=True).start()
    ended = False
    limit = round(slice_s * SAMPLE_RATE)
    try:
        while not ended and not should_stop():
            items = arrived.take(limit, _POLL)
            blocks: list[Audio] = []
            for item in items:
                if isinstance(item, BaseException):
                    raise item
                if item is None:
                    ended = True
                    break
                blocks.append(item)
            if blocks:
                yield np.concatenate(blocks)
    finally:
        # Stopped (or ended): a reader waiting for room, the backlog full, would wait for
        # good, holding that audio and the source (a library caller's process goes on).
        arrived.close()


class _Arrived:
    """Audio read and not yet taken, bounded: :meth:`put` waits while ``max_samples`` or more
    wait. Items are blocks of audio, an exception of the reader, or None (the end)."""

    def __init__(self, max_samples: int) -> None:
        self.max_samples = max_samples
        self._items: deque[Audio | BaseException | None] = deque()
        self._held = 0
        self._closed = False
        self._cond = threading.Condition()

    def put(self, item: Audio | BaseException | None) -> bool:
        """Add ``item``; False (and nothing added) once :meth:`close` was called."""
        with self._cond:
            if isinstance(item, np.ndarray):
                while self._held >= self.max_samples and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return False
                self._held += len(item)
            self._items.append(item)
            self._cond.notify_all()
            return True

    def close(self) -> None:
        """Nothing is taken any more: what waits is dropped, and :meth:`put` takes no audio."""
        with self._cond:
            self._closed = True
            self._items.clear()
            self._held = 0
            self._cond.notify_all()

    def take(self, limit: int, timeout: float) -> list[Audio | BaseException | None]:
        """What is there, up to ``limit`` samples of audio (a block past it is cut, its rest
        left first); waits up to ``timeout`` for anything; an empty list if nothing came."""
        with self._cond:
            if not self._items:
                self._cond.wait(timeout)
            taken: list[Audio | BaseException | None] = []
            room = limit
            while self._items and room > 0:
                item = self._items.popleft()
                if isinstance(item, np.ndarray):
                    if len(item) > room:
                        self._items.appendleft(item[room:])
                        item = item[:room]
                    room -= len(item)
                    self._held -= len(item)
                taken.append(item)
                if not isinstance(item, np.ndarray):
                    break  # the end, or the reader's error: nothing comes after it
            self._cond.notify_all()
            return taken

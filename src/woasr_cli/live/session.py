"""Drive a source through a processor until the input ends or the caller asks to stop."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

import numpy as np

from woasr_cli.live.events import EventSink, StreamEvent
from woasr_cli.live.processor import LiveProcessor
from woasr_cli.live.sources import AudioSource
from woasr_cli.media.audio import Audio

_POLL = 0.1  # seconds between looks at the stop flag while waiting for audio


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


def _arrivals(source: AudioSource, should_stop: Callable[[], bool]) -> Iterator[Audio]:
    """Everything that arrived while the last pass ran, as one block: a live source never
    waits for the model, and the model never sees the backlog one sliver at a time."""
    arrived: queue.Queue[Audio | BaseException | None] = queue.Queue()

    def read() -> None:
        try:
            for block in source.blocks():
                arrived.put(block)
        except BaseException as exc:  # re-raised in the caller's thread
            arrived.put(exc)
        arrived.put(None)

    threading.Thread(target=read, name=f"woasr-listen-{source.name}", daemon=True).start()
    ended = False
    while not ended and not should_stop():
        try:
            items = [arrived.get(timeout=_POLL)]
        except queue.Empty:
            continue
        while True:
            try:
                items.append(arrived.get_nowait())
            except queue.Empty:
                break
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

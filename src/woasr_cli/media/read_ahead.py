"""Produce the next items of an iterator on a reader thread while the consumer works.

Decoding a long file's audio window by window runs wherever the windows are pulled; where that
thread is the one a GPU waits for (it drives the batches), the decoding is time the GPU sits
idle. :func:`read_ahead` moves the pulling to a reader thread that keeps at most ``depth``
items ready. The consumer sees the same items in the same order, and an error raised by the
source is raised to the consumer at the same place, after the items before it. Closing the
reader (or dropping it) stops the thread and closes the source (its files and decoders).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from typing import TypeVar, cast

T = TypeVar("T")

_DONE = object()
_POLL_S = 0.1  # how often a blocked reader looks whether it was told to stop


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(items: Iterable[T], depth: int = 1) -> Generator[T, None, None]:
    """``items``, pulled on a reader thread up to ``depth`` ahead of the consumer."""
    if depth < 1:
        raise ValueError("depth must be >= 1")
    ready: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        source = iter(items)
        try:
            for item in source:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=reader, name="woasr-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield cast(T, item)
    finally:
        stop.set()
        thread.join()

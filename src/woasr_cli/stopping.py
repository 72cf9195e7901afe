"""Whether the calling thread's work has been asked to stop.

A front end's ``should_stop`` is checked by the pipeline between segments, but a batched
engine can keep a file's thread waiting far longer than a segment: its chunks wait for
batches that other threads run, and a 300 s window's text comes when its batches are done
(30 s and more on a CPU). So the pipeline also names the check for its thread
(:func:`stop_when`), and code that waits deep inside an engine polls it
(:func:`stop_requested`) and gives up with ``Interrupted``. A thread with no check named never
stops this way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def stop_when(should_stop: Callable[[], bool]) -> Iterator[None]:
    """Within the block, :func:`stop_requested` on this thread asks ``should_stop``."""
    previous = getattr(_local, "check", None)
    _local.check = should_stop
    try:
        yield
    finally:
        _local.check = previous


def stop_requested() -> bool:
    check: Callable[[], bool] | None = getattr(_local, "check", None)
    return check is not None and bool(check())

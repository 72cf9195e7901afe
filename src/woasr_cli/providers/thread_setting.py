"""A setting that holds on one thread within a block.

How a choice reaches code inside faster-whisper that takes no argument for it (the encoder's
window in sequential decoding, the VAD's fresh start where speech is cut): the caller sets it
for its own thread, the code woasr put in faster-whisper's place reads it, and other threads -
other files, diarization - are left as they were.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def thread_setting(local: threading.local, name: str, value: object) -> Iterator[None]:
    """``local.<name>`` is ``value`` on this thread within the block, and as it was after."""
    previous = getattr(local, name, None)
    setattr(local, name, value)
    try:
        yield
    finally:
        setattr(local, name, previous)

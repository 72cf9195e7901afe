"""``Backlog``: audio a stream has received and its passes have not taken yet, bounded.

A client that sends faster than real time (a file pushed as fast as the network allows, or a
hostile one) would otherwise grow the server's memory without limit. The server cannot simply
stop reading from it: pings are answered by reading too, and a client whose pings go
unanswered closes the connection (20 s in the ``websockets`` library). So the backlog is read
in full and bounded: past ``max_samples`` waiting, :class:`BacklogFull` ends the stream with a
reason. A real-time client never gets near it.
"""

from __future__ import annotations

import asyncio
from collections import deque

from woasr_cli.media.audio import Audio


class BacklogFull(Exception):
    """More audio is waiting than the stream may hold."""


class Backlog:
    def __init__(self, max_samples: int) -> None:
        self.max_samples = max_samples
        self.samples = 0  # held now
        self._items: deque[Audio | None] = deque()  # None: the end of the stream
        self._ready = asyncio.Event()

    def put(self, block: Audio | None) -> None:
        """Add a block (``None`` ends the stream); raises :class:`BacklogFull` instead of
        holding more than ``max_samples``."""
        size = 0 if block is None else len(block)
        if self.samples + size > self.max_samples:
            raise BacklogFull(f"more than {self.max_samples / 16000:g} s of audio waiting")
        self._items.append(block)
        self.samples += size
        self._ready.set()

    async def take(self) -> list[Audio | None]:
        """Everything held (at least one item, waiting for it)."""
        await self._ready.wait()
        items = list(self._items)
        self._items.clear()
        self.samples = 0
        self._ready.clear()
        return items

"""``LiveStreams``: a server's open WebSocket streams, ended together when the server stops.

Stopped as it was (SIGTERM, a rolling restart), ``woasr serve`` closed every stream with 1012
at once: the words heard but not yet committed were lost - `woasr listen` commits them on the
same signal. :meth:`LiveStreams.end_all` ends each stream's input as its client's ``{"type":
"end"}`` would: its tail is transcribed and sent as finals (and its ``files``), then the normal
close; streams that open meanwhile are refused. Only then are the connections closed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

# Seconds a stopping server gives its streams' tails: with uvicorn's own wait for the other
# connections after it, under the 10 s a container runtime waits before SIGKILL in most cases.
STOP_WAIT_S = 6.0


class LiveStreams:
    def __init__(self) -> None:
        self.stopping = False
        self._ends: dict[asyncio.Event, asyncio.Event] = {}  # a stream's "end now" -> "ended"

    def open(self) -> tuple[asyncio.Event, asyncio.Event]:
        """A stream's pair of events: set ``end`` to end its input; it sets ``done`` when it
        has closed (call :meth:`close` with it then)."""
        end, done = asyncio.Event(), asyncio.Event()
        self._ends[end] = done
        return end, done

    def close(self, end: asyncio.Event) -> None:
        done = self._ends.pop(end, None)
        if done is not None:
            done.set()

    async def end_all(
        self, wait_s: float = STOP_WAIT_S, give_up: Callable[[], bool] = lambda: False
    ) -> int:
        """End every open stream and wait up to ``wait_s`` for their tails to be sent, or until
        ``give_up()`` (a second Ctrl-C); the number of streams still open after that (to be
        closed by the server, 1012)."""
        self.stopping = True
        pending = list(self._ends.items())
        for end, _ in pending:
            end.set()
        waits = {asyncio.ensure_future(done.wait()) for _, done in pending}
        deadline = time.monotonic() + wait_s
        while waits and not give_up() and time.monotonic() < deadline:
            _, waits = await asyncio.wait(waits, timeout=0.1)
        for task in waits:
            task.cancel()
        return len(self._ends)

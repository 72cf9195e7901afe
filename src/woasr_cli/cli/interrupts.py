"""Ctrl-C handling: the first asks the batch to stop after the current segment, the second exits
at once (the manifest lease makes that job resumable)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType

from woasr_cli.cli.exit_codes import INTERRUPTED


class StopFlag:
    def __init__(self) -> None:
        self._event = threading.Event()

    def __call__(self) -> bool:
        return self._event.is_set()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        del frame
        if self._event.is_set():
            os.write(2, b"\nwoasr: stopped.\n")
            os._exit(INTERRUPTED)
        self._event.set()
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        sys.stderr.write(
            f"\nwoasr: {name}: finishing the current segment; Ctrl-C again to quit now\n"
        )

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self._handle)
            signal.signal(signal.SIGTERM, self._handle)

"""Ctrl-C and SIGTERM.

Ctrl-C: the first asks the batch to stop after the current segment, the second exits at once.
SIGTERM (what ``timeout``, CI runners and service managers send) asks the same, but the process
ends within :data:`TERM_GRACE_S` seconds whatever it is doing: blocked in a system call, or
inside an engine that holds the main thread for longer than that. Exit codes: 130 after Ctrl-C,
143 after SIGTERM (128 + the signal, as a shell reports it).

The manifest stays consistent either way: every change to it is one SQLite transaction, the
finished windows of the current job are checkpointed, and a job left ``running`` by a process
that has exited reads as ``interrupted`` (``woasr status``) and resumes on the next run or
``woasr retry``.

Signals are seen by a watcher thread through :func:`signal.set_wakeup_fd`, not by a Python
handler on the main thread: such a handler runs only when the main thread returns to Python,
which an engine call or a blocking ``open()`` can delay indefinitely.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

from woasr_cli.cli.descendants import end_descendants
from woasr_cli.cli.exit_codes import INTERRUPTED, TERMINATED

TERM_GRACE_S = 3.0  # after SIGTERM: time to finish the segment in hand before exiting anyway
_LAST_WORDS_S = 0.5  # what a forced exit gives the last-words callbacks
RESUME = "rerun the same command to resume"
# --force reset every finished file again: the same command started the whole batch over.
RESUME_FORCED = "rerun it without --force to resume (with --force every file starts over)"

_lock = threading.Lock()
_current: StopFlag | None = None
_watching = False


class StopFlag:
    """``grace_s``: how long SIGTERM leaves before the process exits anyway; ``resumable``:
    whether a rerun picks up where it stopped (a batch), or there is nothing to resume (a live
    stream, whose last words are transcribed in that time: ``woasr listen``)."""

    def __init__(
        self, grace_s: float = TERM_GRACE_S, *, resumable: bool = True, resume: str = RESUME
    ) -> None:
        self._event = threading.Event()
        self.signum: int | None = None
        self._last_words: list[Callable[[], None]] = []
        self.grace_s = grace_s
        self.resumable = resumable
        self.resume = resume  # how to pick up where it stopped, as the user is told

    def before_forced_exit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` (for at most half a second) when SIGTERM's deadline ends the
        process, e.g. to close a JSON event stream with its ``batch_done``."""
        self._last_words.append(callback)

    def __call__(self) -> bool:
        return self._event.is_set()

    @property
    def exit_code(self) -> int:
        """130 after Ctrl-C, 143 after SIGTERM."""
        return TERMINATED if self.signum == signal.SIGTERM else INTERRUPTED

    def _on_signal(self, signum: int) -> None:
        if self._event.is_set():
            if signum == signal.SIGINT or self.signum != signal.SIGTERM:
                _exit_now(self.exit_code, self.resume if self.resumable else None)
            return  # a repeated SIGTERM: the deadline is already running
        self.signum = signum
        self._event.set()
        if signum == signal.SIGTERM:
            deadline = threading.Timer(self.grace_s, self._forced_exit)
            deadline.daemon = True
            deadline.start()
            then = f"; {self.resume}" if self.resumable else ""
            _say(f"\nwoasr: SIGTERM: stopping (within {self.grace_s:.0f} s){then}\n")
        elif self.resumable:
            _say("\nwoasr: Ctrl-C: finishing the current segment; Ctrl-C again to quit now\n")
        else:
            _say("\nwoasr: Ctrl-C: writing the last words; Ctrl-C again to quit now\n")

    def _forced_exit(self) -> None:
        def say() -> None:
            for callback in self._last_words:
                callback()

        # In a thread of its own: a callback stuck on a lock must not keep the process alive.
        speaker = threading.Thread(target=say, daemon=True)
        speaker.start()
        speaker.join(_LAST_WORDS_S)
        _exit_now(self.exit_code, self.resume if self.resumable else None)

    def install(self) -> None:
        """Make this flag the one Ctrl-C and SIGTERM set (from the main thread only)."""
        global _current
        if threading.current_thread() is not threading.main_thread():
            return
        with _lock:
            _current = self
        _start_watcher()


def _exit_now(code: int, resume: str | None = RESUME) -> None:
    _say(f"\nwoasr: stopped; {resume}.\n" if resume else "\nwoasr: stopped.\n")
    end_descendants()  # a local Ray's processes: not left running on their own
    os._exit(code)


def _say(text: str) -> None:
    """Write to stderr, if anyone still reads it: where its reader has exited (``woasr ... 2>&1
    | tee log`` after Ctrl-C), the write failed and took the signal watcher with it, and
    neither SIGTERM nor a second Ctrl-C stopped the process any more."""
    with contextlib.suppress(OSError):
        os.write(2, text.encode())


def _ignore(signum: int, frame: FrameType | None) -> None:
    del signum, frame  # the watcher thread acts on it (see the module docstring)


def _start_watcher() -> None:
    global _watching
    with _lock:
        if _watching:
            return
        _watching = True
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    signal.signal(signal.SIGINT, _ignore)
    signal.signal(signal.SIGTERM, _ignore)
    threading.Thread(target=_watch, args=(read_fd,), name="woasr-signals", daemon=True).start()


def _watch(read_fd: int) -> None:
    while True:
        for signum in os.read(read_fd, 64):
            with _lock:
                flag = _current
            if flag is not None and signum in (signal.SIGINT, signal.SIGTERM):
                try:
                    flag._on_signal(signum)
                except Exception:  # the watcher must outlive anything a signal's handling meets
                    continue

"""Which paths are ordinary files: FIFOs, sockets and devices must never be opened for reading.

Opening a FIFO blocks until a writer appears (forever, in a media folder), and a character
device never ends. Inputs are checked with ``stat`` before anything opens them, and what does
open them uses ``O_NONBLOCK`` so a file swapped for a FIFO in between cannot hang either.
"""

from __future__ import annotations

import errno
import os
import stat

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a directory"),
)


def special_kind(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO (named pipe)", ...); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def not_regular_reason(mode: int) -> str | None:
    """The one-line reason such a file is not read as media; None for a regular file."""
    kind = special_kind(mode)
    return None if kind is None else f"{kind}, not a regular file: not read"


def open_regular(path: str | os.PathLike[str]) -> int:
    """``os.open`` for reading that never blocks on a FIFO or device; raises ``OSError`` (with
    the reason as ``strerror``) for anything but a regular file. The caller closes the fd."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        reason = not_regular_reason(mode)
        if reason is not None:
            raise OSError(0, reason)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # a regular file: ordinary reads from here on
    except BaseException:
        os.close(fd)
        raise
    return fd

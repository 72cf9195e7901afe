"""The processes this one started, and theirs: ended with it when it exits at once.

A process that ends with ``os._exit`` (SIGTERM's deadline, a second Ctrl-C) leaves what it
started behind. A local Ray's raylet and GCS go with the driver (Ray kills them when it dies),
but the agents the raylet started lost their parent and then waited on the dead GCS: Ray
processes ran 60 s on after such an exit (62.5, 63.7 and 65.3 s measured). A SIGTERM first
was not enough: an agent that got it as the GCS died still waited 62 s. They are killed as Ray
kills the raylet, outright; a file its actor was decoding reads as interrupted, as it does
after the driver's own exit. ``--workers`` processes go with their parent by themselves
(jobs/workers.py), as these would without this.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

_PROC = Path("/proc")


def end_descendants() -> None:
    """SIGKILL every live descendant of this process (Linux: read from /proc; elsewhere
    nothing is sent)."""
    for pid in _descendants(os.getpid()):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    try:
        entries = [p for p in _PROC.iterdir() if p.name.isdigit()]
    except OSError:
        return []
    for entry in entries:
        try:
            # after the command's name, which may hold spaces and parentheses: state, ppid
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        if fields[0] not in ("Z", "X"):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found

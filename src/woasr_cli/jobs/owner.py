"""Who holds a job: ``host:pid:nonce`` owner strings, and whether such an owner has died.

A lease expiry is the only proof of death that works across hosts. On the same host a dead
process is certain sooner, so its jobs can be taken over at once instead of after the lease.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path


def new_owner() -> str:
    """A name for this process that no other process, here or elsewhere, will have."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead_here(owner: str) -> bool:
    """True only if ``owner`` ran on this host and its process no longer runs.

    Anything uncertain (another host, an unparsable owner, this very process, a process we may
    not signal) counts as alive: the lease still protects those.
    """
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    # A killed child stays a zombie until its parent reaps it; it does no more work.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]

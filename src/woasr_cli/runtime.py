"""Process-level memory tuning for long batches (glibc only; a no-op elsewhere).

CTranslate2's threads and numpy's large temporary arrays make glibc keep one heap arena per
thread and hold freed pages, so a process's RSS creeps up window after window although the live
data stays flat. Fewer arenas and a trim after each audio window keep peak RSS on a 60-minute
input close to a 1-minute one (docs/performance.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from functools import cache

_M_ARENA_MAX = -8


@cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018  (musl has no malloc_trim: treat as not glibc)
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Call before engine threads start."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, arenas)


def release_memory() -> None:
    """Return freed heap pages to the OS (cheap; called once per audio window)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)

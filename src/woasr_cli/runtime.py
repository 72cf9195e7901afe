"""Process-level memory tuning for transcription (glibc only; a no-op elsewhere).

glibc serves each thread from its own heap arena and gives every buffer over its mmap threshold
(128 KiB, rising to 32 MiB) a fresh ``mmap``. CTranslate2's activations for a batch of 30 s
windows are tens of MiB, so each one was mapped, touched page by page and unmapped again on
every forward pass; a second arena's heaps were unmapped whole when emptied. Measured with
``perf stat -e page-faults`` on a 10-minute recording (tiny.en, 2 cores): 1.7 million page faults
and ~20 % of the CPU time in the kernel zeroing pages; with one arena, no mmap for big blocks and a
high trim threshold, 0.15-0.2 million, ~10 % less CPU in all on long files and 15-20 % less on
folders of short clips, at the same peak RSS (docs/performance.md, "Allocator").

Peak RSS stays flat on long inputs because freed memory is still handed back once per audio
window (:func:`release_memory`, ``malloc_trim``), just not after every buffer.
Set ``WOASR_MALLOC=system`` to leave glibc's defaults alone.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8
_TRIM_THRESHOLD = 1 << 30  # free memory kept at the top of the heap before glibc trims it
_TOP_PAD = 64 << 20  # extra asked of the kernel each time the heap grows
# The same settings for processes started from here (worker processes, Ray workers): read by
# glibc at start-up, before any thread exists, which mallopt() later cannot fully match.
ALLOCATOR_ENV = {
    "MALLOC_ARENA_MAX": "1",
    "MALLOC_MMAP_MAX_": "0",
    "MALLOC_TRIM_THRESHOLD_": str(_TRIM_THRESHOLD),
    "MALLOC_TOP_PAD_": str(_TOP_PAD),
}


@cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")  # already loaded: no search (find_library runs ldconfig)
        libc.gnu_get_libc_version  # noqa: B018  (glibc, not musl or another libc)
        libc.malloc_trim  # noqa: B018
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


_MALLOPT = {  # the environment variable behind each mallopt() parameter
    "MALLOC_ARENA_MAX": _M_ARENA_MAX,
    "MALLOC_MMAP_MAX_": _M_MMAP_MAX,
    "MALLOC_TRIM_THRESHOLD_": _M_TRIM_THRESHOLD,
    "MALLOC_TOP_PAD_": _M_TOP_PAD,
}


@cache
def tune_allocator() -> bool:
    """One heap arena, big blocks from the heap, trimmed only at :func:`release_memory`.

    Best called before any thread starts (the CLI does so first thing; :class:`Transcriber`
    calls it too, for library users): arenas threads already own stay in use. Idempotent;
    returns whether anything was changed."""
    settings = allocator_env()
    libc = _libc()
    if not settings or libc is None:
        return False
    for name, value in settings.items():
        try:
            libc.mallopt(_MALLOPT[name], int(value))
        except ValueError:  # a user's unreadable MALLOC_* value: glibc ignored it too
            continue
        os.environ.setdefault(name, value)  # for the processes started from here
    return True


def allocator_env() -> dict[str, str]:
    """The settings, as environment variables (a user's own MALLOC_* values win), for this
    process and for one started elsewhere (a Ray actor on a cluster) to be tuned from its
    first allocation; empty where tuning is off or not glibc."""
    if os.environ.get("WOASR_MALLOC", "").strip().lower() == "system" or _libc() is None:
        return {}
    return {name: os.environ.get(name, value) for name, value in ALLOCATOR_ENV.items()}


# NumPy's matrix products in a transcription are small (the log-mel filterbank of each 30 s
# chunk, 80x201 by 201x3001); OpenBLAS runs each on one thread per core, and its threads then
# spin waiting for the next call on the cores CTranslate2's batches want. 10-minute recording,
# tiny.en, 2 cores, 3 interleaved pairs: CPU 27.0 / 25.7 / 29.0 -> 23.8 / 24.1 / 24.7 s, wall
# 16.8 / 15.1 / 17.6 -> 14.6 / 14.7 / 15.2 s, the same subtitles (docs/performance.md).
BLAS_ENV = {"OPENBLAS_NUM_THREADS": "1"}


def blas_env() -> dict[str, str]:
    """One OpenBLAS thread, as environment variables (a user's own value wins)."""
    return {name: os.environ.get(name, value) for name, value in BLAS_ENV.items()}


@cache
def limit_blas_threads() -> bool:
    """Give NumPy's OpenBLAS one thread (woasr runs its work side by side at the level of
    batches and files). OpenBLAS reads this when NumPy is first imported, so it is set only
    if NumPy is not loaded yet (the CLI calls it first thing; :class:`Transcriber` too, for
    library users who have not imported NumPy). Returns whether it applied."""
    if "numpy" in sys.modules:
        return False
    for name, value in blas_env().items():
        os.environ.setdefault(name, value)  # also for the processes started from here
    return True


@contextmanager
def few_torch_threads() -> Iterator[None]:
    """Torch on one thread per four cores (on the calling thread, which OpenMP's setting is
    for; restored after) while a file is aligned and its speakers found: the diarizers and the
    aligner enter it themselves (for a library caller too), the pipeline's post-processing
    around them and the enrollment clips. Those models' layers are small, so torch's OpenMP
    threads (one per core by default) meet at a barrier after each; where another thread or
    program holds a core - CTranslate2 decoding the next file of the batch, a second server
    job, anything else on the machine - the thread left without one stalls every barrier.
    Beside one busy process on 2 cores, diarizing the 30 s pyannote_sample took 244 s against
    13 s on one thread, and aligning a minute with a wav2vec2-base-sized model 28-29 s against
    6 s; with nothing else running one thread was no slower (3.9 against 5.3 s for the
    diarization).

    Never more than torch had: a Ray actor's torch runs on the CPUs Ray reserved for it (Ray
    sets ``OMP_NUM_THREADS``), which on a big node are far fewer than a quarter of its cores;
    so does one whose user set ``OMP_NUM_THREADS`` or ``torch.set_num_threads``."""
    try:
        import torch
    except ImportError:  # nothing of torch's to hold back
        yield
        return
    with torch_threads(min(torch.get_num_threads(), max(1, usable_cores() // 4))):
        yield


@contextmanager
def few_blas_threads() -> Iterator[None]:
    """NumPy's BLAS on one thread within the block where it was loaded on more: a library
    caller (a notebook) that imported NumPy before woasr, so :func:`limit_blas_threads` could
    not set it. The diarizers enter it around their clustering, whose matrices are small:
    beside one busy process on 2 cores, clustering a test's windows took 14.6-42.7 s on
    OpenBLAS's 2 threads against 1.7-2.6 s on one (docs/performance.md, session 49). Through
    threadpoolctl, which scikit-learn (the diarize extra's librosa, pyannote.audio) brings;
    without it, or where BLAS is on one thread already, nothing changes."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Torch on ``threads`` threads on the calling thread within the block, as it was after
    (0: as it is). The torch ASR engines (origin_whisper, hf_auto_asr) run on the user's
    ``--threads`` (``--workers N`` gives each worker its share of the cores as ``threads``)
    so: a Whisper of base size (random weights, timing only) decoding 30 s beside a one-core
    busy loop on 2 cores took 51.2 / 57.3 s on 2 threads against 18.0 / 34.8 s on 1
    (docs/performance.md, session 46)."""
    if threads <= 0:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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

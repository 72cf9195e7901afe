"""``--threads`` for the engines that run on torch (origin_whisper, hf_auto_asr).

Torch runs a model's layers on one OpenMP thread per core, and the threads meet at a barrier
after each; where another program or worker holds a core, the thread left without one stalls
every barrier (runtime.few_torch_threads). A Whisper of base size (random weights, timing only)
decoding 30 s beside a one-core busy loop on 2 cores, 2 threads against 1 interleaved in one
process: 51.2 / 57.3 s against 18.0 / 34.8 s (load 5.6-6.4; docs/performance.md). The user's
``--threads`` (and ``--workers N``, which gives each worker its share of the cores as
``threads``) now reaches these engines, as it reached NeMo's; left at 0, torch decides.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Torch on ``threads`` threads on the calling thread within the block (0: as it is)."""
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

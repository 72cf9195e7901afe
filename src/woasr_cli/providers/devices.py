"""Which device an engine runs on, decided the same way for every engine.

``auto`` takes a CUDA GPU when the engine can see one and the CPU otherwise; ``cuda`` asked for
where the engine sees no GPU is refused with one line rather than silently run on the CPU (or
left to fail deep inside the engine).
"""

from __future__ import annotations

from collections.abc import Callable

from woasr_cli.errors import UsageError


def pick_device(requested: str, cuda_available: Callable[[], bool], engine: str) -> str:
    """``"cuda"`` or ``"cpu"`` for ``--device auto|cpu|cuda``."""
    if requested == "cpu":
        return "cpu"
    has_cuda = cuda_available()
    if requested == "cuda" and not has_cuda:
        raise UsageError(f"--device cuda: {engine} sees no CUDA GPU on this machine")
    return "cuda" if has_cuda else "cpu"


def torch_cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def ctranslate2_cuda() -> bool:
    import ctranslate2

    return int(ctranslate2.get_cuda_device_count()) > 0

"""Load each model once per process and share it between the engines that use it.

A model stays loaded while something holds it (a provider, a Transcriber), and the model last
asked for stays loaded after that too, so a program that transcribes batch after batch
(``run_batch`` in a loop, a notebook) loads it once. A process that manages what it keeps
(``woasr serve``'s model pool) calls :func:`let_go` after unloading, and a model nothing holds
is then gone with its memory. Engines loaded for different per-engine settings (batch sizes, a
live stream's passes) share one copy of the weights.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

_LOCK = threading.Lock()
_MODELS: weakref.WeakValueDictionary[Hashable, object] = weakref.WeakValueDictionary()
_WARM: list[object] = []  # the model last asked for


def cached(key: Hashable, build: Callable[[], T]) -> T:
    with _LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = build()
            with contextlib.suppress(TypeError):  # cannot be referenced weakly: not shared
                _MODELS[key] = model
        _WARM[:] = [model]
        return model  # type: ignore[return-value]


def let_go() -> None:
    """Stop keeping the model last asked for: from now on models live only while held."""
    with _LOCK:
        _WARM.clear()


def loaded_count() -> int:
    """Models loaded now (held by something)."""
    with _LOCK:
        return len(_MODELS)

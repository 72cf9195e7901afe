"""Load each model once per process and share it between the engines that use it.

A model stays loaded while something holds it (a provider, a Transcriber); once nothing does,
it is unloaded, and the next request loads it again. So a long-running process that lets go of
its engines (``woasr serve`` unloading an idle model) gets the memory back, while engines
loaded for different per-engine settings (batch sizes, a live stream's passes) share one copy.
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


def cached(key: Hashable, build: Callable[[], T]) -> T:
    with _LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = build()
            with contextlib.suppress(TypeError):  # cannot be referenced weakly: not shared
                _MODELS[key] = model
        return model  # type: ignore[return-value]


def loaded_count() -> int:
    """Models loaded now (held by something)."""
    with _LOCK:
        return len(_MODELS)

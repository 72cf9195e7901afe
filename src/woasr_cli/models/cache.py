"""Load each model once per process and share it between jobs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

_LOCK = threading.Lock()
_MODELS: dict[Hashable, object] = {}


def cached(key: Hashable, build: Callable[[], T]) -> T:
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = build()
        return _MODELS[key]  # type: ignore[return-value]


def clear() -> None:
    with _LOCK:
        _MODELS.clear()

"""``ModelPool``: the models a long-running process keeps loaded, shared and bounded.

``woasr serve`` (its job queue, its OpenAI-compatible routes and its live streams) keeps one
:class:`~woasr_cli.transcriber.Transcriber` per set of options that needs engines of its own
(provider, model, device, compute type, ...: ``KEY_FIELDS``) and lends it to every request that
can use it; other options (language, prompt, beam...) change per call.

Clients choose the model (``model_size``, ``compute_type``...), so what stays loaded is bounded:
at most ``max_models`` at once. To load another, the least recently used model nobody is using
is unloaded first; with ``idle_s`` set, a model left unused that long is unloaded too. A model
in use is never unloaded: a caller that may wait (:meth:`ModelPool.use`, a queued job) waits
until one is free, and while it waits new work for the loaded ones waits behind it, so it is
not starved. A caller that must answer now (``wait=False``) gets :class:`ModelsBusy`.

Engines load outside the pool's lock, so requests for loaded models are not held up by a load.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from woasr_cli.errors import Interrupted, WoasrError
from woasr_cli.options import TranscribeOptions
from woasr_cli.runtime import release_memory

if TYPE_CHECKING:  # the engines' side is imported when a model is first asked for
    from woasr_cli.providers.base import Provider
    from woasr_cli.transcriber import Transcriber

# What a Transcriber is loaded for; everything else may change per call.
KEY_FIELDS = (
    "provider", "model", "device", "compute_type", "threads", "batch_size", "pack",
    "align", "align_model", "diarize", "diarize_backend", "diarize_model",
)  # fmt: skip
DEFAULT_MAX_MODELS = 3
_WAIT_STEP_S = 0.5  # how often a waiting caller looks at ``should_stop``

Key = tuple[Any, ...]


class ModelsBusy(WoasrError):
    """Every model slot is taken by work in progress; the caller may try again later."""


@dataclass(eq=False)
class LoadedModel:
    transcriber: Transcriber
    slots: threading.BoundedSemaphore  # files in flight at once
    users: int = 0
    last_used: float = field(default_factory=time.monotonic)

    @property
    def provider(self) -> Provider:
        return self.transcriber.provider


class ModelPool:
    def __init__(
        self,
        max_models: int = DEFAULT_MAX_MODELS,
        idle_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_models < 1:
            raise ValueError("max_models must be >= 1")
        self.max_models = max_models
        self.idle_s = idle_s
        self._clock = clock
        self._models: OrderedDict[Key, LoadedModel] = OrderedDict()  # least recently used first
        self._loading: set[Key] = set()
        self._waiting: Counter[Key] = Counter()  # callers waiting for room to load these
        self._cond = threading.Condition()
        self._closed = threading.Event()
        self._sweeper: threading.Thread | None = None
        self.unloads = 0

    @staticmethod
    def key(options: TranscribeOptions) -> Key:
        return tuple(getattr(options, name) for name in KEY_FIELDS)

    # -- lending -----------------------------------------------------------------------------
    def check(self, options: TranscribeOptions) -> None:
        """Fail now for options this process cannot serve: the library's errors (unknown
        provider, missing extra, model not found, an option the model cannot honour), or
        :class:`ModelsBusy`. The model stays loaded for the work that follows."""
        from woasr_cli.policy import prepare
        from woasr_cli.providers.base import check_options

        options = prepare(options)
        with self.use(options, wait=False) as loaded:
            check_options(loaded.provider, options)

    @contextmanager
    def use(
        self,
        options: TranscribeOptions,
        *,
        wait: bool = True,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[LoadedModel]:
        """The loaded model for ``options``, not unloaded while the block runs.

        ``wait``: wait for a free slot when every one is in use (raises ``Interrupted`` once
        ``should_stop()`` turns true meanwhile); otherwise raise :class:`ModelsBusy`."""
        loaded = self.acquire(options, wait=wait, should_stop=should_stop)
        try:
            yield loaded
        finally:
            self.release(loaded)

    def acquire(
        self,
        options: TranscribeOptions,
        *,
        wait: bool = True,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> LoadedModel:
        """:meth:`use` for callers whose use does not fit a block: :meth:`release` it."""
        from woasr_cli.policy import prepare
        from woasr_cli.transcriber import Transcriber

        options = prepare(options)
        key = self.key(options)
        unload: list[LoadedModel] = []
        with self._cond:
            while True:
                loaded = self._models.get(key)
                # Behind a caller already waiting for room, unless this is the model it wants.
                if loaded is not None and (not wait or not self._waiting or key in self._waiting):
                    loaded.users += 1
                    self._models.move_to_end(key)
                    return loaded
                if loaded is None and key not in self._loading and self._make_room(unload):
                    self._loading.add(key)
                    break
                if not wait and key not in self._loading:  # (a load under way is waited for)
                    raise ModelsBusy(
                        f"all {self.max_models} model slots are in use by other work; "
                        "try again later"
                    )
                if should_stop():
                    raise Interrupted("stopped while waiting for a model")
                if loaded is None:
                    self._waiting[key] += 1
                try:
                    self._cond.wait(_WAIT_STEP_S)
                finally:
                    if loaded is None:
                        self._waiting[key] -= 1
                        if self._waiting[key] <= 0:
                            del self._waiting[key]
        self._unload(unload)
        try:
            transcriber = Transcriber(options)
        except BaseException:
            with self._cond:
                self._loading.discard(key)
                self._cond.notify_all()
            raise
        loaded = LoadedModel(transcriber, threading.BoundedSemaphore(transcriber.concurrent_files))
        loaded.users = 1
        with self._cond:
            self._loading.discard(key)
            self._models[key] = loaded
            self._cond.notify_all()
        self._start_sweeper()
        return loaded

    def release(self, loaded: LoadedModel) -> None:
        with self._cond:
            loaded.users -= 1
            loaded.last_used = self._clock()
            self._cond.notify_all()

    # -- unloading ---------------------------------------------------------------------------
    def _make_room(self, unload: list[LoadedModel]) -> bool:
        """Under the lock: whether one more model fits, unloading the least recently used idle
        ones into ``unload`` if that makes it fit."""
        while len(self._models) + len(self._loading) >= self.max_models:
            idle = next((k for k, m in self._models.items() if m.users == 0), None)
            if idle is None:
                return False
            unload.append(self._models.pop(idle))
        return True

    def sweep(self) -> int:
        """Unload the models idle for ``idle_s`` or longer; returns how many."""
        if self.idle_s is None:
            return 0
        now = self._clock()
        with self._cond:
            stale = [
                k
                for k, m in self._models.items()
                if m.users == 0 and now - m.last_used >= self.idle_s
            ]
            unload = [self._models.pop(k) for k in stale]
        self._unload(unload)
        return len(stale)

    def close(self, wait_s: float = 0.0) -> bool:
        """Stop the idle sweeper and unload the models, waiting up to ``wait_s`` for those in
        use to be let go (work stopping after its current batch); True if all were unloaded.

        Before a process exits: an engine torn down by the interpreter's exit while a batch
        is still inside it crashes the process (SIGSEGV/SIGABRT)."""
        self._closed.set()
        deadline = time.monotonic() + wait_s
        with self._cond:
            while any(m.users for m in self._models.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            idle = [k for k, m in self._models.items() if m.users == 0]
            unload = [self._models.pop(k) for k in idle]
            everything = not self._models
        self._unload(unload)
        return everything

    def _unload(self, unload: list[LoadedModel]) -> None:
        """Close and let go of ``unload`` (emptied: the caller's list held them too)."""
        if not unload:
            return
        from woasr_cli.models.cache import let_go

        for loaded in unload:
            loaded.transcriber.close()
        self.unloads += len(unload)
        unload.clear()
        let_go()
        gc.collect()  # engines' reference cycles (torch modules) go now, not at some later pass
        release_memory()

    def _start_sweeper(self) -> None:
        if self.idle_s is None or self._sweeper is not None:
            return
        step = min(max(self.idle_s / 4, 0.05), 30.0)

        def sweep_forever() -> None:
            while not self._closed.wait(step):
                self.sweep()

        with self._cond:
            if self._sweeper is None:
                self._sweeper = threading.Thread(
                    target=sweep_forever, name="woasr-model-sweeper", daemon=True
                )
                self._sweeper.start()

    # -- reading -----------------------------------------------------------------------------
    def loaded(self) -> list[Provider]:
        with self._cond:
            return [m.provider for m in self._models.values()]


__all__ = ["DEFAULT_MAX_MODELS", "KEY_FIELDS", "LoadedModel", "ModelPool", "ModelsBusy"]

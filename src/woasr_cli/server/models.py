"""One loaded model per provider/model/device/compute type, shared by every request.

Requests with other per-call options (language, prompt, beam size...) share the same loaded
model: providers take their options per ``transcribe`` call. A provider that batches across
files (faster-whisper) is driven by up to ``concurrent_files`` threads at once, so chunks from
different requests are decoded in the same batches; other providers get one thread at a time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import Provider, check_options, concurrent_files
from woasr_cli.providers.registry import check_capabilities, get_spec, load_provider

ModelKey = tuple[str, str | None, str, str]


@dataclass
class LoadedModel:
    provider: Provider
    slots: threading.BoundedSemaphore  # threads allowed in ``transcribe`` at once


class ModelCache:
    def __init__(self, default_model: str | None = None, device: str = "auto") -> None:
        self._models: dict[ModelKey, LoadedModel] = {}
        self._lock = threading.Lock()
        self._loading: dict[ModelKey, threading.Lock] = {}
        self.default_model = default_model
        self.device = device

    @staticmethod
    def key(options: TranscribeOptions) -> ModelKey:
        return (options.provider, options.model, options.device, options.compute_type)

    def get(self, options: TranscribeOptions) -> LoadedModel:
        loaded = self._load(options)
        check_options(loaded.provider, options)
        return loaded

    def _load(self, options: TranscribeOptions) -> LoadedModel:
        """The shared model for these options, loaded on first use (in the calling thread).

        Raises the library's errors (unknown provider, missing extra, model not found, an
        option the provider cannot honour) before any work is queued."""
        check_capabilities(get_spec(options.provider), options)
        key = self.key(options)
        with self._lock:
            loaded = self._models.get(key)
            if loaded is not None:
                return loaded
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:  # one load per key, even when several requests ask at once
            with self._lock:
                if key in self._models:
                    return self._models[key]
            provider = load_provider(options)
            loaded = LoadedModel(provider, threading.BoundedSemaphore(concurrent_files(provider)))
            with self._lock:
                self._models[key] = loaded
            return loaded

    def loaded(self) -> list[Provider]:
        with self._lock:
            return [m.provider for m in self._models.values()]

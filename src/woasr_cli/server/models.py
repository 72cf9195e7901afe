"""One :class:`~woasr_cli.transcriber.Transcriber` per provider/model/device/compute type (and
post-processing), shared by every request.

Requests with other per-call options (language, prompt, beam size...) share the same loaded
engines: the Transcriber takes those per call. Where the engine batches across files
(faster-whisper), up to ``concurrent_files`` threads drive it at once, so speech chunks from
different requests are decoded in the same batches, as in ``woasr transcribe``; other engines
get one file at a time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from woasr_cli.options import TranscribeOptions
from woasr_cli.policy import prepare
from woasr_cli.providers.base import Provider, check_options
from woasr_cli.transcriber import Transcriber

# What a Transcriber is loaded for; everything else may change per call.
_KEY_FIELDS = (
    "provider", "model", "device", "compute_type", "threads", "batch_size", "pack",
    "align", "align_model", "diarize", "diarize_backend", "diarize_model",
)  # fmt: skip


@dataclass
class LoadedModel:
    transcriber: Transcriber
    slots: threading.BoundedSemaphore  # files in flight at once

    @property
    def provider(self) -> Provider:
        return self.transcriber.provider


class ModelCache:
    def __init__(self) -> None:
        self._models: dict[tuple[Any, ...], LoadedModel] = {}
        self._lock = threading.Lock()
        self._loading: dict[tuple[Any, ...], threading.Lock] = {}

    @staticmethod
    def key(options: TranscribeOptions) -> tuple[Any, ...]:
        return tuple(getattr(options, name) for name in _KEY_FIELDS)

    def get(self, options: TranscribeOptions) -> LoadedModel:
        """The shared engines for these options, loaded on first use (in the calling thread).

        Raises the library's errors (unknown provider, missing extra, model not found, an
        option the provider or this model cannot honour) before any work is queued."""
        options = prepare(options)
        loaded = self._load(options)
        check_options(loaded.provider, options)
        return loaded

    def _load(self, options: TranscribeOptions) -> LoadedModel:
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
            transcriber = Transcriber(options)
            slots = threading.BoundedSemaphore(transcriber.concurrent_files)
            loaded = LoadedModel(transcriber, slots)
            with self._lock:
                self._models[key] = loaded
            return loaded

    def loaded(self) -> list[Provider]:
        with self._lock:
            return [m.provider for m in self._models.values()]

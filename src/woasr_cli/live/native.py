"""Live streams through a model that streams by itself (a cache-aware NeMo FastConformer).

Such a model encodes each chunk of new audio once, with its caches as context, and its decoder
never revises what it emitted: no re-transcription and no agreement between passes are needed.
A word is final once the next one starts (or after a pause); the word being spoken is the
partial. The model hears every second of audio (it was trained on silence too), so there is no
voice gate, and it identifies no language: the stream's is the one asked for, if any.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from woasr_cli.live.events import StreamEvent
from woasr_cli.media.audio import SAMPLE_RATE, Audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.transcript import Word


class NativeStream(Protocol):
    """What a provider's ``open_stream()`` returns (``providers.nemo_streaming``)."""

    steps: int

    @property
    def pending(self) -> list[Word]: ...

    def accept(self, audio: Audio) -> list[Word]: ...

    def finish(self) -> list[Word]: ...


class NativeStreamProcessor:
    """The :class:`~woasr_cli.live.processor.StreamProcessor` interface over a native stream."""

    def __init__(self, stream: NativeStream, options: TranscribeOptions) -> None:
        self.stream = stream
        self.options = options
        self.language: str | None = options.language
        self.received = 0  # samples taken
        self._partial = ""

    @property
    def passes(self) -> int:
        return self.stream.steps

    def feed(self, audio: Audio) -> list[StreamEvent]:
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        self.received += len(samples)
        return self._events(self.stream.accept(samples))

    def finish(self) -> list[StreamEvent]:
        return self._events(self.stream.finish())

    def _events(self, words: list[Word]) -> list[StreamEvent]:
        events = [StreamEvent.of("final", words)] if words else []
        pending = self.stream.pending
        partial = " ".join(w.text for w in pending)
        if partial != self._partial:
            events.append(StreamEvent.of("partial", pending, self.received / SAMPLE_RATE))
            self._partial = partial
        return events

"""Live streams through a model that streams by itself (a cache-aware NeMo FastConformer).

Such a model encodes each chunk of new audio once, with its caches as context, and its decoder
never revises what it emitted: no re-transcription and no agreement between passes are needed.
A word is final once the next one starts (or after a pause); the word being spoken is the
partial. With voice gating (the default) the model hears speech only, with a pre-roll and a
hang-over long enough for its last word to be final (``live.gate``): silence costs a VAD frame,
not an encoder step, and gives no text. It identifies no language: the stream's is the one
asked for, if any.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import numpy as np

from woasr_cli.live.events import StreamEvent
from woasr_cli.live.gate import VoiceGate
from woasr_cli.media.audio import SAMPLE_RATE, Audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.transcript import Word

_SLACK_S = 0.2  # more hang-over than the stream says it needs


class NativeStream(Protocol):
    """What a provider's ``open_stream()`` returns (``providers.nemo_streaming``)."""

    steps: int
    final_within_s: float  # audio after a word's end it needs, at most, to make the word final

    @property
    def pending(self) -> list[Word]: ...

    def accept(self, audio: Audio) -> list[Word]: ...

    def end_word(self) -> list[Word]: ...

    def finish(self) -> list[Word]: ...


class NativeStreamProcessor:
    """The :class:`~woasr_cli.live.processor.StreamProcessor` interface over a native stream."""

    def __init__(
        self, stream: NativeStream, options: TranscribeOptions, *, vad: bool = True
    ) -> None:
        self.stream = stream
        self.options = options
        self.language: str | None = options.language
        self.received = 0  # samples taken
        self._partial = ""
        self.gate = VoiceGate(stream.final_within_s + _SLACK_S) if vad else None

    @property
    def passes(self) -> int:
        return self.stream.steps

    def feed(self, audio: Audio) -> list[StreamEvent]:
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        self.received += len(samples)
        if self.gate is None:
            return self._events(self.stream.accept(samples))
        first = self.gate.passed
        samples = self.gate.feed(samples)
        words: list[Word] = []
        done = 0
        for shut in self.gate.take_shuts():  # after the hang-over: the word being said is done
            words += self.stream.accept(samples[done : shut - first])
            words += self.stream.end_word()
            done = shut - first
        if done < len(samples):
            words += self.stream.accept(samples[done:])
        return self._events(words)

    def finish(self) -> list[StreamEvent]:
        if self.gate is not None:
            rest = self.gate.finish()
            words = self.stream.accept(rest) if len(rest) else []
            return self._events(words + self.stream.finish())
        return self._events(self.stream.finish())

    def _events(self, words: list[Word]) -> list[StreamEvent]:
        words = self._real(words)
        events = [StreamEvent.of("final", words)] if words else []
        pending = self._real(self.stream.pending)
        partial = " ".join(w.text for w in pending)
        if partial != self._partial:
            events.append(StreamEvent.of("partial", pending, self.received / SAMPLE_RATE))
            self._partial = partial
        return events

    def _real(self, words: list[Word]) -> list[Word]:
        """Words at the stream's times (the model's stand still while the gate is shut)."""
        gate = self.gate
        if gate is None:
            return words
        return [
            replace(w, start=round(gate.real_time(w.start), 3), end=round(gate.real_time(w.end), 3))
            for w in words
        ]

"""A provider that lives outside woasr: plain faster-whisper, one stream, no VAD or batching.

It is registered by a test with one ``register(ProviderSpec(...))`` call and nothing in woasr
edited, to show that adding an engine is a new module plus one registration.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from woasr_cli.media.audio import Audio
from woasr_cli.models.resolve import resolve_ct2_model
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import LanguageInfo
from woasr_cli.transcript import Segment, Word


class PlainWhisper:
    name = "plain_whisper"

    def __init__(self, model: Any, model_name: str) -> None:
        self._model = model
        self.model_name = model_name

    def transcribe(
        self, audio: Audio, options: TranscribeOptions
    ) -> tuple[Iterator[Segment], LanguageInfo]:
        segments, info = self._model.transcribe(
            audio,
            language=options.language,
            beam_size=options.beam_size,
            word_timestamps=bool(options.word_timestamps),
        )
        found = (
            Segment(
                start=s.start,
                end=s.end,
                text=s.text.strip(),
                words=[Word(w.start, w.end, w.word.strip(), w.probability) for w in s.words or []],
            )
            for s in segments
        )
        return found, LanguageInfo(info.language, info.language_probability)


def load(options: TranscribeOptions) -> PlainWhisper:
    from faster_whisper import WhisperModel

    name = options.model or "tiny.en"
    cache = Path(options.model_cache_dir) if options.model_cache_dir else None
    location = resolve_ct2_model(name, cache, offline=options.offline)
    return PlainWhisper(WhisperModel(str(location.path), compute_type="int8", cpu_threads=2), name)

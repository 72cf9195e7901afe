"""The provider interface every ASR engine implements.

A provider is loaded once (``load``) and then transcribes 16 kHz mono float32 arrays. It returns
engine-neutral :class:`~woasr_cli.transcript.Segment` objects lazily, with times relative to the
array it was given; the pipeline shifts them, checkpoints them and renders formats. Providers
never write files and know nothing of formats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol

from woasr_cli.media.audio import Audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.transcript import Segment


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do; checked against the options before any work starts."""

    translate: bool
    word_timestamps: bool
    language_detection: bool
    needs_torch: bool
    gpu: bool
    languages: frozenset[str] | None = None  # None: multilingual (model dependent)
    initial_prompt: bool = False
    hotwords: bool = False
    beam_size: bool = True
    batched: bool = False


@dataclass(frozen=True)
class LanguageInfo:
    language: str | None
    probability: float | None = None


class Provider(Protocol):
    """A loaded engine + model, ready to transcribe arrays."""

    name: str
    model_name: str

    def transcribe(
        self, audio: Audio, options: TranscribeOptions
    ) -> tuple[Iterator[Segment], LanguageInfo]:
        """Transcribe ``audio`` (16 kHz mono float32).

        Segments come lazily, in time order, with times relative to ``audio``; callers may stop
        consuming early. ``options.language`` is honoured when set, else the language is
        detected and reported in the returned :class:`LanguageInfo`.
        """
        ...


def concurrent_files(provider: Provider) -> int:
    """How many files one process should transcribe at once with this provider.

    A provider that batches work across files (``concurrent_files`` > 1) also offers
    ``file_session()``, a context each file's thread holds while it works on that file.
    """
    return max(1, int(getattr(provider, "concurrent_files", 1)))


def file_session(provider: Provider) -> AbstractContextManager[None]:
    session: Callable[[], AbstractContextManager[None]] | None = getattr(
        provider, "file_session", None
    )
    return session() if session is not None else nullcontext()


def check_options(provider: Provider, options: TranscribeOptions) -> None:
    """Refuse options the loaded model cannot honour, where the provider can tell before any
    audio (``check(options)``, e.g. a language an English-only model lacks)."""
    check: Callable[[TranscribeOptions], None] | None = getattr(provider, "check", None)
    if check is not None:
        check(options)

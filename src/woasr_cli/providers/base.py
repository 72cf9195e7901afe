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
from typing import Protocol, runtime_checkable

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
    # The engine can be told the language of the audio (--language). One that cannot (its
    # models transcribe the language they were trained on) refuses the option rather than
    # write into the transcript a language it never used.
    language_option: bool = True
    # The --compute-type values the engine honours (None: CTranslate2's, whichever it takes);
    # another is refused before any model loads ("default", the engine's choice, always passes)
    compute_types: frozenset[str] | None = None
    initial_prompt: bool = False
    hotwords: bool = False
    beam_size: bool = True
    batched: bool = False
    # Voice activity detection: "switchable" (--vad/--no-vad), "always" (the engine cuts its
    # input with VAD whatever it is told) or "none" (--vad is refused).
    vad: str = "none"
    # Whisper decoding options (options.DECODING_OPTIONS) the engine honours as it runs by
    # default, and those it honours only with sequential decoding (--batch-size 1); any other
    # such option set away from its default is refused
    decoding_options: frozenset[str] = frozenset()
    sequential_options: frozenset[str] = frozenset()
    # word times on unless asked otherwise: cheap enough that subtitles get them for their
    # layout (cuts at pauses, cue times from words)
    word_timestamps_by_default: bool = False
    # decoding at a temperature above 0 (--temperature 0.4, a fallback schedule other than
    # Whisper's default): an engine that only decodes greedily or by beam refuses it
    sampling: bool = True


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


@runtime_checkable
class CrossFileBatching(Protocol):
    """The optional part of the interface, for engines that batch work across files.

    Such a provider decodes the speech of several files together: the caller keeps
    ``concurrent_files`` files in flight, one thread each, and each thread holds
    ``file_session()`` while it works on its file (so the engine knows how many callers may
    still add work before it runs a part-full batch).
    """

    concurrent_files: int

    def file_session(self) -> AbstractContextManager[None]: ...


def concurrent_files(provider: Provider) -> int:
    """How many files one process should transcribe at once with this provider."""
    if isinstance(provider, CrossFileBatching):
        return max(1, provider.concurrent_files)
    return 1


def window_depth(provider: Provider) -> int:
    """How many windows of one file to hand this provider before reading the first's segments
    (1: one at a time). Only providers that start work when given a window benefit."""
    depth: Callable[[], int] | None = getattr(provider, "window_depth", None)
    return max(1, depth()) if depth is not None else 1


def window_seconds(provider: Provider, default: float) -> float:
    """How long a window of a file this provider is handed at once (``default`` unless it
    says: a batched decoder wants windows that fill its 30 s chunks)."""
    seconds: float | None = getattr(provider, "window_seconds", None)
    return float(seconds) if seconds else default


def windows_read_ahead(provider: Provider) -> int:
    """How many windows of a file to decode from its media ahead of the one the provider is
    being handed, on a reader thread (0: decoded where they are pulled)."""
    return int(getattr(provider, "read_ahead", 0) or 0)


def word_lag(provider: Provider) -> float:
    """Seconds the provider's word times lag the speech (measured; 0 unless it says)."""
    return float(getattr(provider, "word_lag_s", 0.0) or 0.0)


def file_session(provider: Provider) -> AbstractContextManager[None]:
    """The provider's per-file context where it batches across files; a no-op otherwise."""
    if isinstance(provider, CrossFileBatching):
        return provider.file_session()
    return nullcontext()


def check_options(provider: Provider, options: TranscribeOptions) -> None:
    """Refuse options the loaded model cannot honour, where the provider can tell before any
    audio (``check(options)``, e.g. a language an English-only model lacks)."""
    check: Callable[[TranscribeOptions], None] | None = getattr(provider, "check", None)
    if check is not None:
        check(options)

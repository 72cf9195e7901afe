"""Several windows of one file in flight, so one long file keeps every batch slot busy.

A provider that decodes in shared batches starts work on a window as soon as it gets it: the
window's speech chunks are queued and its segments come when they are read. For a long file the
pipeline hands it the next few windows before it reads the first one's segments
(``window_depth``), and reads them in time order, so checkpoints stay in time order and a resume
restarts where the contiguous finished part ends. What stays in memory is the speech chunks of the
windows in flight (a window's samples are let go once the provider has cut them), however long
the file.

The language is settled on the first window with speech before any other window is started, so
every window of a file is decoded with one language.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass

from woasr_cli.media import SAMPLE_RATE
from woasr_cli.media.audio import Audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import LanguageInfo, Provider
from woasr_cli.transcript import Segment


@dataclass
class WindowResult:
    offset: float  # seconds into the file
    end: float
    segments: Iterator[Segment]  # relative to ``offset``
    language: LanguageInfo


def transcribed_windows(
    windows: Iterable[tuple[float, Audio]],
    provider: Provider,
    options: TranscribeOptions,
    language: str | None,
    depth: Callable[[], int],
) -> Generator[WindowResult, None, None]:
    """Each non-empty window's segments, in order, with up to ``depth()`` windows in flight."""
    pending: deque[WindowResult] = deque()
    try:
        for offset, samples in windows:
            if len(samples) == 0:
                continue
            run_opts = (
                options
                if language == options.language
                else options.with_changes(language=language, language_detected=True)
            )
            found, lang = provider.transcribe(samples, run_opts)
            if language is None and lang.language:
                language = lang.language
            end = offset + len(samples) / SAMPLE_RATE
            del samples  # the provider keeps what it needs (speech chunks): not the window
            pending.append(WindowResult(offset, end, found, lang))
            while pending and (language is None or len(pending) >= max(1, depth())):
                yield pending.popleft()
        while pending:
            yield pending.popleft()
    finally:
        for window in pending:  # abandoned (interrupted): give their queued work back
            give_back(window.segments)


def give_back(segments: Iterator[Segment]) -> None:
    """Close segments left unread, so an engine drops the work it queued for them (a batched
    engine's chunks not yet decoded); nothing for plain iterators."""
    close = getattr(segments, "close", None)
    if close is not None:
        close()

"""Output files that grow while a stream runs and are whole when it stops.

Committed words are grouped into cues (a sentence end, a pause or a long cue closes one) and
every format is re-rendered and replaced atomically soon after each commit, so a reader — or a
crash — never meets a half-written file.

The files are written on a thread of their own, never on the thread that runs the model: a
re-render costs what the whole transcript costs (rendering, four fsyncs), which grows with the
stream, and at one commit a second it had grown past the model's own time within the first
half hour. The writer keeps to a small share of the time (``WRITE_SHARE``): a commit that
comes while it rests is written with the next one, so the files trail the words by at most a
rest (~1 s after 10 minutes of talk, ~5 s after an hour), and are whole at the end.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from woasr_cli.formats import FormatOptions
from woasr_cli.live.events import StreamEvent
from woasr_cli.outputs import write_outputs
from woasr_cli.punctuation import ends_sentence
from woasr_cli.spacing import join
from woasr_cli.transcript import Segment, Transcript, Word

LIVE_FORMATS: tuple[str, ...] = ("srt", "vtt", "json", "txt")
_PAUSE = 1.0  # seconds between words that start a new cue
_LONGEST = 8.0  # seconds a cue may last
WRITE_SHARE = 0.05  # of the time the writer may spend writing (it rests 19x each write's cost)


class GrowingTranscript:
    """Committed words as a :class:`Transcript` of cue-sized segments."""

    def __init__(self, provider: str = "", model: str = "", source: str | None = None) -> None:
        self.segments: list[Segment] = []
        self.meta = {"provider": provider, "model": model, "source": source}
        self.duration = 0.0

    def add(self, words: list[Word]) -> None:
        for word in words:
            last = self.segments[-1] if self.segments else None
            if last is None or _closed(last, word):
                self.segments.append(Segment(word.start, word.end, "", []))
                last = self.segments[-1]
            last.words.append(word)
            last.end = max(last.end, word.end)
            last.text = join(last.words)
            self.duration = max(self.duration, word.end)

    def transcript(self, language: str | None, duration: float) -> Transcript:
        return Transcript(
            segments=[Segment(s.start, s.end, s.text, list(s.words)) for s in self.segments],
            language=language,
            duration=max(duration, self.duration),
            provider=self.meta["provider"] or "",
            model=self.meta["model"] or "",
            source=self.meta["source"],
        )


def _closed(segment: Segment, word: Word) -> bool:
    previous = segment.words[-1]
    return (
        ends_sentence(previous.text)
        or word.start - previous.end > _PAUSE
        or word.end - segment.start > _LONGEST
    )


class LiveOutputs:
    """``stem.srt``, ``stem.vtt``, ... rewritten (atomically) after words are committed.

    :meth:`add` hands committed words over and returns at once; a thread of the object's own
    writes them. :meth:`write` writes now, on the caller's thread (the first, empty files);
    :meth:`close` stops that thread and writes the whole transcript. A write that fails (the
    disk full) is raised by the next :meth:`add` or by :meth:`close`.
    """

    def __init__(
        self,
        stem: Path,
        growing: GrowingTranscript,
        formats: tuple[str, ...] = LIVE_FORMATS,
        options: FormatOptions | None = None,
        *,
        share: float = WRITE_SHARE,
    ) -> None:
        self.stem = stem
        self.growing = growing
        self.formats = formats
        self.options = options or FormatOptions()
        self.paths: list[Path] = []
        self.writes = 0
        self._rest = 1.0 / share - 1.0
        self._state = threading.Condition()  # guards growing, _due, _closed, _error
        self._due: tuple[str | None, float] | None = None  # words added since the last write
        self._added = 0  # commits handed over; a write says how many it holds
        self._written = -1  # ... and an older snapshot is never written over a newer one
        self._closed = False
        self._error: Exception | None = None
        self._writing = threading.Lock()  # one write at a time, the last one last
        self._thread: threading.Thread | None = None

    def add(self, event: StreamEvent, language: str | None, duration: float) -> None:
        if not (event.type == "final" and event.words):
            return
        with self._state:
            self._raise_error()
            self.growing.add(event.words)
            self._added += 1
            self._due = (language, duration)
            self._state.notify()
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name=f"woasr-live-files-{self.stem.name}", daemon=True
                )
                self._thread.start()

    def discard(self) -> None:
        """Stop the writer and remove the files: a stream that failed before any audio (not
        audio at all, nothing on stdin) leaves no empty files to stand in a rerun's way."""
        self._stop_writer()
        with self._writing:
            for path in self.paths:
                path.unlink(missing_ok=True)
            self.paths = []

    def _stop_writer(self) -> None:
        with self._state:
            self._closed = True
            self._state.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def write(self, language: str | None, duration: float) -> list[Path]:
        with self._state:
            transcript = self.growing.transcript(language, duration)
            self._due = None
            held = self._added
        return self._write(transcript, held)

    def close(self, language: str | None, duration: float) -> list[Path]:
        """Stop the writer (after the write under way, if any) and write everything."""
        self._stop_writer()
        with self._state:
            self._error = None  # the whole transcript is written again below, or fails again
        return self.write(language, duration)

    def _write(self, transcript: Transcript, held: int) -> list[Path]:
        with self._writing:
            if held >= self._written:
                self.paths = write_outputs(transcript, self.stem, self.formats, self.options)
                self.writes += 1
                self._written = held
            return self.paths

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            with self._state:
                self._state.wait_for(lambda: self._due is not None or self._closed)
                if self._closed or self._due is None:
                    return
                language, duration = self._due
                self._due = None
                transcript = self.growing.transcript(language, duration)
                held = self._added
            began = time.monotonic()
            try:
                self._write(transcript, held)
            except Exception as exc:  # OutputError: raised on the stream's thread by add()
                with self._state:
                    self._error = exc
                return
            rest = (time.monotonic() - began) * self._rest
            with self._state:
                self._state.wait_for(lambda: self._closed, timeout=rest)

"""Output files that grow while a stream runs and are whole when it stops.

Committed words are grouped into cues (a sentence end, a pause or a long cue closes one) and
every format is re-rendered and replaced atomically after each commit, so a reader — or a crash
— never meets a half-written file."""

from __future__ import annotations

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
    """``stem.srt``, ``stem.vtt``, ... rewritten (atomically) whenever words are committed."""

    def __init__(
        self,
        stem: Path,
        growing: GrowingTranscript,
        formats: tuple[str, ...] = LIVE_FORMATS,
        options: FormatOptions | None = None,
    ) -> None:
        self.stem = stem
        self.growing = growing
        self.formats = formats
        self.options = options or FormatOptions()
        self.paths: list[Path] = []

    def add(self, event: StreamEvent, language: str | None, duration: float) -> None:
        if event.type == "final" and event.words:
            self.growing.add(event.words)
            self.write(language, duration)

    def write(self, language: str | None, duration: float) -> list[Path]:
        transcript = self.growing.transcript(language, duration)
        self.paths = write_outputs(transcript, self.stem, self.formats, self.options)
        return self.paths

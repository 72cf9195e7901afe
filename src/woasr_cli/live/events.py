"""What a live stream reports: partial (unconfirmed) and final (committed) text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from woasr_cli import spacing
from woasr_cli.transcript import Word

StreamEventKind = Literal["partial", "final"]


@dataclass(frozen=True)
class StreamEvent:
    """``final``: words committed for good, never repeated or changed later. ``partial``: the
    current unconfirmed hypothesis after the committed text; each partial replaces the last one
    (an empty partial clears it). Times are seconds from the start of the stream."""

    type: StreamEventKind
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)

    @classmethod
    def of(cls, kind: StreamEventKind, words: Sequence[Word], at: float = 0.0) -> StreamEvent:
        if not words:
            return cls(kind, at, at, "", [])
        return cls(kind, words[0].start, words[-1].end, spacing.join(words), list(words))

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
            "words": [w.to_dict() for w in self.words],
        }


EventSink = Callable[[StreamEvent], None]

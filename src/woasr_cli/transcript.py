"""Engine-neutral transcript objects.

A :class:`Transcript` is what every provider returns and what every format writer reads. It
serialises losslessly to and from the canonical JSON document (``to_dict``/``from_dict``), so
``woasr convert`` can re-render any format without running ASR again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1


@dataclass
class Word:
    """One word (or sub-word token run) with times in seconds from the start of the input."""

    start: float
    end: float
    text: str
    probability: float | None = None
    speaker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
        }
        if self.probability is not None:
            out["probability"] = round(self.probability, 4)
        if self.speaker is not None:
            out["speaker"] = self.speaker
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Word:
        prob = data.get("probability")
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            text=str(data["text"]),
            probability=None if prob is None else float(prob),
            speaker=data.get("speaker"),
        )


@dataclass
class Segment:
    """A stretch of speech: its text, times, optional words and optional speaker."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    speaker: str | None = None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None

    def shifted(self, offset: float) -> Segment:
        """Return a copy with every time moved by ``offset`` seconds."""
        return Segment(
            start=self.start + offset,
            end=self.end + offset,
            text=self.text,
            words=[
                Word(w.start + offset, w.end + offset, w.text, w.probability, w.speaker)
                for w in self.words
            ],
            speaker=self.speaker,
            avg_logprob=self.avg_logprob,
            no_speech_prob=self.no_speech_prob,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
        }
        if self.speaker is not None:
            out["speaker"] = self.speaker
        if self.avg_logprob is not None:
            out["avg_logprob"] = round(self.avg_logprob, 4)
        if self.no_speech_prob is not None:
            out["no_speech_prob"] = round(self.no_speech_prob, 4)
        out["words"] = [w.to_dict() for w in self.words]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Segment:
        alp = data.get("avg_logprob")
        nsp = data.get("no_speech_prob")
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            text=str(data["text"]),
            words=[Word.from_dict(w) for w in data.get("words", [])],
            speaker=data.get("speaker"),
            avg_logprob=None if alp is None else float(alp),
            no_speech_prob=None if nsp is None else float(nsp),
        )


@dataclass
class Transcript:
    """The result for one input: segments in time order plus what produced them."""

    segments: list[Segment]
    language: str | None = None
    duration: float = 0.0
    provider: str = ""
    model: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    language_probability: float | None = None

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def speakers(self) -> list[str]:
        """Speaker labels in order of first appearance."""
        seen: dict[str, None] = {}
        for seg in self.segments:
            for label in [seg.speaker, *(w.speaker for w in seg.words)]:
                if label is not None:
                    seen.setdefault(label, None)
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "source": self.source,
            "language": self.language,
            "language_probability": (
                None if self.language_probability is None else round(self.language_probability, 4)
            ),
            "duration": round(self.duration, 3),
            "provider": self.provider,
            "model": self.model,
            "options": self.options,
            "speakers": self.speakers,
            "text": self.text,
            "segments": [s.to_dict() for s in self.segments],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transcript:
        lp = data.get("language_probability")
        return cls(
            segments=[Segment.from_dict(s) for s in data.get("segments", [])],
            language=data.get("language"),
            duration=float(data.get("duration", 0.0)),
            provider=str(data.get("provider", "")),
            model=str(data.get("model", "")),
            options=dict(data.get("options", {})),
            source=data.get("source"),
            language_probability=None if lp is None else float(lp),
        )

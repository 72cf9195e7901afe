"""Engine-neutral transcript objects.

A :class:`Transcript` is what every provider returns and what every format writer reads. It
serialises losslessly to and from the canonical JSON document (``to_dict``/``from_dict``), so
``woasr convert`` can re-render any format without running ASR again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

SCHEMA_VERSION = 1
T = TypeVar("T")


@dataclass
class Word:
    """One word (or sub-word token run) with times in seconds from the start of the input.

    Words carry no separators: what goes between two is decided by their scripts (spacing.py),
    except where ``space`` says the model wrote a space before this word that those rules would
    leave out (Thai writes one between phrases, not between words; a Latin word amid Chinese).
    """

    start: float
    end: float
    text: str
    probability: float | None = None
    speaker: str | None = None
    space: bool = False

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
        if self.space:
            out["space"] = True
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Word:
        prob = data.get("probability")
        return cls(
            start=_time(data, "start"),
            end=_time(data, "end"),
            text=json_string(data),
            probability=None if prob is None else float(prob),
            speaker=_label(data.get("speaker")),
            space=bool(data.get("space", False)),
        )


@dataclass
class Segment:
    """A stretch of speech: its text, times, optional words and optional speaker.

    ``language``: set only where this stretch was heard in another language than the
    transcript's (a multilingual model on a file in more than one language)."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    speaker: str | None = None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    language: str | None = None

    def shifted(self, offset: float) -> Segment:
        """Return a copy with every time moved by ``offset`` seconds."""
        return Segment(
            start=self.start + offset,
            end=self.end + offset,
            text=self.text,
            words=[replace(w, start=w.start + offset, end=w.end + offset) for w in self.words],
            speaker=self.speaker,
            avg_logprob=self.avg_logprob,
            no_speech_prob=self.no_speech_prob,
            language=self.language,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
        }
        if self.speaker is not None:
            out["speaker"] = self.speaker
        if self.language is not None:
            out["language"] = self.language
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
            start=_time(data, "start"),
            end=_time(data, "end"),
            text=json_string(data),
            words=_each(Word.from_dict, data, "words", "word"),
            speaker=_label(data.get("speaker")),
            avg_logprob=None if alp is None else float(alp),
            no_speech_prob=None if nsp is None else float(nsp),
            language=data.get("language"),
        )


@dataclass(frozen=True)
class SpeakerTurn:
    """One speaker talking from ``start`` to ``end`` as the diarizer found it; turns of different
    speakers may overlap (RTTM is written from these)."""

    start: float
    end: float
    speaker: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "speaker": self.speaker}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SpeakerTurn:
        return cls(float(data["start"]), float(data["end"]), str(data["speaker"]))


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
    speaker_turns: list[SpeakerTurn] = field(default_factory=list)  # empty: not diarized
    # How sure the diarizer is of the speaker count, 0 (a coin toss) to 1; None: not reported.
    speakers_confidence: float | None = None
    # Of a file with several audio tracks, the one transcribed: {"index": 0-based among the
    # audio tracks, "language": its tag or None, "of": how many}; None for one track
    audio_track: dict[str, Any] | None = None
    # What the user should know of the input, one line each (its audio ends well before its
    # header says: media/cutoff.py); the transcript is whole for the audio there is
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def word_count(self) -> int:
        """Words transcribed (a segment without word times: its text's words)."""
        return sum(len(s.words) if s.words else len(s.text.split()) for s in self.segments)

    @property
    def speakers(self) -> list[str]:
        """Speaker labels in order of first appearance."""
        seen: dict[str, None] = {}
        for seg in self.segments:
            for label in [seg.speaker, *(w.speaker for w in seg.words)]:
                if label is not None:
                    seen.setdefault(label, None)
        for turn in self.speaker_turns:
            seen.setdefault(turn.speaker, None)
        return list(seen)

    @property
    def diarized(self) -> bool:
        """Whether it carries speakers: labels on its segments or words, or made with
        ``diarize`` (room tone has none: its RTTM is empty, not missing)."""
        return bool(self.speakers) or self.options.get("diarize") is True

    def renamed(self, names: Mapping[str, str]) -> Transcript:
        """A copy with speaker labels replaced by ``names`` (labels it lacks are kept)."""

        def new(label: str | None) -> str | None:
            return None if label is None else names.get(label, label)

        segments = [
            replace(
                seg,
                speaker=new(seg.speaker),
                words=[replace(w, speaker=new(w.speaker)) for w in seg.words],
            )
            for seg in self.segments
        ]
        turns = [replace(t, speaker=names.get(t.speaker, t.speaker)) for t in self.speaker_turns]
        return replace(self, segments=segments, speaker_turns=turns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "source": self.source,
            "language": self.language,
            "language_probability": (
                None if self.language_probability is None else round(self.language_probability, 4)
            ),
            "duration": round(self.duration, 3),
            **({} if self.audio_track is None else {"audio_track": self.audio_track}),
            **({} if not self.warnings else {"warnings": list(self.warnings)}),
            "provider": self.provider,
            "model": self.model,
            "options": self.options,
            "speakers": self.speakers,
            **({} if self.speakers_confidence is None else {
                "speakers_confidence": round(self.speakers_confidence, 3)}),
            **({} if not self.speaker_turns else {
                "speaker_turns": [t.to_dict() for t in self.speaker_turns]}),
            "text": self.text,
            "segments": [s.to_dict() for s in self.segments],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transcript:
        lp = data.get("language_probability")
        sc = data.get("speakers_confidence")
        return cls(
            segments=_each(Segment.from_dict, data, "segments", "segment"),
            language=data.get("language"),
            duration=float(data.get("duration") or 0.0),
            provider=str(data.get("provider") or ""),
            model=str(data.get("model") or ""),
            options=_object(data, "options"),
            source=data.get("source"),
            language_probability=None if lp is None else float(lp),
            speaker_turns=_each(SpeakerTurn.from_dict, data, "speaker_turns", "speaker turn"),
            speakers_confidence=None if sc is None else float(sc),
            audio_track=_object(data, "audio_track") or None,
            warnings=_strings(data, "warnings"),
        )


# Reading a JSON transcript someone edited: a field left null reads as left out where it may be
# left out ("words": null, "options": null; not "segments"); a text or time that is not one is
# refused (a null text was written out as "None"); what does not read says where
# (``segment 12: word 3: no 'end'``), raised as ValueError.


def json_string(data: Mapping[str, Any], key: str = "text") -> str:
    """``data[key]``, a string (a null is refused, not written out as "None")."""
    value = data[key]
    if not isinstance(value, str):
        raise ValueError(f"'{key}' is {json_type(value)}, not a string")
    return value


def _label(value: object) -> str | None:
    return None if value is None else str(value)


def json_type(value: object) -> str:
    if value is None:
        return "null"
    kinds = {bool: "a boolean", dict: "an object", list: "a list", str: "a string"}
    return kinds.get(type(value), "a number")


def _time(data: Mapping[str, Any], key: str) -> float:
    value = data[key]
    if value is None or isinstance(value, (bool, dict, list)):
        raise ValueError(f"'{key}' is {json_type(value)}, not a number of seconds")
    return float(value)


def _object(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ValueError(f"'{key}' is {json_type(value)}, not an object")
    return dict(value)


def _strings(data: Mapping[str, Any], key: str) -> list[str]:
    items = data.get(key) or []
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError(f"'{key}' is {json_type(items)}, not a list of strings")
    return list(items)


def _each(
    read: Callable[[Mapping[str, Any]], T], data: Mapping[str, Any], key: str, what: str
) -> list[T]:
    items = data.get(key, []) if key == "segments" else data.get(key) or []
    if not isinstance(items, list):
        raise ValueError(f"'{key}' is {json_type(items)}, not a list")
    out: list[T] = []
    for number, item in enumerate(items, 1):
        try:
            if not isinstance(item, Mapping):
                raise ValueError(f"{json_type(item)}, not an object")
            out.append(read(item))
        except (KeyError, TypeError, ValueError) as exc:
            why = f"no {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ValueError(f"{what} {number}: {why}") from None
    return out

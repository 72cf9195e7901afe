"""Whisper's JSON read as a woasr transcript, so that ``woasr convert`` lays out subtitles from
another tool's run.

openai-whisper (``--output_format json``), whisper-ctranslate2 and the many scripts that dump
faster-whisper's segments write one shape: ``{"text", "language"?, "segments": [{"start",
"end", "text", "words"?: [{"word", "start", "end", "probability"}]}]}``, its words Whisper's
pieces, leading space and all. woasr's own JSON says its ``schema``; a JSON of segments without
one is read as Whisper's. The pieces become words as woasr's Whisper engines make them
(whisper_words.py: ``" 40" ",000"`` is one word). A transcript without word times keeps its
segments, which the subtitle writers lay out by their text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from woasr_cli.errors import InputError
from woasr_cli.providers.whisper_words import whisper_words
from woasr_cli.transcript import Segment, Transcript, json_string


def is_whisper_json(data: Mapping[str, Any]) -> bool:
    """``data`` has Whisper's segments and is not woasr's own transcript."""
    return "schema" not in data and isinstance(data.get("segments"), list)


def from_whisper_json(data: Mapping[str, Any], source: str | None = None) -> Transcript:
    """The transcript of Whisper's JSON ``data``; InputError naming what does not read."""
    segments: list[Segment] = []
    for n, seg in enumerate(data["segments"], 1):
        try:
            text = json_string(seg, "text")
            pieces = [
                (
                    float(w["start"]),
                    float(w["end"]),
                    json_string(w, "word"),
                    _number(w.get("probability")),
                )
                for w in seg.get("words") or []
            ]
            segments.append(
                Segment(
                    start=float(seg["start"]),
                    end=float(seg["end"]),
                    text=text.strip(),
                    words=whisper_words(pieces, text),
                    avg_logprob=_number(seg.get("avg_logprob")),
                    no_speech_prob=_number(seg.get("no_speech_prob")),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"segment {n} of Whisper's JSON does not read: {_why(exc)}") from None
    language = data.get("language")
    return Transcript(
        segments=segments,
        language=language if isinstance(language, str) else None,
        duration=max((s.end for s in segments), default=0.0),
        source=source,
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _why(exc: Exception) -> str:
    return f"no {exc}" if isinstance(exc, KeyError) else str(exc)

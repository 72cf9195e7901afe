"""The golden cases: (name, transcript transform, options, formats). ``python
tests/formats/make_golden.py`` rewrites the expected files — read the diff before committing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from woasr_cli.formats import FormatOptions, render
from woasr_cli.transcript import Transcript

GOLDEN = Path(__file__).with_name("golden")


def sample(speakers: bool) -> Transcript:
    t = Transcript.from_dict(json.loads((GOLDEN / "sample.json").read_text()))
    if not speakers:
        for seg in t.segments:
            for w in seg.words:
                w.speaker = None
    return t


def long() -> Transcript:
    """tiny.en with word timestamps on ../shared/audio/pyannote_sample.wav (30 s, 2 voices)."""
    return Transcript.from_dict(json.loads((GOLDEN / "long.json").read_text()))


SEGMENTS = FormatOptions(subtitle_layout="none")
CASES: list[tuple[str, Callable[[], Transcript], FormatOptions, tuple[str, ...]]] = [
    ("plain", lambda: sample(False), FormatOptions(), ("vtt", "srt", "txt", "tsv")),
    ("speakers", lambda: sample(True), FormatOptions(), ("vtt", "srt", "txt", "tsv", "rttm")),
    ("wrapped", lambda: sample(False), FormatOptions(20, 1), ("vtt", "srt")),
    ("highlight", lambda: sample(False), FormatOptions(highlight_words=True), ("vtt", "srt")),
    # the default layout on real output, and the same without it (one cue per segment)
    ("long", long, FormatOptions(), ("srt", "txt")),
    ("long_segments", long, SEGMENTS, ("srt",)),
    ("segments", lambda: sample(False), SEGMENTS, ("srt",)),
    (
        "wrapped_segments",
        lambda: sample(False),
        FormatOptions(20, 1, subtitle_layout="none"),
        ("srt",),
    ),
]


def main() -> None:
    for name, make, options, formats in CASES:
        for fmt in formats:
            (GOLDEN / f"{name}.{fmt}").write_text(render(fmt, make(), options), encoding="utf-8")


if __name__ == "__main__":
    main()

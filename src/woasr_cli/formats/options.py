"""How subtitle files are shaped (never what is said)."""

from __future__ import annotations

from dataclasses import dataclass

from woasr_cli.options import check_layout, check_types


@dataclass(frozen=True)
class FormatOptions:
    max_line_width: int | None = None  # characters per line; wrap at word boundaries
    max_line_count: int | None = None  # lines per cue; more starts a new cue
    highlight_words: bool = False  # one cue per word, the spoken word underlined
    # "default": cues shaped as subtitle guidelines ask (formats/layout.py; the limits below and
    # the two above, None meaning the guideline's value); "none": one cue per segment, wrapped
    # and split only as max_line_width / max_line_count say
    subtitle_layout: str = "default"
    max_words_per_line: int | None = None
    max_cue_duration: float | None = None  # seconds
    max_chars_per_second: float | None = None  # reading speed aimed at where speech allows

    def __post_init__(self) -> None:
        check_types(self)
        check_layout(self)

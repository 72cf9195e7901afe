"""How subtitle files are shaped (never what is said)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FormatOptions:
    max_line_width: int | None = None  # characters per line; wrap at word boundaries
    max_line_count: int | None = None  # lines per cue; more starts a new cue
    highlight_words: bool = False  # one cue per word, the spoken word underlined

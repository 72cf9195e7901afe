"""SubRip (.srt), composed with the ``srt`` library."""

from __future__ import annotations

from datetime import timedelta

import srt as srtlib

from woasr_cli.formats.cues import HIGHLIGHT_OFF, HIGHLIGHT_ON, build_cues
from woasr_cli.formats.options import FormatOptions
from woasr_cli.transcript import Transcript


def _safe(line: str) -> str:
    # A cue line that looks like a timing line would start a new cue in some parsers.
    line = line.replace("-->", "->")
    return line.replace(HIGHLIGHT_ON, "<u>").replace(HIGHLIGHT_OFF, "</u>")


def _label(speaker: str) -> str:
    return f"[{speaker}]: "


def render_srt(transcript: Transcript, options: FormatOptions) -> str:
    subtitles = []
    for cue in build_cues(transcript, options, label=_label):
        lines = [_safe(ln) for ln in cue.lines]
        if cue.speaker:
            lines[0] = _safe(_label(cue.speaker)) + lines[0]
        subtitles.append(
            srtlib.Subtitle(
                index=0,
                start=timedelta(milliseconds=round(cue.start * 1000)),
                end=timedelta(milliseconds=round(cue.end * 1000)),
                content="\n".join(lines),
            )
        )
    return str(srtlib.compose(subtitles, reindex=True, start_index=1))

"""Plain text (.txt): one segment per line, speaker-prefixed when known."""

from __future__ import annotations

from woasr_cli.formats.cues import SEGMENT_CUES, build_cues, clean
from woasr_cli.formats.options import FormatOptions
from woasr_cli.transcript import Transcript


def render_txt(transcript: Transcript, options: FormatOptions) -> str:
    del options  # line shaping is for subtitles
    if not transcript.speakers:
        lines = [clean(s.text) for s in transcript.segments if clean(s.text)]
    else:
        # Follow the word-level speakers, so a turn change inside a segment starts a line.
        lines = [
            f"[{c.speaker}]: {' '.join(c.lines)}" if c.speaker else " ".join(c.lines)
            for c in build_cues(transcript, SEGMENT_CUES)
        ]
    return "".join(f"{line}\n" for line in lines)

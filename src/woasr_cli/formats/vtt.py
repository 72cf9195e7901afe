"""WebVTT (.vtt), built with ``webvtt-py``; text escaped per the WebVTT spec."""

from __future__ import annotations

import webvtt

from woasr_cli.formats.cues import HIGHLIGHT_OFF, HIGHLIGHT_ON, build_cues
from woasr_cli.formats.options import FormatOptions
from woasr_cli.transcript import Transcript


def timestamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities: no text can open a tag or fake a ``-->``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _line(text: str) -> str:
    return escape(text).replace(HIGHLIGHT_ON, "<u>").replace(HIGHLIGHT_OFF, "</u>")


def render_vtt(transcript: Transcript, options: FormatOptions) -> str:
    captions = []
    for cue in build_cues(transcript, options):
        lines = [_line(ln) for ln in cue.lines]
        if cue.speaker:
            lines[0] = f"<v {escape(cue.speaker)}>{lines[0]}"
        captions.append(
            webvtt.Caption(
                start=timestamp(cue.start), end=timestamp(cue.end), text="\n".join(lines)
            )
        )
    return str(webvtt.WebVTT(captions=captions).content)

"""Output formats: one pure writer per format, and the registry that maps names to them."""

from __future__ import annotations

from collections.abc import Callable

from woasr_cli.formats.jsonfmt import render_json
from woasr_cli.formats.options import FormatOptions
from woasr_cli.formats.rttm import render_rttm
from woasr_cli.formats.srt import render_srt
from woasr_cli.formats.text import render_txt
from woasr_cli.formats.tsv import render_tsv
from woasr_cli.formats.vtt import render_vtt
from woasr_cli.options import ALL_FORMATS, parse_formats
from woasr_cli.transcript import Transcript

Writer = Callable[[Transcript, FormatOptions], str]

FORMATS: dict[str, Writer] = {
    "vtt": render_vtt,
    "srt": render_srt,
    "json": render_json,
    "txt": render_txt,
    "tsv": render_tsv,
    "rttm": render_rttm,
}
DEFAULT_FORMATS = ALL_FORMATS
# The formats whose text FormatOptions shape (the others ignore them).
LAID_OUT = frozenset({"srt", "vtt"})

__all__ = ["DEFAULT_FORMATS", "FORMATS", "LAID_OUT", "FormatOptions", "parse_formats", "render"]


def render(name: str, transcript: Transcript, options: FormatOptions) -> str:
    return FORMATS[name](transcript, options)

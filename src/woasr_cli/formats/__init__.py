"""Output formats: one pure writer per format, and the registry that maps names to them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from woasr_cli.errors import UsageError
from woasr_cli.formats.jsonfmt import render_json
from woasr_cli.formats.options import FormatOptions
from woasr_cli.formats.rttm import render_rttm
from woasr_cli.formats.srt import render_srt
from woasr_cli.formats.text import render_txt
from woasr_cli.formats.tsv import render_tsv
from woasr_cli.formats.vtt import render_vtt
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
DEFAULT_FORMATS: tuple[str, ...] = ("vtt", "srt", "json", "txt", "tsv")

__all__ = ["DEFAULT_FORMATS", "FORMATS", "FormatOptions", "extension", "parse_formats", "render"]


def render(name: str, transcript: Transcript, options: FormatOptions) -> str:
    return FORMATS[name](transcript, options)


def extension(name: str) -> str:
    return name


def parse_formats(values: Iterable[str], *, diarize: bool = False) -> tuple[str, ...]:
    """``-f`` values: repeatable, comma lists, ``all`` (= vtt, srt, json, txt, tsv, and rttm
    when speakers are labelled: ``diarize``)."""
    every = (*DEFAULT_FORMATS, "rttm") if diarize else DEFAULT_FORMATS
    chosen: dict[str, None] = {}
    for value in values:
        for name in (v.strip().lower() for v in value.split(",")):
            if not name:
                continue
            if name == "all":
                chosen.update(dict.fromkeys(every))
            elif name in FORMATS:
                chosen[name] = None
            else:
                known = ", ".join([*FORMATS, "all"])
                raise UsageError(f"unknown output format '{name}' (known: {known})")
    if not chosen:
        raise UsageError("no output format given")
    return tuple(chosen)


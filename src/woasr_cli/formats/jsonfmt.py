"""The canonical JSON transcript: everything other formats are rendered from."""

from __future__ import annotations

from woasr_cli import json_text
from woasr_cli.formats.options import FormatOptions
from woasr_cli.transcript import Transcript


def render_json(transcript: Transcript, options: FormatOptions) -> str:
    del options
    # json_text: a source file name that is not UTF-8 is written as its escape, not lost
    return json_text.dumps(transcript.to_dict(), indent=2) + "\n"

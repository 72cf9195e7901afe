"""The canonical JSON transcript: everything other formats are rendered from."""

from __future__ import annotations

import json

from woasr_cli.formats.options import FormatOptions
from woasr_cli.transcript import Transcript


def render_json(transcript: Transcript, options: FormatOptions) -> str:
    del options
    return json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2) + "\n"

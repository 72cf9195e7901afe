"""Tab-separated values like the whisper CLI: integer milliseconds, plus a speaker column when
the transcript has speakers."""

from __future__ import annotations

from woasr_cli.formats.cues import SEGMENT_CUES, build_cues, clean
from woasr_cli.formats.options import FormatOptions
from woasr_cli.transcript import Transcript


def render_tsv(transcript: Transcript, options: FormatOptions) -> str:
    del options
    with_speakers = bool(transcript.speakers)
    rows = ["start\tend\ttext" + ("\tspeaker" if with_speakers else "")]
    if with_speakers:
        items = [(c.start, c.end, " ".join(c.lines), c.speaker or "")
                 for c in build_cues(transcript, SEGMENT_CUES)]  # fmt: skip
    else:
        items = [(s.start, s.end, clean(s.text), "") for s in transcript.segments if clean(s.text)]
    for start, end, text, speaker in items:
        row = f"{round(start * 1000)}\t{round(end * 1000)}\t{clean(text.replace(chr(9), ' '))}"
        rows.append(row + (f"\t{speaker}" if with_speakers else ""))
    return "\n".join(rows) + "\n"

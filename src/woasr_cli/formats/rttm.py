"""NIST RTTM speaker turns (the diarization standard): one line per contiguous turn.

A diarized transcript carries the diarizer's own turns (``Transcript.speaker_turns``: speech
activity per speaker, overlaps included), and those are written. A transcript without them
(older JSON, or speakers from elsewhere) falls back to turns built from its cues. One without
speakers at all is refused (:data:`NO_SPEAKERS`): an empty file would read as "nobody spoke".
"""

from __future__ import annotations

from pathlib import Path

from woasr_cli.errors import InputError
from woasr_cli.formats.cues import SEGMENT_CUES, build_cues
from woasr_cli.formats.options import FormatOptions
from woasr_cli.transcript import Transcript

_MERGE_GAP_S = 0.5
NO_SPEAKERS = "no speaker labels (transcribed without --diarize): nothing to write as rttm"


def file_id(transcript: Transcript) -> str:
    stem = Path(transcript.source).stem if transcript.source else "audio"
    return _field(stem) or "audio"


def _field(text: str) -> str:
    """One whitespace-free RTTM field: "Alice Smith" as a name (--speaker-names, an enrollment
    clip "marcus king.wav") made lines of 11 fields, which RTTM readers reject."""
    return "_".join(text.split())


def speaker_turns(transcript: Transcript) -> list[tuple[str, float, float]]:
    """(speaker, start, end): the diarizer's turns, else cues (a speaker's cues that follow
    within half a second merged)."""
    if transcript.speaker_turns:
        return [(t.speaker, t.start, t.end) for t in transcript.speaker_turns if t.end > t.start]
    turns: list[tuple[str, float, float]] = []
    for cue in build_cues(transcript, SEGMENT_CUES):
        if cue.speaker is None:
            continue
        if turns and turns[-1][0] == cue.speaker and cue.start - turns[-1][2] <= _MERGE_GAP_S:
            speaker, start, end = turns[-1]
            turns[-1] = (speaker, start, max(end, cue.end))
        else:
            turns.append((cue.speaker, cue.start, cue.end))
    return turns


def render_rttm(transcript: Transcript, options: FormatOptions) -> str:
    del options
    if not transcript.diarized:
        raise InputError(NO_SPEAKERS)
    name = file_id(transcript)
    return "".join(
        f"SPEAKER {name} 1 {start:.3f} {end - start:.3f} <NA> <NA> {_field(speaker)} <NA> <NA>\n"
        for speaker, start, end in speaker_turns(transcript)
    )

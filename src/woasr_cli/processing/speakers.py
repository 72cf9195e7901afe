"""Give words and segments the speaker of the diarization turns they overlap most.

Words take the speaker with the largest total overlap (the nearest turn when none overlaps);
a segment is split where its words change speaker, its text rebuilt from its words, so no
segment (and no subtitle cue) spans a change of speaker. The turns themselves are kept on the
transcript (``speaker_turns``, overlaps included) under the same labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from woasr_cli.errors import InputError
from woasr_cli.processing.diarization import Turn, speaker_label
from woasr_cli.transcript import Segment, SpeakerTurn, Transcript, Word

if TYPE_CHECKING:
    from woasr_cli.processing.speaker_changes import Voices


def speaker_at(start: float, end: float, turns: list[Turn]) -> str | None:
    """The speaker whose turns overlap [start, end] most; the nearest turn's if none does."""
    if not turns:
        return None
    overlap: dict[str, float] = {}
    for t in turns:
        ov = min(end, t.end) - max(start, t.start)
        if ov > 0:
            overlap[t.speaker] = overlap.get(t.speaker, 0.0) + ov
    if overlap:
        return max(overlap, key=lambda s: overlap[s])
    mid = (start + end) / 2
    nearest = min(turns, key=lambda t: max(t.start - mid, mid - t.end, 0.0))
    return nearest.speaker


def _split(seg: Segment) -> list[Segment]:
    """Split a segment whose words change speaker into one segment per run of a speaker."""
    runs: list[list[Word]] = []
    for w in seg.words:
        if runs and runs[-1][-1].speaker == w.speaker:
            runs[-1].append(w)
        else:
            runs.append([w])
    if len(runs) == 1:
        return [replace(seg, words=runs[0], speaker=runs[0][0].speaker)]
    out: list[Segment] = []
    for i, words in enumerate(runs):
        out.append(
            replace(
                seg,
                start=seg.start if i == 0 else words[0].start,
                end=seg.end if i == len(runs) - 1 else words[-1].end,
                text=_join(words),
                words=words,
                speaker=words[0].speaker,
            )
        )
    return out


def _join(words: list[Word]) -> str:
    # Whisper-style word texts carry their own leading space; others get one added.
    text = "".join(w.text if w.text[:1].isspace() else " " + w.text for w in words)
    return text if words and words[0].text[:1].isspace() else text.lstrip()


def assign_speakers(
    transcript: Transcript,
    turns: list[Turn],
    confidence: float | None = None,
    voices: Voices | None = None,
) -> Transcript:
    """A new transcript with speakers on words and segments (see the module docstring).

    With ``voices`` (what the diarizer knew of the speakers), the words' speakers are decided
    again at word resolution (:mod:`.speaker_changes`) before segments are split.
    Segments are split where their words change speaker; segments without words take the
    speaker overlapping them most. Labels are renumbered SPEAKER_00, ... in order of first
    appearance in the transcript (speakers only the turns know come after).
    """
    worded = [
        replace(
            seg, words=[replace(w, speaker=speaker_at(w.start, w.end, turns)) for w in seg.words]
        )
        for seg in transcript.segments
    ]
    if voices is not None:
        from woasr_cli.processing.speaker_changes import refine

        words = [w for seg in worded for w in seg.words]
        for w, label in zip(words, refine(words, [w.speaker for w in words], voices), strict=True):
            w.speaker = label
    segments: list[Segment] = []
    for seg in worded:
        if not seg.words:
            segments.append(replace(seg, words=[], speaker=speaker_at(seg.start, seg.end, turns)))
            continue
        segments.extend(_split(seg))
    names: dict[str, str] = {}
    for seg in segments:
        for label in [seg.speaker, *(w.speaker for w in seg.words)]:
            if label is not None:
                names.setdefault(label, speaker_label(len(names)))
    for t in sorted(turns, key=lambda t: (t.start, t.end)):
        names.setdefault(t.speaker, speaker_label(len(names)))
    for seg in segments:
        seg.speaker = None if seg.speaker is None else names[seg.speaker]
        for w in seg.words:
            w.speaker = None if w.speaker is None else names[w.speaker]
    kept = [SpeakerTurn(t.start, t.end, names[t.speaker]) for t in turns]
    return replace(
        transcript, segments=segments, speaker_turns=kept, speakers_confidence=confidence
    )


def names_in_order(speakers: list[str], names: Sequence[str]) -> dict[str, str]:
    """``--speaker-names``: the n-th speaker to appear gets the n-th name; extra names are
    unused, speakers beyond the names keep their labels."""
    return {label: name for label, name in zip(speakers, names, strict=False) if name}


def name_speakers(transcript: Transcript, names: Sequence[str]) -> Transcript:
    """``speaker_names`` given to a transcript (after diarization, or by ``woasr convert``):
    ``InputError`` for one without speakers, as ``--speaker-names`` without ``--diarize`` is
    refused; diarized room tone (no one spoke) keeps its no speakers."""
    if names and not transcript.diarized:
        raise InputError(
            "no speaker labels (transcribed without --diarize): no speakers for "
            "--speaker-names to name"
        )
    return transcript.renamed(names_in_order(transcript.speakers, names))

"""assign_speakers: words by overlap, nearest turn, segment splits, renumbering."""

from __future__ import annotations

from woasr_cli.processing.diarization import Turn
from woasr_cli.processing.speakers import assign_speakers
from woasr_cli.transcript import Segment, Transcript, Word


def _transcript() -> Transcript:
    words = [
        Word(0.0, 0.5, " Hello", 0.9),
        Word(0.5, 1.0, " there.", 0.8),
        Word(1.2, 1.6, " Hi", 0.7),
        Word(1.6, 2.0, " back.", 0.6),
    ]
    return Transcript(
        [
            Segment(0.0, 2.0, " Hello there. Hi back.", words),
            Segment(5.0, 6.0, " no words here"),
        ],
        language="en",
    )


def test_segment_split_where_speaker_changes() -> None:
    turns = [Turn(0.0, 1.1, "b"), Turn(1.1, 2.5, "a"), Turn(4.8, 6.0, "a")]
    original = _transcript()
    out = assign_speakers(original, turns)
    assert [s.text for s in out.segments] == [" Hello there.", " Hi back.", " no words here"]
    assert [s.speaker for s in out.segments] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_01"]
    assert (out.segments[0].start, out.segments[0].end) == (0.0, 1.0)
    assert (out.segments[1].start, out.segments[1].end) == (1.2, 2.0)
    assert all(w.speaker == s.speaker for s in out.segments for w in s.words)
    assert out.speakers == ["SPEAKER_00", "SPEAKER_01"]
    # the input is left as it was
    assert original.segments[0].speaker is None and len(original.segments) == 2
    assert out.language == "en"


def test_max_overlap_wins() -> None:
    turns = [Turn(0.0, 0.6, "x"), Turn(0.6, 3.0, "y")]
    out = assign_speakers(_transcript(), turns)
    # " there." (0.5-1.0) overlaps x for 0.1 s and y for 0.4 s
    assert [w.speaker for w in out.segments[0].words] == ["SPEAKER_00"]
    assert out.segments[1].words[0].text == " there."
    assert out.segments[1].speaker == "SPEAKER_01"


def test_nearest_turn_when_none_overlaps() -> None:
    turns = [Turn(0.0, 2.0, "x"), Turn(6.5, 7.0, "y")]
    out = assign_speakers(_transcript(), turns)
    # the wordless segment 5.0-6.0 overlaps nothing: 6.5 is nearer than 2.0
    assert out.segments[-1].speaker == "SPEAKER_01"


def test_no_turns_leaves_speakers_unset() -> None:
    out = assign_speakers(_transcript(), [])
    assert out.speakers == [] and len(out.segments) == 2

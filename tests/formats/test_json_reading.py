"""``Transcript.from_dict`` on a JSON transcript someone edited by hand (or another tool wrote):
nulls where a field may be left out read as left out, a null text is refused rather than
written out as "None", and what does not read says which segment and word."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from woasr_cli import render
from woasr_cli.transcript import Segment, SpeakerTurn, Transcript, Word


def _doc() -> dict[str, Any]:
    words = [Word(0.0, 0.4, "Hello"), Word(0.5, 1.0, "there.")]
    segments = [Segment(0.0, 1.0, " Hello there.", words=words), Segment(1.5, 2.0, " Bye.")]
    return Transcript(segments, language="en", duration=2.0).to_dict()


def test_nulls_in_optional_fields_read_as_left_out() -> None:
    doc = _doc()
    doc.update(options=None, duration=None, provider=None, model=None, speaker_turns=None)
    doc["segments"][0]["words"] = None
    transcript = Transcript.from_dict(doc)
    assert transcript.options == {} and transcript.duration == 0.0
    assert transcript.provider == "" and transcript.model == ""  # not "None"
    assert transcript.segments[0].words == [] and transcript.speaker_turns == []
    assert render(transcript, "txt")["txt"] == "Hello there.\nBye.\n"


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda d: d["segments"][1].update(text=None), "segment 2: 'text' is null, not a string"),
        (
            lambda d: d["segments"][0]["words"][1].update(text=None),
            "segment 1: word 2: 'text' is null, not a string",
        ),
        (lambda d: d["segments"][0]["words"][1].pop("end"), "segment 1: word 2: no 'end'"),
        (
            lambda d: d["segments"][1].update(start=None),
            "segment 2: 'start' is null, not a number of seconds",
        ),
        (lambda d: d.update(segments=None), "'segments' is null, not a list"),
        (lambda d: d.update(segments={}), "'segments' is an object, not a list"),
        (lambda d: d["segments"].append(3), "segment 3: a number, not an object"),
        (lambda d: d.update(options="x"), "'options' is a string, not an object"),
        (
            lambda d: d.update(speaker_turns=[{"start": 0, "end": 1}]),
            "speaker turn 1: no 'speaker'",
        ),
    ],
)
def test_what_does_not_read_says_where(edit: Any, why: str) -> None:
    doc = copy.deepcopy(_doc())
    edit(doc)
    with pytest.raises(ValueError) as err:
        Transcript.from_dict(doc)
    assert str(err.value) == why


def test_what_woasr_writes_still_round_trips() -> None:
    transcript = Transcript(
        [Segment(0.0, 1.0, " Hi.", words=[Word(0.0, 1.0, "Hi.", 0.9, "A")], speaker="A")],
        language="en", duration=1.0, options={"diarize": True},
        speaker_turns=[SpeakerTurn(0.0, 1.0, "A")], audio_track={"index": 1, "of": 2},
    )  # fmt: skip
    assert Transcript.from_dict(transcript.to_dict()) == transcript


def test_a_transcripts_warnings_are_kept_through_its_json() -> None:
    """A file's warnings (its audio cut off) are written in its JSON and read back, so `woasr
    convert` and a rerun keep them; a value that is not a list of lines is refused."""
    said = "audio ends at 6.1 s, the container says 11.0 s: the file may be cut off"
    doc = Transcript([Segment(0.0, 1.0, "Hi.")], duration=6.1, warnings=[said]).to_dict()
    assert doc["warnings"] == [said]
    assert Transcript.from_dict(doc).to_dict() == doc
    assert "warnings" not in Transcript([], duration=1.0).to_dict()
    with pytest.raises(ValueError, match="'warnings' is a string, not a list of strings"):
        Transcript.from_dict({**doc, "warnings": said})

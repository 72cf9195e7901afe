"""The diarizer's turns on a transcript: RTTM written from them (overlaps kept), kept through
JSON, and speakers renamed in every format."""

from __future__ import annotations

import json

import srt

from woasr_cli.formats import FormatOptions, render
from woasr_cli.transcript import Segment, SpeakerTurn, Transcript, Word


def _diarized() -> Transcript:
    words = [
        Word(0.0, 0.4, " Hello?", 0.9, "SPEAKER_00"),
        Word(0.9, 1.3, " Hello?", 0.9, "SPEAKER_01"),
        Word(1.5, 2.2, " Oh, hi.", 0.9, "SPEAKER_00"),
    ]
    return Transcript(
        [
            Segment(0.0, 0.4, " Hello?", words[:1], "SPEAKER_00"),
            Segment(0.9, 1.3, " Hello?", words[1:2], "SPEAKER_01"),
            Segment(1.5, 2.2, " Oh, hi.", words[2:], "SPEAKER_00"),
        ],
        source="call.wav",
        speaker_turns=[
            SpeakerTurn(0.0, 0.45, "SPEAKER_00"),
            SpeakerTurn(0.85, 1.6, "SPEAKER_01"),
            SpeakerTurn(1.45, 2.3, "SPEAKER_00"),  # overlaps the turn before
        ],
        speakers_confidence=0.8,
    )


def test_rttm_is_the_diarizer_turns_with_overlap() -> None:
    lines = render("rttm", _diarized(), FormatOptions()).splitlines()
    assert lines == [
        "SPEAKER call 1 0.000 0.450 <NA> <NA> SPEAKER_00 <NA> <NA>",
        "SPEAKER call 1 0.850 0.750 <NA> <NA> SPEAKER_01 <NA> <NA>",
        "SPEAKER call 1 1.450 0.850 <NA> <NA> SPEAKER_00 <NA> <NA>",
    ]


def test_rttm_without_turns_falls_back_to_cues() -> None:
    transcript = _diarized()
    transcript.speaker_turns = []
    lines = render("rttm", transcript, FormatOptions()).splitlines()
    assert [ln.split()[7] for ln in lines] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00"]
    assert lines[0].split()[3:5] == ["0.000", "0.400"]


def test_turns_and_confidence_survive_json() -> None:
    transcript = _diarized()
    doc = json.loads(render("json", transcript, FormatOptions()))
    assert doc["speakers_confidence"] == 0.8
    assert doc["speaker_turns"][2] == {"start": 1.45, "end": 2.3, "speaker": "SPEAKER_00"}
    assert Transcript.from_dict(doc) == transcript
    # Undiarized transcripts keep the JSON they had.
    plain = json.loads(render("json", Transcript([Segment(0, 1, "x")]), FormatOptions()))
    assert "speaker_turns" not in plain and "speakers_confidence" not in plain


def test_renamed_speakers_reach_every_format() -> None:
    named = _diarized().renamed({"SPEAKER_00": "Alice", "SPEAKER_01": "Bob"})
    assert named.speakers == ["Alice", "Bob"]
    assert {t.speaker for t in named.speaker_turns} == {"Alice", "Bob"}
    assert all(w.speaker == s.speaker for s in named.segments for w in s.words)
    out = {f: render(f, named, FormatOptions()) for f in ("vtt", "srt", "txt", "tsv", "rttm")}
    assert "<v Alice>" in out["vtt"] and "<v Bob>" in out["vtt"]
    assert "[Bob]: " in out["srt"] and "[Alice]: " in out["txt"]
    assert out["tsv"].splitlines()[1].endswith("\tAlice")
    assert " Bob " in out["rttm"] and "SPEAKER_0" not in "".join(out.values())


def _monologue(speaker: str) -> Transcript:
    text = (
        "Oh, hello. I didn't know you were there at all, and I thought you know I heard a beep "
        "somewhere in the back of the room while we were all waiting for the call to start."
    )
    words = [
        Word(0.3 * k, 0.3 * k + 0.25, f" {w}", 0.9, speaker) for k, w in enumerate(text.split())
    ]
    return Transcript([Segment(0.0, words[-1].end, text, words, speaker)], source="call.wav")


def test_srt_lines_with_the_speaker_label_stay_within_the_width() -> None:
    # "[SPEAKER_00]: " goes before a cue's first line: the layout leaves it room, so no line
    # of the SRT a user gets is wider than the limit (it was 42 + the label's 14 columns)
    for speaker in ("SPEAKER_00", "Alice"):
        transcript = _monologue(speaker)
        for options, width in (
            (FormatOptions(), 42),
            (FormatOptions(max_line_width=30), 30),
            (FormatOptions(subtitle_layout="none", max_line_width=30, max_line_count=2), 30),
        ):
            cues = list(srt.parse(render("srt", transcript, options)))
            lines = [ln for c in cues for ln in c.content.splitlines()]
            assert max(len(ln) for ln in lines) <= width, lines
            assert all(c.content.startswith(f"[{speaker}]: ") for c in cues)
            said = " ".join(c.content.replace(f"[{speaker}]: ", "") for c in cues)
            assert said.split() == transcript.segments[0].text.split()
    # WebVTT's voice tag is not shown as text: its lines keep the whole width
    vtt = render("vtt", _monologue("SPEAKER_00"), FormatOptions())
    assert max(len(ln.removeprefix("<v SPEAKER_00>")) for ln in vtt.splitlines()) > 42 - 14


def test_rttm_keeps_ten_fields_for_a_name_with_a_space() -> None:
    named = _diarized().renamed({"SPEAKER_00": "Alice Smith", "SPEAKER_01": "Bob"})
    lines = render("rttm", named, FormatOptions()).splitlines()
    assert {len(ln.split()) for ln in lines} == {10}
    assert [ln.split()[7] for ln in lines] == ["Alice_Smith", "Bob", "Alice_Smith"]


def test_highlighted_words_without_time_of_their_own_do_not_double_a_cue() -> None:
    """Whisper timed "savings" 25.248-25.248 and the next word from 25.248: its highlighted cue
    started with the next one's, and the two were merged into a 4-line cue showing the text
    twice."""
    text = "Where did most of the savings come from?"
    times = [(0.0, 0.3), (0.3, 0.5), (0.5, 0.8), (0.8, 0.9), (0.9, 1.2), (1.5, 1.5),
             (1.5, 1.9), (1.9, 2.3)]  # fmt: skip
    spoken = zip(times, text.split(), strict=True)
    words = [Word(a, b, f" {w}", 0.9, "SPEAKER_00") for (a, b), w in spoken]
    transcript = Transcript([Segment(0.0, 2.3, text, words, "SPEAKER_00")], source="t.wav")
    for layout in ("default", "none"):
        options = FormatOptions(highlight_words=True, subtitle_layout=layout)  # type: ignore[arg-type]
        for cue in srt.parse(render("srt", transcript, options)):
            assert cue.content.count("<u>") == 1 and len(cue.content.splitlines()) <= 2, cue

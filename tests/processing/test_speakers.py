"""assign_speakers: words by overlap, nearest turn, segment splits, renumbering."""

from __future__ import annotations

import pytest

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


def test_turns_kept_under_the_transcript_labels() -> None:
    # The diarizer's labels are renumbered in order of appearance in the words; a speaker only
    # the turns know (speech with no words) comes last. Overlaps stay as they were.
    turns = [Turn(0.0, 1.15, "q"), Turn(1.1, 2.5, "p"), Turn(3.0, 3.5, "r")]
    out = assign_speakers(_transcript(), turns, confidence=0.7)
    assert [(t.start, t.end, t.speaker) for t in out.speaker_turns] == [
        (0.0, 1.15, "SPEAKER_00"),
        (1.1, 2.5, "SPEAKER_01"),
        (3.0, 3.5, "SPEAKER_02"),
    ]
    assert out.speakers_confidence == 0.7
    assert out.speakers == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_02"]


def test_no_cue_spans_a_speaker_change() -> None:
    from woasr_cli.formats.cues import build_cues
    from woasr_cli.formats.options import FormatOptions

    # A fast exchange inside one ASR segment: every change of turn starts a new cue.
    words = [Word(0.3 * i, 0.3 * i + 0.25, f" w{i}") for i in range(10)]
    transcript = Transcript([Segment(0.0, 3.0, "".join(w.text for w in words), words)])
    turns = [Turn(0.0, 0.55, "a"), Turn(0.55, 1.2, "b"), Turn(1.2, 1.5, "a"), Turn(1.5, 3, "b")]
    out = assign_speakers(transcript, turns)
    for options in (FormatOptions(), FormatOptions(max_line_width=6)):
        cues = build_cues(out, options)
        for cue in cues:
            # cue times are rounded to the millisecond
            inside = [w for s in out.segments for w in s.words
                      if cue.start - 1e-3 <= w.start < cue.end - 1e-3]  # fmt: skip
            assert inside and {w.speaker for w in inside} == {cue.speaker}
    assert [s.text for s in out.segments] == [" w0 w1", " w2 w3", " w4", " w5 w6 w7 w8 w9"]


def test_names_in_order_of_appearance() -> None:
    from woasr_cli.processing.speakers import names_in_order

    speakers = ["SPEAKER_00", "SPEAKER_01", "SPEAKER_02"]
    assert names_in_order(speakers, ("Alice", "", "Carol", "Dan")) == {
        "SPEAKER_00": "Alice",
        "SPEAKER_02": "Carol",
    }


def test_alignment_and_speakers_run_on_few_torch_threads() -> None:
    """Torch's OpenMP threads (one per core) stall each other wherever a core is taken - the
    next file's ASR beside this one's speakers, another program: diarizing pyannote_sample
    took 244 s beside one busy process on 2 cores, 13 s on one thread; aligning a minute with
    a wav2vec2-base-sized model 28 s against 6 s. The pipeline's post-processing runs torch
    on one thread per four cores, and gives the rest back."""
    import numpy as np
    import pytest

    torch = pytest.importorskip("torch", reason="needs torch (the diarize extra)")
    from woasr_cli.options import TranscribeOptions
    from woasr_cli.pipeline import postprocess
    from woasr_cli.processing.diarization import Diarization
    from woasr_cli.runtime import usable_cores

    seen: dict[str, int] = {}

    class Aligner:
        def align(self, segments: list[Segment], audio: object) -> list[Segment]:
            seen["align"] = torch.get_num_threads()
            return segments

    class Diarizer:
        def diarize(self, audio: object, **bounds: object) -> Diarization:
            seen["diarize"] = torch.get_num_threads()
            return Diarization([Turn(0.0, 1.0, "SPEAKER_00")])

    before = torch.get_num_threads()
    words = [Word(0.0, 1.0, " hello")]
    transcript = Transcript(segments=[Segment(0.0, 1.0, " hello", words=words)])
    options = TranscribeOptions(diarize=True, align=True, align_model="/m")
    done = postprocess(transcript, np.zeros(16000, np.float32), options,
                       aligner=Aligner(), diarizer=Diarizer())  # type: ignore[arg-type]  # fmt: skip
    assert done.speakers == ["SPEAKER_00"]
    few = min(before, max(1, usable_cores() // 4))
    assert seen == {"align": few, "diarize": few}
    assert torch.get_num_threads() == before


def test_few_torch_threads_never_more_than_torch_had(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ray actor that reserved 2 CPUs of a 64-core node has torch on 2 threads (Ray sets
    ``OMP_NUM_THREADS``); its post-processing ran torch on 16 (a quarter of the node's cores),
    8 times what Ray gave it, beside every other actor of the node doing the same."""
    torch = pytest.importorskip("torch", reason="needs torch (the diarize extra)")
    from woasr_cli.runtime import few_torch_threads

    monkeypatch.setattr("woasr_cli.runtime.usable_cores", lambda: 64)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with few_torch_threads():
            inside = torch.get_num_threads()
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    assert (inside, after) == (2, 2)

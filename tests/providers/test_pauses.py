"""Segments are cut where their words pause >= 1.5 s, and (without timestamp tokens) at sentence
ends."""

from __future__ import annotations

from woasr_cli.providers.pauses import split_at_pauses, split_at_times, split_sentences
from woasr_cli.transcript import Segment, Word


def segment(*words: tuple[float, float, str]) -> Segment:
    ws = [Word(a, b, t, 0.9) for a, b, t in words]
    return Segment(ws[0].start, ws[-1].end, " ".join(w.text for w in ws), ws, avg_logprob=-0.2)


def test_a_long_pause_cuts_the_segment_and_a_short_one_does_not() -> None:
    seg = segment((0.0, 0.4, "Hello"), (0.5, 0.9, "there."), (2.4, 2.8, "Next"), (2.9, 3.3, "one"))
    first, second = split_at_pauses(seg)
    assert (first.start, first.end, first.text) == (0.0, 0.9, "Hello there.")
    assert (second.start, second.end, second.text) == (2.4, 3.3, "Next one")
    assert first.avg_logprob == -0.2 and [w.text for w in second.words] == ["Next", "one"]
    assert split_at_pauses(segment((0.0, 0.4, "a"), (1.8, 2.0, "b"))) == [
        segment((0.0, 0.4, "a"), (1.8, 2.0, "b"))
    ]


def test_without_words_nothing_is_cut() -> None:
    seg = Segment(0.0, 20.0, "one long stretch")
    assert split_at_pauses(seg) == [seg]


def test_sentences_end_at_their_last_word() -> None:
    seg = segment((0.0, 0.5, "Stop."), (0.6, 1.0, "Why?"), (1.1, 1.5, "Go"))
    assert [s.text for s in split_sentences(seg)] == ["Stop.", "Why?", "Go"]
    assert [s.text for s in split_sentences(segment((0.0, 0.5, "Done.")))] == ["Done."]


def test_a_title_ends_no_sentence() -> None:
    words = [Word(0.2, 0.8, "Mr."), Word(1.0, 1.6, "Quilter"), Word(1.7, 2.0, "spoke."),
             Word(2.1, 2.5, "Yes.")]  # fmt: skip
    segment = Segment(0.2, 2.5, "Mr. Quilter spoke. Yes.", words=words)
    assert [s.text for s in split_sentences(segment)] == ["Mr. Quilter spoke.", "Yes."]


def test_a_segment_is_cut_where_joined_pieces_meet() -> None:
    seg = segment((1.0, 1.4, "and"), (1.5, 1.9, "so"), (40.0, 40.4, "my"), (40.5, 40.9, "fellow"))
    parts = split_at_times(seg, [30.0, 39.0])
    assert [(p.start, p.end, p.text) for p in parts] == [
        (1.0, 1.9, "and so"),
        (40.0, 40.9, "my fellow"),
    ]
    assert split_at_times(seg, [50.0]) == [seg]

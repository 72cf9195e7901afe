"""The first word after a pause starts no earlier than the speech (providers/speech_onsets.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest

from woasr_cli.providers.speech_chunks import SpeechChunk
from woasr_cli.providers.speech_onsets import (
    ONSET_MARGIN_S,
    end_in_speech,
    out_of_pauses,
    speech_gaps,
    start_at_onsets,
    timed_as_decoded,
)
from woasr_cli.transcript import Segment, Word

RATE = 16000
PAD = 0.4


def chunk(*spans: tuple[float, float]) -> SpeechChunk:
    samples = tuple((round(a * RATE), round(b * RATE)) for a, b in spans)
    return SpeechChunk(np.zeros(sum(b - a for a, b in samples), np.float32), samples)


def _spans(chunks: list[SpeechChunk]) -> list[tuple[int, int]]:
    return [span for c in chunks for span in c.spans]


def speech_onsets(
    chunks: list[SpeechChunk], pad: float, opening: float | None = None
) -> list[float]:
    return [onset for _, onset in speech_gaps(_spans(chunks), pad, opening)]


def test_onsets_are_where_spans_set_apart_begin_plus_the_padding() -> None:
    # 0.0: the window's start (speech may begin anywhere in the padding); 4.0 follows 3.2 with
    # a gap (a silence of 2 x 0.4 s or more); 6.0 touches 6.0 (a shorter silence, split).
    chunks = [chunk((0.0, 3.2), (4.0, 6.0)), chunk((6.0, 8.0), (9.5, 12.0))]
    assert speech_onsets(chunks, PAD) == pytest.approx([4.4, 9.9])
    # the speech before stopped where the span before it ends, less the padding
    assert speech_gaps(_spans(chunks), PAD) == [
        pytest.approx((2.8, 4.4)),
        pytest.approx((7.6, 9.9)),
    ]
    assert speech_gaps(chunk((1.0, 2.0)).spans, PAD) == [pytest.approx((0.0, 1.4))]
    assert speech_onsets([], PAD) == []
    # a span from the window's start: where its speech began is known only from the VAD's scores
    assert speech_onsets([chunk((0.0, 3.2), (4.0, 6.0))], PAD, 0.3) == pytest.approx([0.3, 4.4])
    assert speech_onsets([chunk((0.0, 3.2))], PAD, None) == []


def words(*timed: tuple[float, float, str]) -> list[Word]:
    return [Word(a, b, t, 0.9) for a, b, t in timed]


def test_the_first_word_after_a_pause_starts_at_the_speech() -> None:
    # Whisper started "Hello" where the span's padding starts (10.0); the speech began at 10.4.
    before = Segment(5.0, 8.0, "Good.", words((5.0, 8.0, "Good.")))
    after = Segment(10.0, 11.5, "Hello there", words((10.0, 10.9, "Hello"), (10.9, 11.5, "there")))
    out = start_at_onsets([before, after], [10.4], PAD)
    assert out[0] is before
    assert out[1].words[0].start == pytest.approx(10.4 - ONSET_MARGIN_S)
    assert out[1].start == out[1].words[0].start and out[1].words[1:] == after.words[1:]
    assert (out[1].end, out[1].text) == (after.end, after.text)
    # a model whose word times run late (moved earlier later on) is moved as far in its times
    late = start_at_onsets([before, after], [10.4], PAD, lag_s=0.08)
    assert late[1].words[0].start == pytest.approx(10.4 - ONSET_MARGIN_S + 0.08)


@pytest.mark.parametrize(
    ("timed", "why"),
    [
        (((10.35, 10.9, "Hello"),), "already at the speech"),
        (((10.0, 10.2, "Oh"), (10.3, 10.9, "hello")), "ends before the speech starts"),
        (((9.0, 10.9, "Hello"),), "starts before the span: speech went on into it"),
    ],
)
def test_words_that_are_not_a_late_first_word_stay(
    timed: tuple[tuple[float, float, str], ...], why: str
) -> None:
    seg = Segment(timed[0][0], timed[-1][1], " ".join(t for _, _, t in timed), words(*timed))
    assert start_at_onsets([seg], [10.4], PAD)[0].words[0] == seg.words[0], why


def test_a_first_word_across_a_seam_goes_with_the_words_after_it() -> None:
    """A chunk joins spans from all over the window; Whisper read jfk's "And" 0.6 s early,
    into a scrap of music before it in the chunk, and the word's middle put it there: a cue of
    its own 65 s early (faster_whisper_batch._to_window)."""
    from woasr_cli.providers.faster_whisper_batch import _to_window

    joined = chunk((42.6, 43.5), (107.8, 112.0))  # chunk time: 0.0-0.9, then 0.9-5.1
    first = Segment(
        0.3, 2.0, "And so my", words((0.3, 1.0, "And"), (1.0, 1.5, "so"), (1.5, 2.0, "my"))
    )
    moved = _to_window(first, joined)
    assert [round(w.start, 2) for w in moved.words] == [107.8, 107.9, 108.4]
    # the same for a last word started in its span and read on into the next one
    last = Segment(0.0, 1.3, "Thank you", words((0.0, 0.5, "Thank"), (0.5, 1.3, "you.")))
    kept = _to_window(last, joined)
    assert [(round(w.start, 2), round(w.end, 2)) for w in kept.words] == [
        (42.6, 43.1),
        (43.1, 43.5),
    ]
    # a word wholly in the span before stays there
    alone = Segment(0.1, 2.0, "Oh so", words((0.1, 0.6, "Oh"), (1.0, 2.0, "so")))
    assert round(_to_window(alone, joined).words[0].start, 2) == 42.7


def test_a_word_timed_in_the_pause_before_it_moves_to_the_speech() -> None:
    # jfk.wav under base: "not" ends at 4.28 s, the speaker pauses until 5.44 s (VAD), and
    # Whisper timed "what" at 4.28-4.81 s, in the pause; the cue cut after it read "ask not
    # what" while nobody spoke.
    said = words((3.94, 4.28, "not"), (4.28, 4.81, "what"), (5.59, 5.83, "your"))
    seg = Segment(3.94, 5.83, "not what your", said)
    gaps = [(4.35, 5.44)]
    (out,) = out_of_pauses([seg], gaps)
    assert out.words[0] == said[0] and out.words[2] == said[2]
    assert out.words[1].text == "what"
    assert out.words[1].start == pytest.approx(5.44 - ONSET_MARGIN_S)
    assert out.words[1].end == pytest.approx(5.59)  # up to the next word: no overlap
    assert (out.start, out.end, out.text) == (seg.start, seg.end, seg.text)
    # in a segment of its own, the segment starts with it
    alone = [Segment(3.94, 4.28, "not", said[:1]), Segment(4.28, 5.83, "what your", said[1:])]
    assert out_of_pauses(alone, gaps)[1].start == pytest.approx(5.34)
    # a model whose word times run late is moved as far in its times
    shifted = [replace(w, start=w.start + 0.08, end=w.end + 0.08) for w in said]
    late = out_of_pauses([Segment(4.02, 5.91, seg.text, shifted)], gaps, lag_s=0.08)[0]
    assert late.words[1].start == pytest.approx(5.44 - ONSET_MARGIN_S + 0.08)


@pytest.mark.parametrize(
    ("timed", "why"),
    [
        (((3.94, 4.28, "not"), (4.28, 4.81, "left."), (5.59, 5.83, "Welcome")), "a sentence's end"),
        (((3.94, 4.28, "not"), (4.6, 4.6, "what"), (5.59, 5.83, "your")), "no length"),
        (((3.94, 4.28, "not"), (4.28, 4.81, "what"), (5.0, 5.83, "your")), "speech goes on"),
        (((3.94, 4.28, "not"), (4.28, 4.81, "what"), (5.44, 5.83, "your")), "no room for it"),
        (((3.94, 4.26, "not"), (4.26, 4.42, "what"), (5.59, 5.83, "your")), "mostly before it"),
        (((3.6, 4.28, "not"), (4.0, 4.81, "what"), (5.59, 5.83, "your")), "starts before it"),
    ],
)
def test_words_the_pause_does_not_explain_stay(
    timed: tuple[tuple[float, float, str], ...], why: str
) -> None:
    seg = Segment(timed[0][0], timed[-1][1], " ".join(t for _, _, t in timed), words(*timed))
    assert out_of_pauses([seg], [(4.35, 5.44)])[0] is seg, why


def as_pulled(
    segments: list[Segment], gaps: list[tuple[float, float]]
) -> list[tuple[Segment, int]]:
    """timed_as_decoded's segments, each with how many inputs had been pulled when it came."""
    pulled: list[int] = []

    def decoded() -> Iterator[Segment]:
        for k, seg in enumerate(segments):
            pulled.append(k)
            yield seg

    return [(seg, len(pulled)) for seg in timed_as_decoded(decoded(), gaps, PAD)]


def test_segments_as_decoded_are_timed_as_a_whole_and_held_only_near_a_pause() -> None:
    # Sequential decoding yields segments one by one: each is timed by the same rules as the
    # window's whole list, and handed on as soon as no rule can move a word of it.
    said = [
        Segment(1.0, 4.28, "Ask not", words((1.0, 2.0, "Ask"), (3.94, 4.28, "not"))),
        Segment(4.28, 5.83, "what your", words((4.28, 4.81, "what"), (5.59, 5.83, "your"))),
        Segment(6.0, 8.0, "Good.", words((6.0, 8.0, "Good."))),
        Segment(10.0, 11.5, "Hello there", words((10.0, 10.9, "Hello"), (10.9, 11.5, "there"))),
        Segment(12.0, 12.5, "Bye.", words((12.0, 12.5, "Bye."))),
    ]
    gaps = [(4.35, 5.44), (9.6, 10.4)]
    whole = start_at_onsets(out_of_pauses(said, gaps), [o for _, o in gaps], PAD)
    assert whole[1].words[0].start == pytest.approx(5.34) and whole[3].start == pytest.approx(10.3)
    out = as_pulled(said, gaps)
    assert [seg for seg, _ in out] == whole
    # "Ask not" ends before the pause; "what your" and "Hello there" hold the words after it
    assert [n for _, n in out] == [1, 2, 3, 4, 5]
    # a segment whose word may still move waits for a word past the pause
    late = [said[0], Segment(4.28, 4.81, "what", said[1].words[:1]), said[2]]
    moved = as_pulled(late, gaps[:1])
    assert [(seg.text, n) for seg, n in moved] == [("Ask not", 1), ("what", 3), ("Good.", 3)]
    assert moved[1][0].start == moved[1][0].words[0].start == pytest.approx(5.34)
    assert late[1].words[0].start == 4.28  # (the input is not changed)


def test_a_word_run_on_into_a_silence_ends_where_the_padding_does() -> None:
    # Sequential decoding, 60-minute recording: 'children."' ran through a 1.6 s pause (the VAD
    # heard the speech stop at 3432.5 s) to the next word, and its cue ran across the pause.
    said = words((3431.8, 3432.02, "the"), (3432.02, 3434.62, 'children."'))
    seg = Segment(3431.8, 3434.62, 'the children."', said)
    out = end_in_speech(seg, [3420.0, 3432.5, 3440.0], PAD)
    assert out.words[0] == said[0]
    assert (out.words[1].start, out.words[1].end) == (3432.02, pytest.approx(3432.9))
    assert (out.start, out.end, out.text) == (seg.start, pytest.approx(3432.9), seg.text)
    # an end within the padding, and a word that starts after the speech stopped, stay
    assert end_in_speech(seg, [3434.3], PAD) is seg
    assert end_in_speech(seg, [3431.0], PAD) is seg
    # a model whose word times run late is ended as far in its times
    late = end_in_speech(seg, [3432.4], PAD, lag_s=0.1)
    assert late.words[1].end == pytest.approx(3432.9)
    # in sequential decoding the end is set before the segment is handed on
    gaps = [(3432.5, 3434.5)]
    after = Segment(3434.62, 3435.0, "The", words((3434.62, 3435.0, "The")))
    first, second = timed_as_decoded(iter([seg, after]), gaps, PAD)
    assert first.words[1].end == pytest.approx(3432.9) and second == after

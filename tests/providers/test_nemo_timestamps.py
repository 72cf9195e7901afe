"""NeMo hypotheses to segments, on hypotheses shaped as the NeMo versions woasr supports give
them (seconds and frame offsets, or frame offsets only; words, segments or text alone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from woasr_cli.providers.nemo_timestamps import Span, hypothesis_segments
from woasr_cli.providers.word_groups import SEGMENT_GAP_S, SEGMENT_MAX_S, group_words
from woasr_cli.transcript import Word


@dataclass
class Hypothesis:
    """The two attributes of ``nemo...rnnt_utils.Hypothesis`` that the provider reads."""

    text: str
    timestamp: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


SPAN = Span(start=30.0, end=40.0, frame_s=0.08)


def test_seconds_are_moved_to_the_span_and_clamped_inside_it() -> None:
    hyp = Hypothesis("hello world", {"word": [
        {"word": "world", "start_offset": 8, "end_offset": 200, "start": 0.6, "end": 16.0},
        {"word": " hello ", "start_offset": 0, "end_offset": 5, "start": 0.0, "end": 0.4},
    ]})  # fmt: skip
    [seg] = hypothesis_segments(hyp, SPAN)
    assert [(w.text, w.start, w.end) for w in seg.words] == [
        ("hello", 30.0, 30.4),
        ("world", 30.6, 40.0),  # its end ran past the piece (NeMo's padding)
    ]
    assert (seg.start, seg.end, seg.text) == (30.0, 40.0, "hello world")


def test_frame_offsets_without_seconds() -> None:
    hyp = Hypothesis("a b", {"word": [
        {"word": "a", "start_offset": 10, "end_offset": 15},
        {"word": "b", "start_offset": 16, "end_offset": 20},
    ]})  # fmt: skip
    [seg] = hypothesis_segments(hyp, SPAN)
    assert [(w.start, w.end) for w in seg.words] == [(30.8, 31.2), (31.28, 31.6)]


def test_segments_without_words_and_text_without_times() -> None:
    hyp = Hypothesis("one. two", {"segment": [
        {"segment": "one.", "start": 0.5, "end": 1.0},
        {"segment": "two", "start": 2.0, "end": 3.0},
    ]})  # fmt: skip
    segs = hypothesis_segments(hyp, SPAN)
    assert [(s.start, s.end, s.text, s.words) for s in segs] == [
        (30.5, 31.0, "one.", []),
        (32.0, 33.0, "two", []),
    ]
    [only] = hypothesis_segments(Hypothesis(" just text "), SPAN)
    assert (only.start, only.end, only.text) == (30.0, 40.0, "just text")
    assert hypothesis_segments(Hypothesis(""), SPAN) == []


def test_words_split_at_sentence_ends_pauses_and_length() -> None:
    words = [Word(0.0, 0.5, "Hi."), Word(0.6, 1.0, "so"), Word(1.1, 1.5, "then")]
    words.append(Word(1.6 + SEGMENT_GAP_S, 2.6 + SEGMENT_GAP_S, "later"))
    start = words[-1].end
    words += [Word(start + i, start + i + 0.9, f"w{i}") for i in range(int(SEGMENT_MAX_S) + 3)]
    segs = group_words(words)
    assert [s.text for s in segs[:2]] == ["Hi.", "so then"]
    assert segs[2].words[0].text == "later" and len(segs) == 4  # the 4th: past SEGMENT_MAX_S
    for seg in segs:
        assert seg.end - seg.start <= SEGMENT_MAX_S
        assert seg.text == " ".join(w.text for w in seg.words)
    assert [w for s in segs for w in s.words] == words

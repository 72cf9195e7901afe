"""The default subtitle layout: properties over random timed words, and what it does on real
output (golden long.srt is tiny.en on pyannote_sample.wav)."""

from __future__ import annotations

import itertools

import srt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from make_golden import long
from woasr_cli.formats import FormatOptions, render
from woasr_cli.formats.cues import build_cues
from woasr_cli.formats.layout import PAUSE_S, Limits, lay_out
from woasr_cli.transcript import Segment, Transcript, Word

WORD = st.sampled_from(
    [
        "a",
        "I",
        "the",
        "word",
        "longer",
        "sentence.",
        "clause,",
        "question?",
        "한국어",
        "extraordinarily-long-compound-word-that-is-wider-than-a-line",
    ]
)


@st.composite
def timed_words(draw: st.DrawFn) -> list[Word]:
    words, t = [], draw(st.floats(0.0, 5.0))
    for _ in range(draw(st.integers(1, 60))):
        t += draw(st.sampled_from([0.0, 0.0, 0.05, 0.3, 0.8, 1.6, 4.0]))  # gaps, some pauses
        length = draw(st.floats(0.05, 1.2))
        words.append(Word(t, t + length, draw(WORD)))
        t += length
    return words


LIMITS = st.builds(
    Limits,
    width=st.sampled_from([10, 20, 32, 42]),
    lines=st.sampled_from([1, 2, 3]),
    words_per_line=st.sampled_from([None, 1, 3, 7]),
    duration=st.sampled_from([2.0, 7.0]),
    chars_per_second=st.sampled_from([12.0, 20.0]),
    indent=st.sampled_from([0, 0, 9, 14]),  # a speaker label before the first line
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(timed_words(), LIMITS)
def test_layout_limits_order_and_text(words: list[Word], limits: Limits) -> None:
    cues = lay_out(words, limits, until=float("inf"))
    # every word once, in order
    assert [w for c in cues for line in c.lines for w in line] == words
    for k, cue in enumerate(cues):
        laid = [w for line in cue.lines for w in line]
        assert cue.end >= cue.start == laid[0].start
        if k + 1 < len(cues):
            assert cue.end <= cues[k + 1].start  # no overlap
        if len(laid) == 1:
            continue  # a lone word wider or longer than a limit keeps a cue of its own
        assert len(cue.lines) <= limits.lines
        for i, line in enumerate(cue.lines):
            width = limits.width - limits.indent if i == 0 else limits.width
            assert len(" ".join(w.text for w in line)) <= width or len(line) == 1
            assert limits.words_per_line is None or len(line) <= limits.words_per_line
        assert laid[-1].end - cue.start <= limits.duration + 1e-9
        assert cue.end - cue.start <= max(limits.duration, laid[-1].end - cue.start) + 1e-9
        # no cue spans a pause
        assert all(b.start - a.end < PAUSE_S for a, b in itertools.pairwise(laid))
        # never one word alone on a line when the cue has words to spare
        if len(laid) > len(cue.lines):
            assert all(len(line) > 1 for line in cue.lines) or len(cue.lines) == 1


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(timed_words(), min_size=1, max_size=4), st.booleans())
def test_rendered_srt_keeps_text_in_order(groups: list[list[Word]], timed: bool) -> None:
    segments = []
    for words in groups:
        text = " ".join(w.text for w in words)
        start = segments[-1].end + 0.5 if segments else 0.0
        shift = start - words[0].start
        moved = [Word(w.start + shift, w.end + shift, w.text) for w in words]
        seg = Segment(start, moved[-1].end, text, moved if timed else [])
        segments.append(seg)
    transcript = Transcript(segments=segments)
    out = list(srt.parse(render("srt", transcript, FormatOptions())))
    assert " ".join(c.content.replace("\n", " ") for c in out) == " ".join(s.text for s in segments)
    for a, b in itertools.pairwise(out):
        assert a.start < a.end <= b.start
    if not timed:  # times shared out within each segment, never past it
        for cue in build_cues(transcript, FormatOptions()):
            assert any(s.start - 1e-3 <= cue.start and cue.end <= s.end + 1e-3 for s in segments)


def test_real_output_follows_the_guidelines() -> None:
    transcript = long()
    cues = build_cues(transcript, FormatOptions())
    plain = build_cues(transcript, FormatOptions(subtitle_layout="none"))
    assert max(len(c.text.replace("\n", "")) for c in plain) > 84  # what it replaces
    for cue in cues:
        assert len(cue.lines) <= 2 and all(len(line) <= 42 for line in cue.lines)
        assert cue.end - cue.start <= 7.0
    words = [w for s in transcript.segments for w in s.words]
    for a, b in itertools.pairwise(words):
        if b.start - a.end >= PAUSE_S:  # no cue runs across a pause
            assert not any(c.start < a.end and b.start < c.end for c in cues)


def _timed(start: float, text: str, step: float = 0.3) -> Segment:
    words = [Word(start + k * step, start + (k + 1) * step, w) for k, w in enumerate(text.split())]
    return Segment(words[0].start, words[-1].end, text, words)


def test_a_segment_ended_mid_sentence_does_not_end_the_cue() -> None:
    # pyannote_sample under base: Whisper ended a segment after "At", the next one went on
    # with "least, ..." at once; laid out per segment, "At" was a cue of its own for 0.12 s.
    at = Segment(24.06, 24.18, "At", [Word(24.06, 24.18, "At")])
    rest = _timed(24.18, "least, you know, they all call me a Yankee down here.")
    cues = build_cues(Transcript(segments=[_timed(21.9, "Well, not much difference."), at, rest]),
                      FormatOptions())  # fmt: skip
    texts = [c.text.replace("\n", " ") for c in cues]
    assert texts == [
        "Well, not much difference.",
        "At least, you know, they all call me a Yankee down here.",
    ]
    assert cues[1].start == 24.06


def test_a_segment_end_before_a_capital_ends_the_sentence_there() -> None:
    # pyannote_sample under base: Whisper ended two sentences with their segments and left out
    # the full stops. Laid out as one phrase, the SRT had "Oh, I'm originally from Chicago
    # Also," and "At least, um, you know," then "they all call me a Yankee down here / So I
    # don't hear that New Jersey now" in one cue.
    said = [
        _timed(18.14, "Oh, I'm originally from Chicago"),
        _timed(19.99, "Also, I'm in New Jersey now though."),
        _timed(23.84, "At least, um, you know, they all call me a Yankee down here", 0.2),
        _timed(26.24, "So I don't hear that New Jersey now", 0.3),
    ]
    cues = build_cues(Transcript(segments=said, duration=30.0), FormatOptions())
    assert [c.text.replace("\n", " ") for c in cues] == [
        "Oh, I'm originally from Chicago",
        "Also, I'm in New Jersey now though.",
        "At least, um, you know, they all call me a Yankee down here",
        "So I don't hear that New Jersey now",
    ]
    # the same words in one segment: no segment end, so no sentence end to cut at
    one = Segment(18.14, said[1].end, "Chicago Also,", said[0].words + said[1].words)
    assert len(build_cues(Transcript(segments=[one], duration=30.0), FormatOptions())) == 1
    # "I" is written with a capital anywhere in a sentence: a segment end before it is not one
    before_i = [_timed(10.0, "and then after that"), _timed(11.2, "I went home to sleep")]
    assert len(build_cues(Transcript(segments=before_i, duration=20.0), FormatOptions())) == 1
    # German writes nouns with a capital: there a segment end before one is not a sentence end
    german = [
        _timed(18.14, "Ich bin gestern mit dem"),
        _timed(20.0, "Hund durch den Park gelaufen."),
    ]
    for language, count in (("de", 1), ("en", 2)):
        transcript = Transcript(segments=german, duration=30.0, language=language)
        assert len(build_cues(transcript, FormatOptions())) == count


def test_a_title_or_abbreviation_with_a_full_stop_ends_no_cue() -> None:
    # A full stop made a cut free after "Dr." or "Prof.": "The meeting with Prof." | "Brown
    # went well.", and "We met Dr." | "Smith and Mrs." | "Jones at the station, e.g." | ...
    def cues(text: str) -> list[str]:
        transcript = Transcript(segments=[_timed(1.0, text)], duration=60.0)
        return [c.text.replace("\n", " ") for c in build_cues(transcript, FormatOptions())]

    assert cues("The meeting with Prof. Brown went well.") == [
        "The meeting with Prof. Brown went well."
    ]
    met = cues("We met Dr. Smith and Mrs. Jones at the station, e.g. the one near the old "
               "bridge, and then we all went home together.")  # fmt: skip
    assert len(met) == 2
    assert not any(c.endswith(("Dr.", "Mrs.", "e.g.")) for c in met)
    assert cues("It ended. Then Mr. Quilter spoke.") == ["It ended. Then Mr. Quilter spoke."]


def test_a_brief_sentence_shares_the_next_ones_cue_and_long_ones_keep_their_own() -> None:
    hello = Segment(119.82, 119.94, "Hello.", [Word(119.82, 119.94, "Hello.")])
    said = _timed(119.94, "I didn't know you were there.")
    diane = _timed(121.9, "This is Diane in New Jersey.")
    sheila = _timed(diane.end + 0.2, "And I'm Sheila from Texas.")
    transcript = Transcript(segments=[hello, said, diane, sheila])
    cues = build_cues(transcript, FormatOptions())
    assert [c.text.replace("\n", " ") for c in cues] == [
        "Hello. I didn't know you were there.",  # alone, "Hello." was up for 0.12 s
        "This is Diane in New Jersey.",
        "And I'm Sheila from Texas.",
    ]
    # the same sentences in one segment are laid out the same way
    both = f"{diane.text} {sheila.text}"
    one = Segment(diane.start, sheila.end, both, diane.words + sheila.words)
    assert [c.text for c in build_cues(Transcript(segments=[one]), FormatOptions())] == [
        c.text for c in cues[1:]
    ]


def test_a_re_render_after_a_commit_cuts_only_the_new_phrase() -> None:
    """A live stream re-renders its files after every commit: with every phrase cut again, a
    10-minute stream spent ~0.5 s a commit in the layout. The earlier phrases' cuts are now
    remembered, and give the cues a fresh cut gives."""
    from woasr_cli.formats import layout

    def both(segments: list[Segment]) -> list[str]:
        transcript = Transcript(segments=segments, duration=segments[-1].end + 1.0)
        return [render(name, transcript, FormatOptions()) for name in ("srt", "vtt")]

    sentence = "so the thing is that we have to think about how this works, in practice. And"
    segments = [_timed(k * 8.0, f"{sentence} {k}.") for k in range(40)]  # 4.5 s apart
    layout._cut_bounds.cache_clear()
    first = both(segments[:39])
    assert layout._cut_bounds.cache_info().misses == 39  # one a phrase, for both formats
    again = both(segments)
    assert layout._cut_bounds.cache_info().misses == 40  # the new phrase only
    layout._cut_bounds.cache_clear()
    assert both(segments) == again
    cut = [srt.compose(list(srt.parse(text))) for text in (first[0], again[0])]
    assert cut[1].startswith(cut[0]) and len(cut[1]) > len(cut[0])

"""Format writers: golden files, properties over random transcripts, and convert round trips."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import timedelta

import pytest
import srt
import webvtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from make_golden import CASES, GOLDEN
from woasr_cli.errors import InputError, UsageError
from woasr_cli.formats import FormatOptions, parse_formats, render
from woasr_cli.transcript import Segment, Transcript, Word


@pytest.mark.parametrize(
    ("name", "make", "options", "fmt"),
    [(n, m, o, f) for n, m, o, fs in CASES for f in fs],
    ids=[f"{n}.{f}" for n, _, _, fs in CASES for f in fs],
)
def test_golden(name: str, make: object, options: FormatOptions, fmt: str) -> None:
    expected = (GOLDEN / f"{name}.{fmt}").read_text(encoding="utf-8")
    assert render(fmt, make(), options) == expected  # type: ignore[operator]


def test_json_round_trip_is_lossless() -> None:
    transcript = CASES[1][1]()
    again = Transcript.from_dict(json.loads(render("json", transcript, FormatOptions())))
    assert again == transcript
    for fmt in ("vtt", "srt", "txt", "tsv", "rttm"):
        assert render(fmt, again, FormatOptions()) == render(fmt, transcript, FormatOptions())


def test_parse_formats() -> None:
    assert parse_formats(["all"]) == ("vtt", "srt", "json", "txt", "tsv")
    assert parse_formats(["srt,vtt", "json", "srt"]) == ("srt", "vtt", "json")
    assert parse_formats(["rttm"]) == ("rttm",)
    with pytest.raises(UsageError, match="unknown output format 'docx'"):
        parse_formats(["srt,docx"])


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ({"max_line_width": 0}, "--max-line-width must be at least 1"),
        ({"max_line_count": -1}, "--max-line-count must be at least 1"),
        ({"max_words_per_line": 0}, "--max-words-per-line must be at least 1"),
        ({"max_cue_duration": 0.0}, "--max-cue-duration must be more than 0"),
        ({"max_line_width": "42"}, "--max-line-width takes a whole number, not '42'"),
        ({"subtitle_layout": "netflix"}, "--subtitle-layout must be default or none"),
    ],
)
def test_shapes_that_make_no_subtitles_are_refused(shape: dict[str, object], message: str) -> None:
    # The library's render() and convert take these as the CLI does: a width of 0 made one
    # word per cue, -3 too, and a line count of 0 was taken as "unlimited".
    with pytest.raises(UsageError, match=message):
        FormatOptions(**shape)  # type: ignore[arg-type]
    assert FormatOptions(max_line_width=30).max_line_width == 30


# -- properties ------------------------------------------------------------------------------

TEXT = st.lists(
    st.sampled_from([*"abc XYZ 한국어 é 😀 <>&\n\t\"'", "-->", "\n\n", "word", " "]),
    max_size=12,
).map("".join)


@st.composite
def transcripts(draw: st.DrawFn) -> Transcript:
    segments = []
    t = 0.0
    for _ in range(draw(st.integers(0, 8))):
        start = t + draw(st.floats(-1.0, 2.0))  # overlaps and disorder happen in real output
        length = draw(st.floats(0.0, 5.0))
        speaker = draw(st.sampled_from([None, "SPEAKER_00", "SPEAKER_01"]))
        words = []
        if draw(st.booleans()):
            n = draw(st.integers(1, 6))
            for i in range(n):
                ws = start + length * i / n
                words.append(Word(ws, ws + length / n, draw(TEXT) or "w", 0.5,
                                  draw(st.sampled_from([speaker, "SPEAKER_01"]))))  # fmt: skip
        text = " ".join(w.text for w in words) if words else draw(TEXT)
        segments.append(Segment(max(start, 0.0), max(start, 0.0) + length, text, words, speaker))
        t = start + length
    return Transcript(segments=segments, source="x.wav")


OPTIONS = st.builds(
    FormatOptions,
    st.sampled_from([None, 1, 10, 42]),
    st.sampled_from([None, 1, 2]),
    st.booleans(),
)


def _laid_out(fmt: str, transcript: Transcript, options: FormatOptions) -> str:
    """The format's text; highlighting speech without any word time is refused (InputError),
    and the rest of the properties are checked on the cues without it."""
    try:
        return render(fmt, transcript, options)
    except InputError:
        assert options.highlight_words and not any(s.words for s in transcript.segments)
        return render(fmt, transcript, replace(options, highlight_words=False))


def _check_cues(cues: list[tuple[timedelta, timedelta]]) -> None:
    for i, (start, end) in enumerate(cues):
        assert end > start
        if i + 1 < len(cues):
            assert end <= cues[i + 1][0]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(transcripts(), OPTIONS)
def test_srt_is_well_formed(transcript: Transcript, options: FormatOptions) -> None:
    out = _laid_out("srt", transcript, options)
    cues = list(srt.parse(out))
    assert [c.index for c in cues] == list(range(1, len(cues) + 1))
    _check_cues([(c.start, c.end) for c in cues])
    assert all(c.content.strip() and "\n\n" not in c.content for c in cues)
    out.encode("utf-8")


def _vtt_time(value: str) -> timedelta:
    h, m, s = value.split(":")
    return timedelta(hours=int(h), minutes=int(m), seconds=float(s))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(transcripts(), OPTIONS)
def test_vtt_is_well_formed(transcript: Transcript, options: FormatOptions) -> None:
    out = _laid_out("vtt", transcript, options)
    cues = list(webvtt.from_buffer(io.StringIO(out)) if hasattr(webvtt, "from_buffer")
                else webvtt.read_buffer(io.StringIO(out)))  # fmt: skip
    blocks = [b for b in out.split("\n\n")[1:] if b.strip()]
    assert len(cues) == len(blocks)  # nothing in the text split or merged a cue
    for block in blocks:
        assert block.count("-->") == 1  # only the timing line has an arrow
    _check_cues([(_vtt_time(c.start), _vtt_time(c.end)) for c in cues])


@settings(max_examples=80, deadline=None)
@given(transcripts())
def test_text_survives_every_format(transcript: Transcript) -> None:
    words = {w for s in transcript.segments for w in " ".join(s.text.split()).split(" ") if w}
    txt = render("txt", transcript, FormatOptions())
    tsv = render("tsv", transcript, FormatOptions())
    for word in words:
        assert word in txt and word.replace("\t", " ") in tsv.replace("\t", " ")
    rows = tsv.splitlines()
    width = len(rows[0].split("\t"))
    assert all(len(r.split("\t")) == width for r in rows)


def test_utf8_and_vtt_escaping() -> None:
    t = Transcript([Segment(0, 1, "a --> b <i>x</i> & 한국어 😀")])
    vtt = render("vtt", t, FormatOptions())
    assert "a --&gt; b &lt;i&gt;x&lt;/i&gt; &amp; 한국어 😀" in vtt
    assert vtt.count("-->") == 1


def test_all_means_rttm_too_when_speakers_are_labelled() -> None:
    from woasr_cli.formats import parse_formats

    assert parse_formats(["all"]) == ("vtt", "srt", "json", "txt", "tsv")
    assert parse_formats(["all"], diarize=True) == ("vtt", "srt", "json", "txt", "tsv", "rttm")
    assert parse_formats(["srt"], diarize=True) == ("srt",)
    from woasr_cli.options import TranscribeOptions

    assert TranscribeOptions(diarize=True).formats[-1] == "rttm"  # the default is "all"
    assert "rttm" not in TranscribeOptions().formats


@pytest.mark.parametrize("layout", ["default", "none"])
def test_no_cue_ends_after_the_media(layout: str) -> None:
    # A last word timed at the very end (hf_auto_asr gives zero-length ones there) got the
    # 50 ms every cue is given: the SRT ran past the file (239.49 s of a 239.44 s file).
    words = [Word(9.2, 9.6, " Thank"), Word(9.6, 10.0, " you."), Word(10.0, 10.0, " Bye.")]
    transcript = Transcript(
        segments=[Segment(9.2, 10.0, " Thank you.", words=words[:2]),
                  Segment(10.0, 10.0, " Bye.", words=words[2:])],
        duration=10.0,
    )  # fmt: skip
    cues = list(srt.parse(render("srt", transcript, FormatOptions(subtitle_layout=layout))))
    assert cues and max(c.end for c in cues) <= timedelta(seconds=10.001)
    assert "Bye." in cues[-1].content

"""Words joined as their script writes them: spaces in English, none in Chinese or Japanese."""

from __future__ import annotations

import srt

from woasr_cli import render
from woasr_cli.spacing import columns, join, join_words, separator
from woasr_cli.transcript import Segment, Transcript, Word

C = "\uff0c"  # the fullwidth comma of CJK text


def transcript(words: list[str], language: str, step: float = 0.3) -> Transcript:
    timed = [Word(i * step, (i + 1) * step, w, 0.9) for i, w in enumerate(words)]
    text = join_words(words)
    return Transcript(
        segments=[Segment(0.0, len(words) * step, text, words=timed)], language=language
    )


def test_scripts_without_spaces_join_without_them() -> None:
    assert join_words(["今天", "天气", "很", f"好{C}", "我们"]) == f"今天天气很好{C}我们"
    assert join_words(["東京", "に", "行きます。"]) == "東京に行きます。"
    assert join_words(["สวัสดี", "ครับ"]) == "สวัสดีครับ"
    assert join_words(["안녕하세요", "반갑습니다"]) == "안녕하세요 반갑습니다"  # Korean is spaced
    assert join_words(["The", "", "town", "40,000"]) == "The town 40,000"
    assert separator("Python", "写") == "" and separator(f"好{C}", "OK") == ""
    assert separator("hello", "world") == " "
    # scripts written with spaces, all below the first unspaced range (Thai, U+0E00)
    assert join_words(["Привет", "мир"]) == "Привет мир"
    assert join_words(["مرحبا", "بالعالم"]) == "مرحبا بالعالم"
    assert join_words(["नमस्ते", "दुनिया"]) == "नमस्ते दुनिया"
    assert separator("\u0dff", "a") == " " and separator("\u0e00", "a") == ""


def test_chinese_subtitles_have_no_spaces_between_words() -> None:
    """The SRT and VTT writers joined every word with a space: "今天 天气 很 好"."""
    words = ["今天", "天气", "很", f"好{C}", "我们", "去", "公园", "散步", "吧。"]
    out = render(transcript(words, "zh"), ["srt", "vtt", "txt"], highlight_words=False)
    cues = list(srt.parse(out["srt"]))
    assert [c.content for c in cues] == [f"今天天气很好{C}我们去公园散步吧。"]
    assert f"今天天气很好{C}我们去公园散步吧。" in out["vtt"]
    assert out["txt"].strip() == f"今天天气很好{C}我们去公园散步吧。"
    marked = render(transcript(words, "zh"), "vtt", highlight_words=True)["vtt"]
    assert f"今天<u>天气</u>很好{C}" in marked


def test_line_width_counts_only_the_spaces_that_are_written_and_wide_characters_twice() -> None:
    # 40 Chinese characters in 20 words: 80 columns (a CJK character takes two), so two lines
    # of at most 42 columns (counted in characters it was one line twice a Latin line's width)
    words = ["天气"] * 19 + ["好。"]
    cues = list(srt.parse(render(transcript(words, "zh", step=0.15), "srt")["srt"]))
    lines = [ln for c in cues for ln in c.content.splitlines()]
    assert "".join(lines) == "天气" * 19 + "好。"
    assert len(cues) == 1 and len(lines) == 2
    assert all(columns(ln) <= 42 for ln in lines) and columns("天气") == 4
    # English: the same words with their spaces still wrap at 42
    english = ["word"] * 12
    cues = list(srt.parse(render(transcript(english, "en"), "srt")["srt"]))
    lines = [ln for c in cues for ln in c.content.splitlines()]
    assert all(len(ln) <= 42 for ln in lines) and sum(len(ln.split()) for ln in lines) == 12


def test_live_files_close_a_cue_at_a_cjk_full_stop() -> None:
    """Live output files closed a cue only at ". ? !": a Chinese stream's cues ran on to a
    pause or 8 s."""
    from woasr_cli.live.writers import GrowingTranscript

    growing = GrowingTranscript()
    growing.add([Word(0.0, 0.3, "你好。"), Word(0.4, 0.7, "我们"), Word(0.7, 1.0, "走吧。")])
    growing.add([Word(1.1, 1.4, "Hello."), Word(1.5, 1.8, "Bye")])
    texts = [s.text for s in growing.transcript("zh", 2.0).segments]
    assert texts == ["你好。", "我们走吧。", "Hello.", "Bye"]


# Whisper's pieces of " สวัสดีครับ วันนี้อากาศดีมาก เราจะไปเที่ยวทะเลกันไหม" (base's tokenizer and
# faster-whisper's word split for Thai): the spaces between phrases are pieces of their own.
THAI = [" ", "ส", "ว", "ั", "ส", "ด", "ี", "คร", "ั", "บ", " ", "ว", "ั", "นน", "ี้", "อ", "าก",
        "า", "ศ", "ด", "ี", "มา", "ก", " ", "เรา", "จะ", "ไป", "เท", "ี่", "ย", "ว", "ท", "ะ", "เล",
        "ก", "ั", "น", "ไ", "หม"]  # fmt: skip
THAI_TEXT = "สวัสดีครับ วันนี้อากาศดีมาก เราจะไปเที่ยวทะเลกันไหม"


def test_thai_subtitles_keep_the_spaces_between_phrases(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Thai writes no space between words but one between phrases; cues ran the phrases
    together ("สวัสดีครับวันนี้อากาศดีมาก...") while the TXT, from Whisper's own text, had them."""
    from woasr_cli.providers.whisper_words import whisper_words
    from woasr_cli.transcript import Transcript

    pieces = [(0.1 * i, 0.1 * (i + 1), p, 0.9) for i, p in enumerate(THAI)]
    words = whisper_words(pieces, " " + THAI_TEXT)
    assert join(words) == THAI_TEXT
    doc = Transcript([Segment(0.0, 4.0, THAI_TEXT, words=words)], language="th")
    for t in (doc, Transcript.from_dict(doc.to_dict())):  # as `woasr convert` reads it back
        out = render(t, ["srt", "vtt"])
        assert [c.content.replace("\n", " ") for c in srt.parse(out["srt"])] == [THAI_TEXT]
    # a segment split in two keeps the space where it is cut
    from woasr_cli.providers.pauses import split_at_times

    halves = split_at_times(doc.segments[0], [words[1].start])
    assert [s.text for s in halves] == ["สวัสดีครับ", "วันนี้อากาศดีมาก เราจะไปเที่ยวทะเลกันไหม"]


def test_a_written_space_is_kept_and_marks_take_no_columns() -> None:
    word = Word(0.0, 0.3, "Python", 0.9, space=True)
    assert join([Word(0.0, 0.1, "我喜欢", 0.9), word, Word(0.3, 0.5, "编程", 0.9, space=True)]) == (
        "我喜欢 Python 编程"
    )
    assert separator("我", "Python") == "" and separator("我", "Python", space=True) == " "
    assert separator("", "Python", space=True) == ""  # nothing before: no space
    assert columns("สวัสดีครับ") == 7  # 10 code points, three of them marks over or under a letter
    assert columns("e\u0301") == 1


JA = "きょうはいいてんきです。わたしたちはこうえんにいきます。そしてともだちとあそびます。"


def test_chinese_or_japanese_without_word_times_is_cut_to_the_line_limits() -> None:
    """A segment without word times was one "word" (its text split at spaces): a Japanese
    segment made one cue of 84 columns on one line; so did a sentence a model gave as one word
    (a stretch decoded in another language than the file's, slot_language.py)."""
    untimed = Transcript(segments=[Segment(0.0, 9.0, JA)], language="ja")
    one_word = Transcript(segments=[Segment(0.0, 9.0, JA, words=[Word(0.0, 9.0, JA)])])
    for made in (untimed, one_word):
        for fmt in ("srt", "vtt"):
            out = render(made, fmt, max_line_width=None)[fmt]
            cues = [c for c in out.split("\n\n") if "-->" in c]
            lines = [ln for c in cues for ln in c.splitlines()[1:] if "-->" not in ln]
            assert all(columns(ln) <= 42 for ln in lines), lines
            assert "".join(lines) == JA  # nothing lost, no space put in
            # cut at the full stops, times shared out by width and in order
        parsed = list(srt.parse(render(made, "srt")["srt"]))
        assert [c.content for c in parsed] == [s + "。" for s in JA.split("。")[:3]]
        assert parsed[0].start.total_seconds() == 0 and parsed[-1].end.total_seconds() == 9.0
    # with a width asked for and one cue a segment, lines keep to it too
    narrow = render(untimed, "srt", subtitle_layout="none", max_line_width=20)["srt"]
    assert all(columns(ln) <= 20 for ln in narrow.splitlines() if "-->" not in ln)


def test_a_wide_word_of_a_spaced_script_stays_whole() -> None:
    url = "https://example.com/a/very/long/path/that/goes/on/and/on/index.html"
    words = [Word(0.0, 1.0, "see"), Word(1.0, 4.0, url), Word(4.0, 5.0, "now.")]
    made = Transcript(segments=[Segment(0.0, 5.0, f"see {url} now.", words=words)])
    lines = [ln for c in srt.parse(render(made, "srt")["srt"]) for ln in c.content.splitlines()]
    assert url in lines and " ".join(lines) == f"see {url} now."

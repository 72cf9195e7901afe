"""Whisper's pieces of one written word ("40" ",000") come out as one woasr word."""

from __future__ import annotations

from pathlib import Path

import pytest
import srt

from conftest import synthesize, write_wav
from woasr_cli.providers.whisper_words import segment_text, whisper_words
from woasr_cli.transcript import Word


def test_pieces_without_a_leading_space_join_the_word_before() -> None:
    pieces = [
        (0.0, 0.4, " about", 0.9),
        (0.4, 0.7, " 40", 0.8),
        (0.7, 1.1, ",000", 0.95),
        (1.1, 1.5, " people.", 0.99),
        (1.6, 1.8, " a", 0.9),
        (1.8, 2.0, " well", 0.7),
        (2.0, 2.4, "-known", 0.6),
        (2.4, 2.6, " U", 0.9),
        (2.6, 2.9, ".S.", 0.9),
    ]
    words = whisper_words(pieces, " about 40,000 people. a well-known U.S.")
    assert [w.text for w in words] == ["about", "40,000", "people.", "a", "well-known", "U.S."]
    assert words[1] == Word(0.4, 1.1, "40,000", 0.8)  # first start, last end, lower probability
    assert words[4] == Word(1.8, 2.4, "well-known", 0.6)


def test_text_without_spaces_keeps_the_words_apart() -> None:
    # Chinese: no piece has a space before it, and the segment's text has none either
    pieces = [(0.0, 0.3, " 你好", 0.9), (0.3, 0.6, "世界", 0.9)]
    assert [w.text for w in whisper_words(pieces, " 你好世界")] == ["你好", "世界"]
    # an engine that strips the spaces (CTC word chunks): nothing tells a piece from a word
    ctc = [(0.0, 0.3, "HELLO", None), (0.3, 0.6, "WORLD", None)]
    assert [w.text for w in whisper_words(ctc, "HELLO WORLD")] == ["HELLO", "WORLD"]


def test_empty_pieces_are_dropped_and_a_leading_piece_starts_a_word() -> None:
    pieces = [(0.0, 0.2, "Hi", 0.9), (0.2, 0.3, "  ", 0.5), (0.3, 0.6, " there", None)]
    words = whisper_words(pieces, "Hi there")
    assert words == [Word(0.0, 0.2, "Hi", 0.9), Word(0.3, 0.6, "there", None)]


def test_where_the_script_writes_no_spaces_whispers_own_are_kept() -> None:
    # " 我喜欢 Python 编程。": Chinese around a Latin word; the segment's first piece has
    # Whisper's leading space, which is no space in Chinese.
    pieces = [(0.0, 0.3, " 我", 0.9), (0.3, 0.6, "喜欢", 0.9), (0.6, 0.9, " Python", 0.9),
              (0.9, 0.9, " ", 0.9), (0.9, 1.2, "编", 0.9), (1.2, 1.4, "程。", 0.9)]  # fmt: skip
    words = whisper_words(pieces, " 我喜欢 Python 编程。")
    assert [(w.text, w.space) for w in words] == [
        ("我喜欢", False),
        ("Python", True),
        ("编程。", True),
    ]
    # English keeps no mark: the scripts already put a space there
    assert not any(
        w.space for w in whisper_words([(0, 1, " Hi", 0.9), (1, 2, " there", 0.9)], " Hi there")
    )


def test_a_vowel_mark_is_never_a_word_of_its_own() -> None:
    # Thai without a space in the segment: Whisper's pieces stay words, but "ั" sits on the
    # letter before it (a line broken between them shows a lone mark)
    pieces = [
        (0.0, 0.1, " ส", 0.9),
        (0.1, 0.2, "ว", 0.9),
        (0.2, 0.3, "ั", 0.9),
        (0.3, 0.4, "ส", 0.9),
    ]
    words = whisper_words(pieces, " สวัส")
    assert [w.text for w in words] == ["ส", "วั", "ส"]
    assert words[1].start == 0.1 and words[1].end == 0.3
    assert words[0].space  # a Thai sentence starts after a space


def test_a_segment_says_what_its_words_spell() -> None:
    # Whisper shares a window's words out among its segments by counting tokens; a segment of
    # punctuation alone (its marks merged into a word before it) takes the next one's words.
    assert (
        segment_text([(0.0, 0.4, " Hello", 0.9), (0.4, 0.8, " there.", 0.9)], " Hello there.")
        == "Hello there."
    )
    shifted = [(3.0, 3.2, "อ", 0.1), (3.2, 3.4, "ข", 0.1), (3.4, 4.5, "0000,,", 0.1)]
    assert segment_text(shifted, ",,,,") == "อข0000,,"
    assert segment_text([], ",,,,") is None  # its marks went to a word of another segment
    assert segment_text([(9.9, 10.4, ',",', 0.1), (10.4, 10.5, ',"', 0.1)], "อข0000") is None
    assert segment_text([], " ...") is None
    assert segment_text([], " ♪") == "♪"  # a symbol is something to read
    assert segment_text([], " Hello.") == "Hello."  # no word times asked for


def test_a_segment_of_punctuation_is_not_transcribed() -> None:
    from types import SimpleNamespace as Seg

    from woasr_cli.providers.faster_whisper_engine import _convert

    def seg(start: float, end: float, text: str, words: list[tuple[float, float, str]]) -> Seg:
        pieces = [Seg(start=a, end=b, word=w, probability=0.5) for a, b, w in words]
        return Seg(
            start=start, end=end, text=text, words=pieces, avg_logprob=-0.5, no_speech_prob=0.1
        )

    assert _convert(seg(2.9, 3.0, ",,,,", [])) is None
    kept = _convert(seg(3.0, 4.5, ",,,,", [(3.0, 3.2, " One"), (3.2, 4.5, " two.")]))
    assert (
        kept is not None
        and kept.text == "One two."
        and [w.text for w in kept.words] == ["One", "two."]
    )


@pytest.mark.slow
def test_subtitles_write_numbers_and_hyphenated_words_whole(tiny_en: Path, tmp_path: Path) -> None:
    """tiny.en writes "forty thousand" as "40,000"; the SRT said "40 ,000" (and "well -known")
    because Whisper's words for it are " 40" and ",000"."""
    from typer.testing import CliRunner

    from woasr_cli.cli.app import app

    audio, rate = synthesize("The town has about forty thousand people. It is a well-known plan.")
    clip = write_wav(tmp_path / "numbers.wav", audio, rate)
    out = tmp_path / "subs"
    args = ["transcribe", str(clip), "-o", str(out), "--model", str(tiny_en), "-f", "srt"]
    result = CliRunner().invoke(app, [*args, "-f", "json"])
    assert result.exit_code == 0, result.stderr
    text = " ".join(
        c.content.replace("\n", " ") for c in srt.parse((out / "numbers.srt").read_text())
    )
    assert "40,000" in text and "well-known" in text, text
    assert " ,000" not in text and " -known" not in text

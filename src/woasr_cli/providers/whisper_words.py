"""Whisper's words as woasr words: the pieces of one written word put back together.

Whisper (openai-whisper, faster-whisper, transformers) starts a new word at every token that
begins with a space *or is punctuation*, so a number or a hyphenated word comes out in pieces
with no space before the later ones: ``" 40" ",000"``, ``" well" "-known"``, ``" 3" ".5%"``,
``" U" ".S."``. woasr's words carry no separators and are joined with spaces (subtitle cues,
a segment's text after it is split, live text), which wrote "about 40 ,000 people" and "a
well -known plan". So a piece without a leading space belongs to the word before it - in text
written with spaces; where the segment's text has none (Chinese, Japanese), or no piece after
the first has a leading space (an engine that strips them: nothing tells the pieces apart),
the words are kept as they are - but for a piece that starts with a vowel or tone mark (Thai
"ั"), which no word starts with. Where the scripts put no space between two words, the one
Whisper wrote (Thai writes one between phrases; a Latin word amid Chinese) is kept as the
word's ``space``.

Whisper's word timing also shares its words out among a window's segments by counting tokens,
and a segment of punctuation alone (its marks merged into a word of the segment before) takes
the next segment's words: every later segment of the window then held the words of the one
after it (",,,," timed as "อ ข 0000", seen on speech base could not read). What a segment says
is therefore what its words spell where they spell something else (:func:`segment_text`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import replace

from woasr_cli.spacing import phrase_spaced, separator
from woasr_cli.transcript import Word

# (start, end, text as Whisper wrote it - leading space and all, probability)
Piece = tuple[float, float, str, float | None]


def whisper_words(pieces: Iterable[Piece], text: str) -> list[Word]:
    """Words from Whisper's pieces of a segment whose text is ``text``: a piece with no leading
    space is joined to the word before it (its start, this piece's end, the lower
    probability)."""
    given = list(pieces)
    spaced = " " in text.strip() and any(raw[:1].isspace() for _, _, raw, _ in given[1:])
    words: list[Word] = []
    gap = False  # a space before this piece (Whisper writes Thai's as a piece of its own)
    for start, end, raw, probability in given:
        piece = raw.strip()
        gap = gap or raw[:1].isspace()
        if not piece:
            continue
        # What the scripts alone would put before this piece (a segment's first piece: only
        # Thai, Lao, Khmer and Myanmar start a sentence after a space; Whisper's leading space
        # before a segment's first token is no space in Chinese).
        by_script = separator(words[-1].text, piece) if words else ""
        mark = unicodedata.category(piece[0]).startswith("M")  # a vowel or tone mark: "ั"
        if words and not gap and (spaced or mark):
            before = words[-1]
            words[-1] = replace(
                before,
                end=max(before.end, end),
                text=before.text + piece,
                probability=_lower(before.probability, probability),
            )
        else:
            wrote_space = gap and not by_script and (bool(words) or phrase_spaced(piece[0]))
            words.append(Word(start, end, piece, probability, space=wrote_space))
        gap = False
    return words


def _lower(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return a if b is None else b
    return min(a, b)


def segment_text(pieces: Sequence[Piece], text: str) -> str | None:
    """What a segment says: Whisper's ``text``, or the text of its word ``pieces`` where they
    spell something else (Whisper gave the segment another segment's words); None when that is
    punctuation alone (nothing to read: "...", or marks whose words went to a segment next to
    it). Symbols stay ("♪")."""
    said = "".join(raw for _, _, raw, _ in pieces)
    if said.strip() and _letters(said) != _letters(text):
        text = said
    return None if _punctuation(text) else text.strip()


def _letters(text: str) -> str:
    return "".join(text.split())


def _punctuation(text: str) -> bool:
    return all(c.isspace() or unicodedata.category(c).startswith("P") for c in text)

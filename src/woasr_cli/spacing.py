"""Words back into text: a space between two words, none where the script is written without
spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar), and how wide text is on screen.

Engine-neutral words carry no separators (transcript.py). Every place that joins them - subtitle
cues and their line widths, a segment split at a pause, live text - uses this, so a Chinese
subtitle reads "今天天气很好" and not "今天 天气 很 好". Thai, Lao, Khmer and Myanmar write no
space between words but one between phrases and sentences: a word the model wrote a space
before carries ``space`` (Word.space), and gets one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

# Code points of scripts (and their punctuation) written without spaces between words.
_UNSPACED = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3000, 0x30FF),  # CJK punctuation, Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF00, 0xFFEF),  # fullwidth and halfwidth forms (the comma and full stop of CJK text)
    (0x20000, 0x3134F),  # CJK extensions B-G
)


_FIRST_UNSPACED = _UNSPACED[0][0]
# Of those, the scripts that put a space between phrases and sentences.
_PHRASE_SPACED = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF))


class Spelled(Protocol):
    """A word as joining needs it (transcript.Word)."""

    @property
    def text(self) -> str: ...

    @property
    def space(self) -> bool: ...


def unspaced(char: str) -> bool:
    """``char`` belongs to a script written without spaces between words."""
    point = ord(char)
    # Latin, Greek, Cyrillic, Arabic, Hebrew, Devanagari ... all lie below the first range: one
    # comparison for them (cue layout asks this ~500,000 times for an hour of English).
    return point >= _FIRST_UNSPACED and any(low <= point <= high for low, high in _UNSPACED)


def phrase_spaced(char: str) -> bool:
    """``char`` belongs to a script with no spaces between words but one between phrases."""
    point = ord(char)
    return point >= _FIRST_UNSPACED and any(low <= point <= high for low, high in _PHRASE_SPACED)


def separator(before: str, after: str, space: bool = False) -> str:
    """What goes between two words: one space when the model wrote one (``space``, the
    ``after`` word's), else nothing when either side of the join is in a script written
    without spaces, else one space."""
    if not before or not after:
        return ""
    if space or not (unspaced(before[-1]) or unspaced(after[0])):
        return " "
    return ""


@dataclass(frozen=True)
class _Plain:
    text: str
    space: bool = False


def join_words(texts: Iterable[str]) -> str:
    """Words given as text alone, as text (empty ones skipped)."""
    return join(_Plain(text) for text in texts)


def join(words: Iterable[Spelled]) -> str:
    """Words as text, with the spaces their model wrote (empty ones skipped)."""
    out, last = "", ""
    for word in words:
        if word.text:
            out += separator(last, word.text, word.space) + word.text
            last = word.text
    return out


def columns(text: str) -> int:
    """Width on screen in columns: a CJK ideograph, kana or Hangul syllable (East Asian wide or
    fullwidth) takes two, as in a terminal, and a vowel or tone mark written over or under the
    letter before it (Thai "ั", an accent written as a combining mark) none. Subtitle line
    limits are counted in these, so a 42-column line holds 42 Latin characters or 21 Chinese
    ones (Netflix's Chinese guide: 16)."""
    if text.isascii():
        return len(text)
    return sum(_width(c) for c in text)


def _width(char: str) -> int:
    if unicodedata.category(char) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1

"""Words back into text: a space between two words, none where the script is written without
spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar), and how wide text is on screen.

Engine-neutral words carry no separators (transcript.py). Every place that joins them - subtitle
cues and their line widths, a segment split at a pause, live text - uses this, so a Chinese
subtitle reads "今天天气很好" and not "今天 天气 很 好".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

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


def unspaced(char: str) -> bool:
    """``char`` belongs to a script written without spaces between words."""
    point = ord(char)
    # Latin, Greek, Cyrillic, Arabic, Hebrew, Devanagari ... all lie below the first range: one
    # comparison for them (cue layout asks this ~500,000 times for an hour of English).
    return point >= _FIRST_UNSPACED and any(low <= point <= high for low, high in _UNSPACED)


def separator(before: str, after: str) -> str:
    """What goes between two words: nothing when either side of the join is in a script
    written without spaces, else one space."""
    if not before or not after or unspaced(before[-1]) or unspaced(after[0]):
        return ""
    return " "


def join_words(texts: Iterable[str]) -> str:
    """The words as text (empty ones skipped)."""
    out, last = "", ""
    for text in texts:
        if text:
            out += separator(last, text) + text
            last = text
    return out


def columns(text: str) -> int:
    """Width on screen in columns: a CJK ideograph, kana or Hangul syllable (East Asian wide or
    fullwidth) takes two, as in a terminal. Subtitle line limits are counted in these, so a
    42-column line holds 42 Latin characters or 21 Chinese ones (Netflix's Chinese guide: 16)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

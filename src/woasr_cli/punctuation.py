"""The punctuation that ends a sentence or a clause, in Latin and CJK (fullwidth) text: where
subtitle cues, segments and a live buffer are best cut."""

from __future__ import annotations

# full stop, question and exclamation marks, ellipsis; the CJK (fullwidth) full stop, ? and !
SENTENCE_END = tuple(".?!\u2026\u3002\uff1f\uff01")
# comma, semicolon, colon; the CJK enumeration comma, fullwidth , ; :; hyphen, en and em dash
CLAUSE_END = tuple(",;:\u3001\uff0c\uff1b\uff1a-\u2013\u2014")


# Titles and abbreviations whose full stop ends no sentence ("Mr. Quilter").
ABBREVIATIONS = frozenset(
    {"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "sr.", "jr.", "vs.", "etc.", "e.g.", "i.e.",
     "no.", "mt.", "gen.", "col.", "capt.", "lt.", "sgt.", "rev.", "fig.", "approx."}
)  # fmt: skip


def ends_sentence(text: str) -> bool:
    """Whether a word ends a sentence: a full stop, question or exclamation mark, or ellipsis
    after it, unless it is a title or abbreviation ("Mr.", "e.g.")."""
    token = text.strip()
    return token.endswith(SENTENCE_END) and token.lower() not in ABBREVIATIONS

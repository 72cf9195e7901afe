"""Repetition loops in a decoder's words: the same run of words over and over, which Whisper
writes when its decoding falls into a loop (live passes on overlapping talk, a file's chunk that
loops at every fallback temperature)."""

from __future__ import annotations

import re

from woasr_cli.spacing import unspaced
from woasr_cli.transcript import Word

_PUNCT = re.compile(r"[^\w']+")

LOOP_COPIES = 3  # a run of words said this many times in a row, back to back,
LOOP_WORDS = 6  # and this many words long in all, is a decoding loop
LOOP_LONGEST = 12  # words in the repeated run, at most


def norm(text: str) -> str:
    """Compare words without case or punctuation: 'Hello,' in one pass is 'hello' in the next."""
    return _PUNCT.sub("", text.lower())


def text_words(text: str) -> list[str]:
    """A text's words, normalised, for finding loops in text without a word list: split at
    spaces, each character of a script written without them (Chinese, Thai, ...) on its own."""
    out: list[str] = []
    for token in text.split():
        if any(unspaced(c) for c in token):
            out += [c for c in map(norm, token) if c]
        else:
            out.append(norm(token))
    return out


def loop_start(texts: list[str], longest: int = LOOP_LONGEST) -> tuple[int, int] | None:
    """Where the first repetition loop in ``texts`` (normalised words) starts, and the words
    in its repeated run (at most ``longest``); None when there is none."""
    for i in range(len(texts)):
        for n in range(1, min(longest, (len(texts) - i) // LOOP_COPIES) + 1):
            copies = 1
            while texts[i : i + n] == texts[i + copies * n : i + (copies + 1) * n]:
                copies += 1
            if copies >= LOOP_COPIES and copies * n >= LOOP_WORDS:
                return i, n
    return None


def cut_loop(words: list[Word], longest: int = LOOP_LONGEST) -> list[Word]:
    """The words up to the first repetition loop, with one copy of the looping words. Whisper
    with one temperature loops on overlapping talk or after the last word ("Thank you very
    much, and" 13 times over 0.5 s of silence); no speaker says six words or more three times
    back to back, and what the decoder gives after a loop is no better."""
    found = loop_start([norm(w.text) for w in words], longest)
    return words if found is None else words[: found[0] + found[1]]

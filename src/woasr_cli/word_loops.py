"""Repetition loops in a decoder's words: the same run of words over and over, which Whisper
writes when its decoding falls into a loop (live passes on overlapping talk, a file's chunk that
loops at every fallback temperature)."""

from __future__ import annotations

import re
from dataclasses import replace

from woasr_cli.spacing import unspaced
from woasr_cli.transcript import Word

_PUNCT = re.compile(r"[^\w']+")
_TOKEN = re.compile(r"\S+")
_PIECE = re.compile(r"[\w']+")

LOOP_COPIES = 3  # a run of words said this many times in a row, back to back,
LOOP_WORDS = 6  # and this many words long in all, is a decoding loop
LOOP_LONGEST = 12  # words in the repeated run, at most


def norm(text: str) -> str:
    """Compare words without case or punctuation: 'Hello,' in one pass is 'hello' in the next."""
    return _PUNCT.sub("", text.lower())


def text_words(text: str) -> list[str]:
    """A text's words, normalised, for finding loops: split at spaces and at punctuation inside
    a token ("1,1,1" is three), each character of a script written without spaces (Chinese,
    Thai, ...) on its own."""
    return [unit for unit, _ in _units(text)]


def _units(text: str) -> list[tuple[str, int]]:
    """``text_words``, each with where it ends in ``text`` (a character's combining marks, which
    the norm drops, included)."""
    out: list[tuple[str, int]] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if not any(unspaced(c) for c in token):
            # Words joined by punctuation count one by one: Whisper writes a loop of numbers
            # as one token ("1,1,1,1,..." 200 characters) as often as with spaces.
            pieces = list(_PIECE.finditer(token))
            if len(pieces) <= 1:
                out.append((norm(token), match.end()))
            else:
                out += [(norm(piece.group()), match.start() + piece.end()) for piece in pieces]
                out[-1] = (out[-1][0], match.end())
            continue
        for k, char in enumerate(token):
            unit = norm(char)
            if unit:
                out.append((unit, match.start() + k + 1))
            elif out and out[-1][1] == match.start() + k:  # a mark on the character before
                out[-1] = (out[-1][0], match.start() + k + 1)
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
    back to back, and what the decoder gives after a loop is no better.

    A loop is found on ``text_words``' units (characters in a script written without spaces,
    the pieces of a token joined by punctuation), so it may lie inside one of Whisper's words
    ("โวโวโว..." 150 characters, "1,1,1,..." 110 times): that word is cut after the first copy,
    its time shared out by characters."""
    units = [(unit, i, end) for i, w in enumerate(words) for unit, end in _units(w.text)]
    found = loop_start([unit for unit, _, _ in units], longest)
    if found is None:
        return words
    _, last, end = units[found[0] + found[1] - 1]
    word = words[last]
    if not word.text[end:].strip():
        return words[: last + 1]
    shown = len(word.text.strip()) or 1
    kept = len(word.text[:end].strip())
    cut_end = word.start + (word.end - word.start) * kept / shown
    return [*words[:last], replace(word, end=cut_end, text=word.text[:end])]

"""A provider's segments as one list of timed words, in stream time."""

from __future__ import annotations

from collections.abc import Iterable

from woasr_cli.transcript import Segment, Word


def hypothesis_words(segments: Iterable[Segment], offset: float) -> list[Word]:
    """Words of every segment, shifted by ``offset`` seconds. A segment without word times
    (a provider that gives none) is split at spaces, its time shared out by word length: close
    enough for agreement between passes, which compares the words' text."""
    words: list[Word] = []
    for seg in segments:
        if seg.words:
            words += [
                Word(w.start + offset, w.end + offset, w.text.strip(), w.probability)
                for w in seg.words
                if w.text.strip()
            ]
        else:
            words += _spread(seg.text.split(), seg.start + offset, seg.end + offset)
    return words


def _spread(texts: list[str], start: float, end: float) -> list[Word]:
    total = sum(len(t) for t in texts) or 1
    out: list[Word] = []
    at = start
    for text in texts:
        step = (end - start) * len(text) / total
        out.append(Word(at, at + step, text))
        at += step
    return out

"""A provider's segments as one list of timed words, in stream time."""

from __future__ import annotations

from collections.abc import Iterable

from woasr_cli.transcript import Segment, Word


def hypothesis_words(
    segments: Iterable[Segment], offset: float, speech_end: float | None = None
) -> list[Word]:
    """Words of every segment, shifted by ``offset`` seconds. A segment without word times
    (a provider that gives none) is split at spaces, its time shared out by word length: close
    enough for agreement between passes, which compares the words' text. Shared out over its
    speech only, up to ``speech_end`` (stream time of the last speech frame) where given: such
    a segment spans the whole buffer, silence after the speech too (whisperX), and its last
    words, spread into that silence, were taken for words invented there and dropped (jfk's
    "for you." and "country." lost from whisperX's live text)."""
    words: list[Word] = []
    for seg in segments:
        if seg.words:
            words += [
                Word(w.start + offset, w.end + offset, w.text.strip(), w.probability, space=w.space)
                for w in seg.words
                if w.text.strip()
            ]
        else:
            start, end = seg.start + offset, seg.end + offset
            if speech_end is not None:
                end = max(start, min(end, speech_end))
            words += _spread(seg.text.split(), start, end)
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


_GUESS_PROBABILITY = 0.1  # a word this improbable starts a guessed tail
_TIMELESS = 0.1  # if the words after it are shorter than this (seconds): no audio under them,
_SQUEEZE = 0.3  # or start this soon after it
_NEAR_END = 1.0  # seconds before the end of speech where a guessed tail may start


def cut_guessed_tail(words: list[Word], speech_end: float) -> list[Word]:
    """The hypothesis without a tail of guessed words: an improbable word and, after it to the
    end, only words with no time under them (shorter than ``_TIMELESS``, or squeezed into
    ``_SQUEEZE`` s after it). Whisper ends a buffer so when it has run out of speech: "Tuesday.
    Thank you very much." with "Thank" at probability 0.04 and all four words within 0.06 s;
    "report. Thank" (0.01, 0.28 s) and then "you very much, and thank you ..." all 0 s long. A
    pass whose words are committed as they stand (at a pause, at the end) would commit them.
    An improbable last word that lasts is kept: a word heard badly, not a guess. So is a tail
    that starts more than ``_NEAR_END`` s before ``speech_end`` (the last speech frame): amid
    speech (pyannote_sample's overlapping talk) timeless words are real words badly timed, and
    the pass at a long pause, whose audio is dropped after it, would lose them for good."""
    for i, word in enumerate(words):
        if word.probability is None or word.probability >= _GUESS_PROBABILITY:
            continue
        if word.start < speech_end - _NEAR_END:
            continue
        after = words[i + 1 :]
        short = word.end - word.start < _TIMELESS
        if (short or after) and all(
            w.end - w.start < _TIMELESS or w.start - word.start <= _SQUEEZE for w in after
        ):
            return words[:i]
    return words

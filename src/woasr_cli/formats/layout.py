"""The default subtitle layout: cues shaped as subtitle guidelines ask (Netflix's, roughly).

Per speaker turn (across segments: where a model ends one is no reason to end a cue), the
words are cut into cues by a small dynamic programme:

- hard limits: at most ``max_line_count`` lines of at most ``max_line_width`` columns (and
  ``max_words_per_line`` words) a cue, at most ``max_cue_duration`` seconds a cue, and never a
  cue across a pause of ``PAUSE_S`` or more (a lone word longer than a limit gets a cue of its own);
- preferences: few cues, cuts at sentence ends, then at pauses and clause punctuation, not more
  than ``max_chars_per_second`` of reading where the speech leaves time, no cue of one word cut
  from its phrase, no cue ending on a sentence's first words.

Widths and reading speed are counted in screen columns (spacing.columns): a Chinese, Japanese or
Korean character takes two, so a line holds 42 Latin characters or 21 of those.

Lines inside a cue are balanced and never leave one word alone on a line. Cue times are the
times of their words: model word times when the segment has them, else the segment's time
shared out by characters (never past the segment). A cue may stay up into the silence after it
(up to ``LINGER_S``) to reach a readable duration, never into the next speech.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from woasr_cli.punctuation import CLAUSE_END, ends_sentence
from woasr_cli.spacing import columns, join, separator
from woasr_cli.transcript import Word

MAX_LINE_WIDTH = 42
MAX_LINE_COUNT = 2
MAX_CUE_DURATION_S = 7.0
MAX_CHARS_PER_SECOND = 20.0
# No cue spans a silence this long between two words' times. Model word times reach into the
# silence around them (an end late, the next start early: 0.1-0.25 s each), so a 1.5 s pause in
# the audio can show as 1.2 s between words; cutting there keeps cues off real 1.5 s pauses
# (the 60-minute recording had one cue over a 1.6 s pause whose words were 1.21 s apart).
PAUSE_S = 1.2
SOFT_PAUSE_S = 0.5  # a good place to cut
MIN_CUE_S = 5 / 6  # Netflix's minimum duration (20 frames)
LINGER_S = 1.0  # how long a cue may stay up after its last word to be readable


@dataclass(frozen=True)
class Limits:
    width: int = MAX_LINE_WIDTH
    lines: int = MAX_LINE_COUNT
    words_per_line: int | None = None
    duration: float = MAX_CUE_DURATION_S
    chars_per_second: float = MAX_CHARS_PER_SECOND
    # columns a writer puts before a cue's first line (SRT's "[Alice]: "): that line holds less
    indent: int = 0

    def first_width(self) -> int:
        return max(self.width - self.indent, 1)


@dataclass
class LaidCue:
    """A cue as lines of words; ``end`` already includes any reading-time linger."""

    start: float
    end: float
    lines: list[list[Word]]


def _size(words: list[Word]) -> int:
    return columns(join(words))


def _gap(before: Word, after: Word) -> int:
    return len(separator(before.text, after.text, after.space))


class _Sizes:
    """Columns of ``words[i:j]`` joined as text (spacing.py), in constant time."""

    def __init__(self, words: list[Word]) -> None:
        self.prefix = [0]
        self.gaps = [0, 0]  # gaps[k]: separators among words[0:k]
        for k, word in enumerate(words):
            self.prefix.append(self.prefix[-1] + columns(word.text))
            if k:
                self.gaps.append(self.gaps[-1] + _gap(words[k - 1], word))

    def __call__(self, i: int, j: int) -> int:
        if j <= i:
            return 0
        return self.prefix[j] - self.prefix[i] + self.gaps[j] - self.gaps[i + 1]


def _line_count(words: list[Word], limits: Limits) -> int:
    """Lines a greedy wrap needs (the fewest possible)."""
    count, length, in_line = 1, 0, 0
    for k, word in enumerate(words):
        size = columns(word.text)
        gap = _gap(words[k - 1], word) if in_line else 0
        per_line = limits.words_per_line
        width = limits.first_width() if count == 1 else limits.width
        if in_line and (length + gap + size > width or (per_line and in_line >= per_line)):
            count, length, in_line, gap = count + 1, 0, 0, 0
        length += size + gap
        in_line += 1
    return count


def wrap(
    words: list[Word], limits: Limits, stops: frozenset[int] | None = None
) -> list[list[Word]]:
    """The fewest lines that fit, balanced, preferring to break where a sentence ends
    (``stops``, as :func:`sentence_stops` gives them) or after other punctuation, and never
    leaving a single word on a line when the cue has more words than lines."""
    stops = sentence_stops(words) if stops is None else stops
    needed = _line_count(words, limits)
    if needed == 1 or len(words) <= 1:
        return [words]
    n, size = len(words), _Sizes(words)
    most = limits.words_per_line or n
    # best[k][i]: cost of words[i:] in k lines
    inf = float("inf")
    best = [[inf] * (n + 1) for _ in range(needed + 1)]
    cut = [[n] * (n + 1) for _ in range(needed + 1)]
    best[0][n] = 0.0
    for k in range(1, needed + 1):
        for i in range(n - 1, -1, -1):
            width = limits.first_width() if i == 0 else limits.width  # only the first starts at 0
            for j in range(i + 1, min(n, i + most) + 1):
                length = size(i, j)
                if length > width and j > i + 1:
                    break
                rest = best[k - 1][j]
                if rest == inf:
                    continue
                slack = (width - length) / width
                cost = slack * slack
                if j - i == 1 and n > needed:
                    cost += 4.0  # an orphan word alone on a line
                if j < n:
                    if j in stops:
                        cost -= 0.3
                    elif words[j - 1].text.endswith(CLAUSE_END):
                        cost -= 0.15
                if cost + rest < best[k][i]:
                    best[k][i], cut[k][i] = cost + rest, j
    if best[needed][0] == inf:
        return [words]
    lines, i = [], 0
    for k in range(needed, 0, -1):
        j = cut[k][i]
        lines.append(words[i:j])
        i = j
    return lines


def _orphaned(lines: list[list[Word]]) -> bool:
    return any(len(line) == 1 for line in lines)


def _orphaned_wrap(
    cue: list[Word], i: int, j: int, needed: int, limits: Limits, size: _Sizes
) -> bool:
    """Whether the wrap of ``cue`` (``words[i:j]``) leaves a word alone on a line; for two
    lines (the usual case) without wrapping: is there a split with two words or more a side?"""
    if needed != 2:
        return _orphaned(wrap(cue, limits))
    most = limits.words_per_line or len(cue)
    for s in range(i + 2, j - 1):
        fits = size(i, s) <= limits.first_width() and size(s, j) <= limits.width
        if s - i <= most and j - s <= most and fits:
            return False
    return True


def _phrases(words: list[Word]) -> Iterator[tuple[int, int]]:
    """``(i, j)``: runs ``words[i:j]`` with no pause of PAUSE_S or more inside."""
    start = 0
    for k in range(1, len(words) + 1):
        if k == len(words) or words[k].start - words[k - 1].end >= PAUSE_S:
            yield start, k
            start = k


def sentence_stops(words: list[Word], ends: frozenset[int] = frozenset()) -> frozenset[int]:
    """Cuts (before ``words[j]``) where a sentence ends: after a full stop, question or
    exclamation mark (not after "Mr." and other abbreviations), and at a segment end in
    ``ends`` without punctuation before a word that starts with a capital letter. Whisper
    often ends a sentence with its segment and leaves out the full stop ("I'm originally from
    Chicago" | "Also, I'm in New Jersey now"); laid out as one phrase, the capital then stood
    mid-line, and the cue ran on past the sentence. (Pass no ``ends`` where capitals start
    nouns too, as in German.)"""
    stops = {j for j in range(1, len(words) + 1) if ends_sentence(words[j - 1].text)}
    stops |= {
        j
        for j in ends
        if 0 < j < len(words)
        and not words[j - 1].text.endswith(CLAUSE_END)
        and _starts_sentence(words[j].text)
    }
    return frozenset(stops)


def _starts_sentence(text: str) -> bool:
    """A capital letter that is not the English "I" ("I", "I'm", "I'll", ...)."""
    word = text.lstrip("\"'([{\u00bf\u00a1\u201c\u2018")
    if not word[:1].isupper():
        return False
    return word.replace("\u2019", "'").split("'")[0].rstrip(",.;:?!") != "I"


def _break_cost(words: list[Word], j: int, ends: frozenset[int], stops: frozenset[int]) -> float:
    """What cutting after ``words[j - 1]`` costs: free at a sentence end, cheap at a pause or a
    clause end, dear in the middle of a phrase (less so where the model ended a segment)."""
    if j >= len(words) or j in stops:
        return 0.0
    last = words[j - 1].text
    gap = words[j].start - words[j - 1].end
    cost = 1.5 if j in ends else 2.5
    if last.endswith(CLAUSE_END):
        cost = 1.0
    if gap >= SOFT_PAUSE_S:
        cost = min(cost, 0.5)
    elif gap >= 0.2:
        cost = min(cost, 1.5)
    return cost


def _cue_cost(
    words: list[Word],
    i: int,
    j: int,
    limits: Limits,
    size: _Sizes,
    ends: frozenset[int],
    stops: frozenset[int],
) -> float:
    single = j - i == 1
    chars = size(i, j)
    if not single:
        cue = words[i:j]
        needed = _line_count(cue, limits)
        if needed > limits.lines or words[j - 1].end - words[i].start > limits.duration:
            return float("inf")
        if needed > 1 and len(cue) > needed and _orphaned_wrap(cue, i, j, needed, limits, size):
            return float("inf")
    cost = 1.0 + _break_cost(words, j, ends, stops)
    if single and len(words) > 1:
        cost += 3.0  # a word cut off from its phrase
    # a sentence's first words dangling at the end of a cue; a sentence sharing a cue with the
    # next one when what comes before it could stand alone (a brief "Hello." said just before
    # the next sentence could not: it is on screen only until that one starts)
    ends_sentence = j in stops
    for k in range(i, j - 1):
        if k + 1 in stops:
            cost += 1.5 if not ends_sentence and size(k + 1, j) < 20 else 0.3
            if words[k + 1].start - words[i].start >= MIN_CUE_S:
                cost += 1.5
    # short cues flash by: prefer cues that use their room
    fill = min(1.0, chars / (limits.width * limits.lines))
    cost += 0.8 * (1.0 - fill) ** 2
    seconds = max(words[j - 1].end - words[i].start + LINGER_S, MIN_CUE_S)
    excess = chars / seconds / limits.chars_per_second - 1.0
    if excess > 0:
        cost += 2.0 * excess
    return cost


def _cut(
    words: list[Word], limits: Limits, ends: frozenset[int], capitals: bool
) -> tuple[tuple[int, int], ...]:
    """The cheapest cut of one phrase into cues (dynamic programme over cut points), as
    ``(i, j)``: a cue of ``words[i:j]``.

    The cut depends only on the words' times, texts and spacing, so it is remembered: a live
    stream re-renders its files after each commit, and only its last phrase is new. (Without
    this, rewriting the files took 0.26 s after 10 minutes of talk and 1.6 s after an hour;
    0.04 and 0.24 s with it. An hour of talk is ~1200 phrases: the cache holds ~6 hours, ~10 MB.)"""
    key = tuple((w.start, w.end, w.text, w.space) for w in words)
    return _cut_bounds(key, limits, ends, capitals)


@lru_cache(maxsize=8192)
def _cut_bounds(
    key: tuple[tuple[float, float, str, bool], ...],
    limits: Limits,
    ends: frozenset[int],
    capitals: bool,
) -> tuple[tuple[int, int], ...]:
    words = [Word(start, end, text, space=space) for start, end, text, space in key]
    n, size = len(words), _Sizes(words)
    stops = sentence_stops(words, ends if capitals else frozenset())
    inf = float("inf")
    best = [inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            if j - i > 1 and size(i, j) > limits.width * limits.lines - limits.indent:
                break
            if best[i] == inf:
                continue
            cost = best[i] + _cue_cost(words, i, j, limits, size, ends, stops)
            if cost < best[j]:
                best[j], back[j] = cost, i
    bounds: list[tuple[int, int]] = []
    j = n
    while j > 0:
        bounds.append((back[j], j))
        j = back[j]
    return tuple(bounds[::-1])


def lay_out(
    words: list[Word],
    limits: Limits,
    until: float,
    ends: frozenset[int] = frozenset(),
    capitals: bool = True,
) -> list[LaidCue]:
    """Cues for one speaker turn's words (clean, in time order). ``until``: no cue of these
    words may end later (the segment's end when the times were shared out, else the end of
    the next silence's reach). ``ends``: where segments end (a cut before ``words[j]``), a
    better place to cut than the middle of one. ``capitals``: whether a capital letter after a
    segment end starts a sentence (not in German, whose nouns have them)."""
    cues: list[LaidCue] = []
    for i, j in _phrases(words):
        phrase = words[i:j]
        inside = frozenset(e - i for e in ends if i < e < j)
        stops = sentence_stops(phrase, inside if capitals else frozenset())
        for a, b in _cut(phrase, limits, inside, capitals):
            lines = wrap(phrase[a:b], limits, frozenset(s - a for s in stops if a < s <= b))
            cues.append(LaidCue(phrase[a].start, phrase[b - 1].end, lines))
    for k, cue in enumerate(cues):
        # stay up long enough to read, into silence only
        limit = cues[k + 1].start if k + 1 < len(cues) else until
        chars = sum(_size(line) for line in cue.lines)
        wanted = cue.start + max(MIN_CUE_S, chars / limits.chars_per_second)
        reach = min(limit, cue.end + LINGER_S, cue.start + limits.duration)
        if wanted > cue.end:
            cue.end = max(cue.end, min(wanted, reach))
    return cues

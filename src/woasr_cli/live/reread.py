"""Where a pass without word times reads past the committed words: an edit-distance alignment.

A provider without word times (whisperX) gives a segment's text; its words' times are the
segment's shared out by length, a second or more off. So a pass is matched to the committed words
by text: the committed words its audio covers (``said``) are aligned with its words (``heard``),
and what follows the heard words the alignment spends on them is new. Each step of the alignment
has a cost: a committed word the pass did not read, or a word it read that was not committed,
costs 1; reading one committed word as one or two heard ones, or two as one ("my" for "am I",
"ask" for "asked"), costs by how unlike their letters are, less a gain for the words read alike
(-1 for a word read the same). The cheapest alignment wins (where costs tie, the one that ends
nearer the committed end by the shared-out times, then the one that spends fewer heard words: a
heard word wrongly taken for committed is lost for good, one wrongly taken for new is said twice).

The greedy match it replaces took the last common word as the end of the reading: "give it to
the" committed, a pass hearing "give it to a man and the dog" had its later "the" matched to the
committed one, and only "dog" was new ("a man and" lost). The alignment leaves the committed "the"
unread there (+1) rather than skip "a man and" (+3) to read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher
from functools import lru_cache

_STEPS = ((1, 1), (1, 2), (2, 1))  # committed words, heard words one step reads as each other
_BAND = 12  # heard words the alignment may run ahead of the committed ones it has read


def read_past(
    said: Sequence[str], heard: Sequence[str], before: int = 0, place: Sequence[float] = ()
) -> int | None:
    """How many of ``heard`` (a pass's normalised words) read ``said`` (the normalised
    committed words its audio covers); None if no alignment keeps within ``_BAND``. The first
    ``before`` of ``said`` lie before the pass's audio by their (shared-out) times: the pass may
    leave them out at no cost. ``place[j]``, where given, is added to what ending the reading
    after ``j`` heard words costs: the pass's words there lie that far from the committed end."""
    place = list(place) or [0.0] * (len(heard) + 1)
    for skip in (before, 0):  # a head read as committed, from the pass's audio on or before:
        same = _same_head(said[skip:], heard)  # no alignment of it costs less than word for word
        if same:
            rest = max(0, before - skip - same)
            after = read_past(said[skip + same :], heard[same:], rest, place[same:])
            return None if after is None else same + after
    n, m = len(said), len(heard)
    inf = float("inf")
    said_in = [" ".join(said[i - a : i]) if i >= a else "" for i in range(n + 1) for a in (1, 2)]
    heard_in = [" ".join(heard[j - b : j]) if j >= b else "" for j in range(m + 1) for b in (1, 2)]
    # cost[i][j]: the cheapest alignment of said[:i] with heard[:j], j <= i + _BAND
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        row, up = cost[i], cost[i - 1] if i else []
        for j in range(min(m, i + _BAND) + 1):
            best = 0.0 if i == j == 0 else inf
            if i:  # said[i - 1] not read by the pass
                best = up[j] + (0.0 if i <= before and j == 0 else 1.0)
            if j and row[j - 1] + 1.0 < best:  # heard[j - 1] not committed
                best = row[j - 1] + 1.0
            for a, b in _STEPS:
                if i >= a and j >= b:
                    step = cost[i - a][j - b]
                    if step < inf:
                        step += _unlike(said_in[2 * i + a - 1], heard_in[2 * j + b - 1])
                        best = min(best, step)
            row[j] = best
    total = [c + p for c, p in zip(cost[n], place, strict=True)]
    best_j = min(range(m + 1), key=lambda j: (total[j], j))
    return None if total[best_j] == inf else best_j


def _same_head(said: Sequence[str], heard: Sequence[str]) -> int:
    same = 0
    while same < min(len(said), len(heard)) and said[same] == heard[same]:
        same += 1
    return same


@lru_cache(maxsize=4096)
def _unlike(said: str, heard: str) -> float:
    """What reading the words ``said`` as ``heard`` (each one or more, joined by spaces) costs:
    their number times how unlike their letters are (difflib's ratio: 1 the same, 0 nothing
    alike), never less than the words one side has more of, each as dear as a word read past
    ("more" read as "more you" is no cheaper than "you" heard anew); less the words read, as
    much as their letters are alike (a long run of words read the same outweighs the words
    the pass reads between them that were never committed)."""
    a, b = said.count(" ") + 1, heard.count(" ") + 1
    ratio = SequenceMatcher(None, said.replace(" ", ""), heard.replace(" ", ""), False).ratio()
    return max((a + b) * (1.0 - ratio), abs(a - b)) - min(a, b) * ratio

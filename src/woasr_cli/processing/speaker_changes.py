"""Speaker changes placed at word resolution, from short-window speaker embeddings.

The diarizer places a change of speaker to within a few tenths of a second (its windows are
0.75 s long, every 0.1 s, and turns shorter than 0.3 s join a neighbour), so a word at a change
often takes the wrong side, and a one-word reply ("Yes.") inside another speaker's turn takes
that speaker. Once the words are known, both can be decided again where it matters, with the
speaker encoder the diarizer already loaded and the speakers' centroids it found:

1. **Short runs.** A run of words under ``short_run`` seconds that stands apart (a pause before
   and after it), or that the turns gave a speaker of its own, is embedded on its own speech;
   it takes the speaker whose centroid it is most like when that beats the speaker it has by
   ``margin`` (cosine). This gives back-channel replies their speaker, and takes a fragment
   the diarizer split off back into its neighbours when it sounds like them.
2. **Changes.** Each change between two words may move to another gap between words at most
   ``reach`` seconds away. Each candidate gap is scored by embedding the speech just before and
   just after it (up to ``side`` seconds each, inside the two runs) against the two speakers'
   centroids; the change moves when a gap scores ``margin`` better than where it is.

Only the words' speakers change; the diarizer's turns (RTTM, ``speaker_turns``) stay as they
were. A short run is embedded from at least ``least`` seconds of audio centred on it (CAM++
needs about half a second to say anything: 0.4 s lost changes that 0.6-0.8 s placed). Each
stretch goes through the encoder on its own, so that what is decided for one word does not
depend on which other stretches were asked about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

FRAME = 0.01  # the encoders' feature step, seconds


class Timed(Protocol):
    start: float
    end: float


@dataclass(frozen=True)
class ChangeSettings:
    short_run: float = 1.0  # seconds: runs shorter than this are checked on their own
    apart: float = 0.15  # seconds of pause either side that make a run stand apart
    margin: float = 0.1  # cosine by which another speaker must be nearer to take words
    reach: float = 0.4  # seconds a change may move
    side: float = 1.0  # seconds of words embedded either side of a candidate gap
    least: float = 0.6  # seconds: the shortest audio an embedding is taken from


@dataclass
class Voices:
    """What the diarizer knew of the voices: its encoder, the encoder's features of the whole
    recording (frame ``i`` at 10 ms x ``i``) and each speaker's unit-length centroid, by label."""

    encoder: Any  # speaker_encoders.SpeakerEncoder
    features: Any
    centroids: dict[str, npt.NDArray[np.float64]]


def refine(
    words: Sequence[Timed],
    labels: Sequence[str | None],
    voices: Voices,
    settings: ChangeSettings | None = None,
) -> list[str | None]:
    """The words' speakers (``labels``, from the turns), decided again at word resolution."""
    s = settings or ChangeSettings()
    out = list(labels)
    if len(voices.centroids) < 2 or len(words) < 2:
        return out
    embedder = _Embedder(voices)
    out = _short_runs(words, out, embedder, s)
    return _move_changes(words, out, embedder, s)


class _Embedder:
    """Similarity to each centroid of stretches of the recording, each embedded on its own.

    A stretch's embedding depends on its own audio only. Embedded together (one encoder pass
    over the union of the stretches, as the diarizer embeds its windows), a stretch would take
    its neighbours in the pass as context: the speech of other, distant stretches, so moving
    one word's time at 6 s changed the speaker decided for a word at 10 s."""

    def __init__(self, voices: Voices) -> None:
        self.voices = voices
        self.names = sorted(voices.centroids)
        self.centres = np.stack([voices.centroids[n] for n in self.names])
        self.seconds = 0.0  # audio embedded, for the record

    def similarities(self, stretches: list[tuple[float, float]]) -> list[dict[str, float]]:
        """Cosine similarity to each centroid of each ``(start, end)`` stretch (seconds); an
        empty dict for a stretch with no frames to embed."""
        n = len(self.voices.features)
        spans = [
            np.arange(max(0, round(a / FRAME)), min(n, round(b / FRAME)), dtype=np.int64)
            for a, b in stretches
        ]
        keep = [i for i, span in enumerate(spans) if len(span) >= 4]
        out: list[dict[str, float]] = [{} for _ in stretches]
        if not keep:
            return out
        self.seconds += len(np.unique(np.concatenate([spans[i] for i in keep]))) * FRAME
        encoder, features = self.voices.encoder, self.voices.features
        emb = np.concatenate([encoder.embed(features, [spans[i]]) for i in keep]).astype(np.float64)
        emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-9)
        for i, sims in zip(keep, (emb @ self.centres.T).tolist(), strict=True):
            out[i] = dict(zip(self.names, sims, strict=True))
        return out


def _widened(a: float, b: float, least: float) -> tuple[float, float]:
    """``[a, b]``, widened about its middle to ``least`` seconds when shorter."""
    if b - a >= least:
        return a, b
    mid = (a + b) / 2
    return max(0.0, mid - least / 2), mid + least / 2


def _runs(labels: Sequence[str | None]) -> list[tuple[int, int]]:
    """[i, j) index ranges of consecutive words with one label."""
    out: list[tuple[int, int]] = []
    for i, lab in enumerate(labels):
        if out and labels[out[-1][0]] == lab:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


def _groups(words: Sequence[Timed], apart: float) -> list[tuple[int, int]]:
    """[i, j) ranges of words with no pause of ``apart`` seconds inside."""
    out: list[tuple[int, int]] = []
    for i, w in enumerate(words):
        if out and w.start - words[i - 1].end < apart:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


def _short_runs(
    words: Sequence[Timed], labels: list[str | None], embedder: _Embedder, s: ChangeSettings
) -> list[str | None]:
    """Short runs of words standing apart, or given a speaker of their own, each take the
    speaker whose centroid they are clearly most like (see the module docstring)."""
    candidates = sorted(
        (i, j)
        for i, j in set(_groups(words, s.apart)) | set(_runs(labels))
        if words[j - 1].end - words[i].start < s.short_run
        and all(lab in embedder.voices.centroids for lab in labels[i:j])
    )
    stretches = [_widened(words[i].start, words[j - 1].end, s.least) for i, j in candidates]
    out = list(labels)
    for (i, j), sims in zip(candidates, embedder.similarities(stretches), strict=True):
        if not sims:
            continue
        best = max(sims, key=lambda k: sims[k])
        have = {lab for lab in labels[i:j] if lab is not None}
        if all(sims[best] - sims[lab] >= s.margin for lab in have if lab != best):
            out[i:j] = [best] * (j - i)
    return out


def _move_changes(
    words: Sequence[Timed], labels: list[str | None], embedder: _Embedder, s: ChangeSettings
) -> list[str | None]:
    """Each change of speaker moved to the gap between words, at most ``reach`` seconds away,
    whose two sides sound most like the two speakers (see the module docstring)."""
    runs = _runs(labels)
    known = embedder.voices.centroids
    asks: list[tuple[int, int, list[int]]] = []  # (run, current gap, candidate gaps)
    stretches: list[tuple[float, float]] = []
    for r in range(len(runs) - 1):
        (a0, a1), (_, b1) = runs[r], runs[r + 1]
        if labels[a0] not in known or labels[a1] not in known:
            continue
        at = _gap(words, a1)
        cands = [k for k in range(a0 + 1, b1) if abs(_gap(words, k) - at) <= s.reach]
        if len(cands) < 2:
            continue
        lo, hi = words[a0].start, words[b1 - 1].end
        for k in cands:
            g = _gap(words, k)
            stretches += [(max(lo, g - s.side), g), (g, min(hi, g + s.side))]
        asks.append((r, a1, cands))
    sims = embedder.similarities(stretches)
    out = list(labels)
    ask = 0  # the next stretch's index in ``sims``
    moved_to = 0  # words before this index already belong to a decided change
    for r, current, cands in asks:
        (a0, _), (_, b1) = runs[r], runs[r + 1]
        first, second = labels[a0], labels[current]
        assert first is not None and second is not None
        scores: dict[int, float] = {}
        for k in cands:
            left, right = sims[ask], sims[ask + 1]
            ask += 2
            if left and right and k > moved_to:
                scores[k] = left[first] - left[second] + right[second] - right[first]
        if current not in scores:
            continue
        best = max(scores, key=lambda k: scores[k])
        if best != current and scores[best] - scores[current] >= s.margin:
            lo, hi = min(best, current), max(best, current)
            out[lo:hi] = [first if best > current else second] * (hi - lo)
            moved_to = best
    return out


def _gap(words: Sequence[Timed], k: int) -> float:
    """The middle of the gap before word ``k``."""
    return (words[k - 1].end + words[k].start) / 2

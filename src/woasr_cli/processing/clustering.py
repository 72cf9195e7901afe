"""Speaker clustering with the count estimated: auto-tuned spectral clustering (NME-SC).

Park et al., "Auto-Tuning Spectral Clustering for Speaker Diarization Using Normalized Maximum
Eigengap" (2019). The affinity between speaker embeddings is pruned to each row's ``p`` nearest
neighbours; the graph Laplacian of a good pruning has ``k`` near-zero eigenvalues and then a
jump, where ``k`` is the speaker count. ``p`` is chosen to minimise ``p / gap`` (a sparse graph
that still separates clearly), so there is no similarity threshold to tune per recording.
Only numpy and scipy are needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Clustering:
    labels: Labels  # one cluster index per embedding, 0..count-1
    count: int
    gap: float  # normalised eigengap behind the count (0 when the count was given)


def cosine_affinity(embeddings: npt.NDArray[np.floating]) -> Matrix:
    """Cosine similarity of mean-centred embeddings, mapped to [0, 1].

    Centring removes what all windows share (channel, recording), which sharpens the contrast
    between speakers for encoders whose outputs all live in one orthant (Resemblyzer's ReLU).
    """
    x = np.asarray(embeddings, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    out: Matrix = (x @ x.T + 1.0) / 2.0
    return out


def _pruned_laplacian(affinity: Matrix, p: int) -> Matrix:
    n = affinity.shape[0]
    keep = np.argsort(-affinity, axis=1)[:, :p]
    binary = np.zeros_like(affinity)
    binary[np.arange(n)[:, None], keep] = 1.0
    sym = (binary + binary.T) / 2.0
    np.fill_diagonal(sym, 0.0)
    return np.diag(sym.sum(axis=1)) - sym


def _eigengap(eigvals: npt.NDArray[np.float64], lo: int, hi: int) -> tuple[int, float]:
    """Count in [lo, hi] with the largest normalised gap after its ``count``-th eigenvalue."""
    gaps = np.diff(eigvals[: hi + 1]) / max(float(eigvals[-1]), 1e-9)
    best = lo - 1 + int(np.argmax(gaps[lo - 1 : hi]))
    return best + 1, float(gaps[best])


def spectral_cluster(
    affinity: Matrix,
    *,
    num_clusters: int | None = None,
    min_clusters: int = 1,
    max_clusters: int = 8,
    seed: int = 0,
) -> Clustering:
    """Cluster by pruned-affinity spectral clustering, estimating the count unless given."""
    n = affinity.shape[0]
    if n == 0:
        return Clustering(np.zeros(0, dtype=np.int64), 0, 0.0)
    hi = max(1, min(max_clusters, n - 1))
    lo = max(1, min(min_clusters, hi))
    if num_clusters is not None:
        lo = hi = max(1, min(num_clusters, n))
    if n < 3 or hi == 1:
        return Clustering(np.zeros(n, dtype=np.int64), 1, 0.0)

    best: tuple[float, int, int, float] | None = None  # (ratio, p, count, gap)
    for p in _candidates(max(2, n // 10), max(3, n // 2 + 1)):
        eigvals = np.linalg.eigvalsh(_pruned_laplacian(affinity, p)).astype(np.float64)
        count, gap = _eigengap(eigvals, lo, min(hi, n - 1))
        ratio = p / max(gap, 1e-9)
        if best is None or ratio < best[0]:
            best = (ratio, p, count, gap)
    assert best is not None
    _, p, count, gap = best
    if num_clusters is not None:
        count, gap = lo, 0.0
    if count == 1:
        return Clustering(np.zeros(n, dtype=np.int64), 1, gap)
    _, vectors = np.linalg.eigh(_pruned_laplacian(affinity, p))
    labels = _kmeans(vectors[:, :count], count, seed)
    return Clustering(labels, int(labels.max()) + 1, gap)


def _candidates(lo: int, hi: int, most: int = 40) -> list[int]:
    """The pruning sizes tried, ``lo`` to ``hi - 1``: all of them, or ``most`` spread evenly.

    Each costs an eigendecomposition of the n x n Laplacian; trying every size made clustering
    O(n^4) (a 15-minute recording, 3600 windows, took longer than the recording).
    """
    if hi - lo <= most:
        return list(range(lo, hi))
    return sorted({round(v) for v in np.linspace(lo, hi - 1, most)})


def merge_small(
    affinity: Matrix, labels: Labels, *, min_size: int, min_clusters: int = 1
) -> Labels:
    """Fold clusters with fewer than ``min_size`` members into their most similar cluster.

    A "speaker" seen in only a few windows is far more often an outlier of a real speaker
    (laughter, a cough, a channel change) than a person, and too little speech to identify.
    """
    labels = labels.copy()
    while True:
        ids, sizes = np.unique(labels, return_counts=True)
        if len(ids) <= max(1, min_clusters) or sizes.min() >= min_size:
            break
        small = ids[int(np.argmin(sizes))]
        members = labels == small
        others = [i for i in ids if i != small]
        target = max(others, key=lambda i: float(affinity[np.ix_(members, labels == i)].mean()))
        labels[members] = target
    return np.unique(labels, return_inverse=True)[1].astype(np.int64)


def _kmeans(points: Matrix, k: int, seed: int, restarts: int = 10) -> Labels:
    """Plain k-means with k-means++ seeding, best of several restarts (deterministic)."""
    from scipy.cluster.vq import kmeans2

    best_labels: Labels | None = None
    best_cost = np.inf
    for r in range(restarts):
        centroids, labels = kmeans2(points, k, minit="++", seed=seed + r)
        cost = float(((points - centroids[labels]) ** 2).sum())
        if len(np.unique(labels)) == k and cost < best_cost:
            best_cost, best_labels = cost, labels.astype(np.int64)
    if best_labels is None:  # every restart lost a cluster: fall back to the last one, relabelled
        best_labels = np.unique(labels, return_inverse=True)[1].astype(np.int64)
    return best_labels

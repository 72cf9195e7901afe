"""Spectral clustering with the count estimated, on embeddings with a known structure."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest

from woasr_cli.processing.clustering import cosine_affinity, merge_small, spectral_cluster


def _speakers(sizes: list[int], spread: float = 0.35, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), 64))
    return np.concatenate(
        [c + spread * rng.normal(size=(n, 64)) for c, n in zip(centres, sizes, strict=True)]
    )


def _agree(labels: np.ndarray, sizes: list[int]) -> bool:
    """Each true group got one label of its own (up to renaming)."""
    bounds = np.cumsum([0, *sizes])
    groups = [set(labels[a:b].tolist()) for a, b in itertools.pairwise(bounds)]
    return all(len(g) == 1 for g in groups) and len(set().union(*groups)) == len(sizes)


def test_count_estimated() -> None:
    for sizes in ([30, 20], [25, 25, 15], [20, 15, 15, 10]):
        result = spectral_cluster(cosine_affinity(_speakers(sizes)))
        assert result.count == len(sizes)
        assert _agree(result.labels, sizes)


def test_count_given_and_bounded() -> None:
    emb = _speakers([25, 25, 15])
    assert spectral_cluster(cosine_affinity(emb), num_clusters=2).count == 2
    assert spectral_cluster(cosine_affinity(emb), max_clusters=2).count == 2
    assert spectral_cluster(cosine_affinity(emb), min_clusters=4).count == 4


def test_tiny_inputs() -> None:
    assert spectral_cluster(np.zeros((0, 0))).count == 0
    assert spectral_cluster(cosine_affinity(_speakers([2]))).count == 1


def test_merge_small_folds_outliers_into_nearest() -> None:
    emb = _speakers([30, 20, 2])
    labels = np.array([0] * 30 + [1] * 20 + [2] * 2)
    merged = merge_small(cosine_affinity(emb), labels, min_size=5)
    assert sorted(set(merged.tolist())) == [0, 1]
    assert len(set(merged[:30].tolist())) == 1 and len(set(merged[30:50].tolist())) == 1
    kept = merge_small(cosine_affinity(emb), labels, min_size=5, min_clusters=3)
    assert len(set(kept.tolist())) == 3


def test_many_windows_cluster_quickly() -> None:
    # Every pruning size was tried once: O(n^4), longer than the recording for 15 minutes.
    # At most 40 sizes are tried now; 600 windows of three voices still come out as three.
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(3, 32)) * 3
    x = np.vstack([c + rng.normal(size=(200, 32)) for c in centres])
    result = spectral_cluster(cosine_affinity(x), max_clusters=8)
    assert result.count == 3
    assert all(len(set(result.labels[i * 200 : (i + 1) * 200])) == 1 for i in range(3))


def test_numpys_openblas_runs_on_one_thread_here_as_in_the_cli() -> None:
    """conftest gives OpenBLAS one thread before NumPy loads, as the CLI does: on two, the
    eigendecompositions above spun beside the runner's other work (test_many_windows_cluster_
    quickly's work on a loaded 2-core box: 1.7 CPU-s on one thread, 9.8-30.4 on two). A
    user's own OPENBLAS_NUM_THREADS wins."""
    threadpoolctl = pytest.importorskip(
        "threadpoolctl", reason="threadpoolctl (scikit-learn's) reads the threads"
    )
    blas = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    assert blas and set(blas) == {int(os.environ.get("OPENBLAS_NUM_THREADS", "0"))}

"""One speaker or several, on embeddings with a known structure (GE2E-like: non-negative; one
voice's windows ~0.9 alike, drifting with delivery; two voices' averages ~0.65 alike)."""

from __future__ import annotations

import numpy as np

from woasr_cli.processing.clustering import cosine_affinity, spectral_cluster
from woasr_cli.processing.speaker_count import (
    THRESHOLD,
    least_similarity,
    merge_same_speaker,
    several_speakers,
)

DIM = 256


def _voice(n: int, centre: np.ndarray, rng: np.random.Generator, drift: float = 0.0) -> np.ndarray:
    """``n`` windows of one voice: noise around the centre, plus a drift along one direction."""
    direction = rng.normal(size=DIM)
    steps = np.linspace(-drift, drift, n)[:, None] * direction
    return np.abs(centre + 1.2 * rng.normal(size=(n, DIM)) + steps)


def _centres(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    shared = rng.normal(size=DIM)
    return np.abs(shared + 3.0 * rng.normal(size=DIM)), np.abs(shared + 3.0 * rng.normal(size=DIM))


def test_one_voice_with_drift_is_one_speaker() -> None:
    rng = np.random.default_rng(0)
    a, _ = _centres(rng)
    emb = _voice(80, a, rng, drift=1.5)
    # The drift is enough for clustering alone to find two "speakers" (as on jfk.wav).
    assert spectral_cluster(cosine_affinity(emb)).count > 1
    assert least_similarity(emb) > THRESHOLD
    assert not several_speakers(emb)


def test_two_voices_in_turn_are_several() -> None:
    rng = np.random.default_rng(1)
    a, b = _centres(rng)
    emb = np.concatenate([_voice(30, a, rng), _voice(30, b, rng), _voice(20, a, rng)])
    assert least_similarity(emb) < THRESHOLD
    assert several_speakers(emb)


def test_tiny_inputs_compare_with_nothing() -> None:
    assert least_similarity(np.zeros((0, DIM))) == 1.0
    assert least_similarity(np.ones((1, DIM))) == 1.0


def test_merge_joins_a_split_voice_and_keeps_two_voices() -> None:
    rng = np.random.default_rng(2)
    a, b = _centres(rng)
    emb = np.concatenate([_voice(40, a, rng, drift=1.5), _voice(40, b, rng)])
    split = np.array([0] * 20 + [1] * 20 + [2] * 40)  # voice a cut in two by clustering
    merged = merge_same_speaker(emb, split)
    assert merged.tolist() == [0] * 40 + [1] * 40


def test_merge_keeps_the_minimum() -> None:
    rng = np.random.default_rng(3)
    a, _ = _centres(rng)
    emb = _voice(40, a, rng)
    labels = np.array([0] * 20 + [1] * 20)
    assert merge_same_speaker(emb, labels).max() == 0
    assert merge_same_speaker(emb, labels, min_clusters=2).max() == 1


def test_long_recordings_compare_a_bounded_number_of_stretches() -> None:
    # An hour has ~14,000 windows; every stretch against every other would be a 14k x 14k
    # matrix. Every k-th stretch is compared instead, and a second voice is still found.
    rng = np.random.default_rng(7)
    a, b = _centres(rng)
    one = _voice(9000, a, rng)
    assert not several_speakers(one)
    two = np.vstack([one[:4000], _voice(600, b, rng), one[4000:]])
    assert several_speakers(two)

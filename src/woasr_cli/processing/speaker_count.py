"""One speaker or several: decided before clustering, from how far apart stretches of speech sound.

Spectral clustering on centred affinities always finds structure, so on one voice it splits
phonetic content or a drift in delivery into "speakers". The question it cannot answer is
asked here instead: do any two stretches of about four seconds of speech sound like different
people? Window embeddings are averaged over ``span`` consecutive windows (window embeddings are
noisy; averaging over several seconds leaves mostly the voice), and the recording has several
speakers when the least cosine similarity between two averaged stretches is below
``threshold``, which belongs to the speaker encoder (:mod:`.speaker_encoders`: CAM++ 0.56, GE2E
0.755, each measured with benchmarks/diarization.py). ``THRESHOLD`` is GE2E's.

With CAM++, one voice gives 0.64 to 0.90 and two voices -0.16 to 0.49 on the benchmark clips,
clean and with white noise at 30 and 20 dB SNR. With GE2E, one voice gives 0.77 (jfk) to 0.90 and
two voices 0.33 to 0.74 on clean clips, a thin margin that noise closes. Neither tells the two
"speakers" of the espeak dialogue apart: they are one espeak-ng voice in two accents.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SPAN = 11  # windows averaged: 1.5 s + 10 hops of 0.25 s = 4 s of speech
MAX_STRETCHES = 1500  # stretches compared at most (every k-th one on long recordings)
THRESHOLD = 0.755  # GE2E: midway between one voice's least (0.77) and two voices' largest (0.74)
# Distance from the threshold that counts as sure: CAM++'s gap between one voice's least (0.64)
# and two voices' largest (0.49) similarity is 0.15, so 0.08 either side of the threshold is clear.
CONFIDENCE_SCALE = 0.08
# Two clusters of one voice together are about as alike as each alone; espeak-ng's en-us+m3 and
# en+m7 (two voices) are 0.61 together against 0.80 and 0.86 alone.
SELF_DROP = 0.12


def least_similarity(embeddings: npt.NDArray[np.floating], span: int = SPAN) -> float:
    """Least cosine similarity between two averages of ``span`` consecutive embeddings.

    Short recordings average over a third of their windows, so there are still stretches to
    compare; one window or none compares with nothing and gives 1.0.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    n = len(x)
    if n < 2:
        return 1.0
    m = max(1, min(span, n // 3))
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    sums = np.cumsum(np.vstack([np.zeros((1, x.shape[1])), x]), axis=0)
    means = sums[m:] - sums[:-m]
    # Long recordings: compare every k-th stretch only, so the comparison matrix stays small
    # (an hour has 14,000 windows); neighbouring stretches overlap by all but a window anyway.
    means = means[:: max(1, -(-len(means) // MAX_STRETCHES))]
    means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-9)
    return float((means @ means.T).min())


def several_speakers(
    embeddings: npt.NDArray[np.floating], threshold: float = THRESHOLD, span: int = SPAN
) -> bool:
    """Whether the windows (in time order) hold more than one voice."""
    return least_similarity(embeddings, span) < threshold


def merge_same_speaker(
    embeddings: npt.NDArray[np.floating],
    labels: npt.NDArray[np.int64],
    *,
    min_clusters: int = 1,
    threshold: float = THRESHOLD,
    self_drop: float = SELF_DROP,
) -> npt.NDArray[np.int64]:
    """Join clusters, most alike first, while the two together still sound like one voice.

    The same test as :func:`several_speakers`, asked of each pair of clusters' windows (in time
    order): clustering splits one voice by delivery or content, and this undoes such splits
    without a second threshold. A pair is joined only if together they are also nearly as alike
    as each is on its own (within ``self_drop``): two voices of one synthesiser, or two people
    of one sex on one channel, pass the absolute test but are each far more alike to
    themselves.

    A joined cluster keeps the lower of its parts' own similarities as its own: measured again,
    the union of two halves of one voice is less alike than either (more stretches, more
    spread), and that lower bar let a third, different voice join it next (espeak-ng's m7 into
    m3 + m3 in the built meeting with m7 at -20 dB: 0.647 against the union's 0.761 - 0.12).
    """
    labels = np.unique(labels, return_inverse=True)[1].astype(np.int64)
    own = [least_similarity(embeddings[labels == k]) for k in range(int(labels.max()) + 1)]
    while labels.max() + 1 > max(1, min_clusters):
        count = int(labels.max()) + 1
        candidates = [
            (score, a, b)
            for a in range(count)
            for b in range(a + 1, count)
            for score in [least_similarity(embeddings[(labels == a) | (labels == b)])]
            if score >= threshold and score >= min(own[a], own[b]) - self_drop
        ]
        if not candidates:
            break
        _, a, b = max(candidates)
        own[a] = min(own[a], own[b])
        del own[b]  # labels above b move down by one, as np.unique renumbers them
        labels[labels == b] = a
        labels = np.unique(labels, return_inverse=True)[1].astype(np.int64)
    return labels


def closest_pair(embeddings: npt.NDArray[np.floating], labels: npt.NDArray[np.int64]) -> float:
    """The highest :func:`least_similarity` of any two clusters together (-1.0 with one cluster):
    how near the two most alike "speakers" came to being joined."""
    count = int(labels.max()) + 1 if len(labels) else 0
    return max(
        (
            least_similarity(embeddings[(labels == a) | (labels == b)])
            for a in range(count)
            for b in range(a + 1, count)
        ),
        default=-1.0,
    )


def count_confidence(margin: float, scale: float = CONFIDENCE_SCALE) -> float:
    """0 for a statistic on the threshold, 1 for one at least ``scale`` away from it."""
    return float(min(1.0, abs(margin) / scale))

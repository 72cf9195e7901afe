"""Diarization benchmark: DER (pyannote.metrics, collar 0.25 and 0), speaker count, runtime and
peak RSS per clip, for woasr's offline backend (count estimated) and a plain Resemblyzer
baseline told the true count (Silero VAD, 1.5 s windows / 0.75 s hop inside each speech region,
agglomerative average-linkage clustering on cosine distance).

    PYTHONPATH=src:tests/processing .venv/bin/python benchmarks/diarization.py
"""

from __future__ import annotations

import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests" / "processing")]
AUDIO = (REPO / ".." / "shared" / "audio").resolve()

from rttm import der, read_rttm  # noqa: E402

from woasr_cli.media import decode_audio  # noqa: E402
from woasr_cli.processing.diarization import Turn, relabel  # noqa: E402
from woasr_cli.processing.diarize_offline import (  # noqa: E402
    OfflineDiarizer,
    OfflineSettings,
    speech_regions,
    to_turns,
    vote,
)

CLIPS = [
    ("pyannote_sample.wav", "pyannote_sample.rttm", None),
    ("synth/espeak_dialogue_2spk.wav", "synth/espeak_dialogue_2spk.rttm", None),
    ("fw_stereo_diarization.wav", None, 2),
    ("jfk.wav", None, 1),
    ("librispeech_1272-128104-0000.wav", None, 1),
]


def baseline(d: OfflineDiarizer, audio: np.ndarray, count: int) -> list[Turn]:
    from scipy.cluster.hierarchy import fcluster, linkage

    regions = speech_regions(audio, OfflineSettings())
    mel = d._mel(audio)
    spans = []
    for a, b in regions:
        starts = range(a, max(a + 1, b - 150 + 1), 75)
        spans += [np.arange(x, min(b, x + 150)) for x in starts if min(b, x + 150) - x >= 50]
    emb = d._embed(mel, spans).astype(np.float64)
    labels = (
        fcluster(linkage(emb, "average", metric="cosine"), count, "maxclust")
        if len(spans) > 1
        else np.ones(len(spans), dtype=int)
    )
    # Each frame takes the label most of its windows got (no smoothing, no minimum turn).
    frame_labels = vote(mel.shape[0], regions, spans, labels.astype(np.int64) - 1, count)
    return relabel(to_turns(frame_labels, regions, 0))


def main() -> None:
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    d = OfflineDiarizer.load()
    print(f"load: {time.perf_counter() - t0:.2f} s")
    d.diarize(decode_audio(AUDIO / "jfk.wav"))  # warm-up (VAD session, librosa/numba)
    cols = ("true", "est", "DER.25", "DER0", "base.25", "ratio", "sec")
    print(f"{'clip':34s} " + " ".join(f"{c:>7s}" for c in cols))
    for name, ref_name, true_count in CLIPS:
        audio = decode_audio(AUDIO / name)
        ref = read_rttm(AUDIO / ref_name) if ref_name else None
        count = len({t.speaker for t in ref}) if ref else true_count
        t = time.perf_counter()
        turns = d.diarize(audio)
        took = time.perf_counter() - t
        est = len({t.speaker for t in turns})
        cells = ["-"] * 4
        if ref:
            ours = der(ref, turns, 0.25)
            base = der(ref, baseline(d, audio, count or 1), 0.25)
            cells = [
                f"{ours:.3f}",
                f"{der(ref, turns, 0.0):.3f}",
                f"{base:.3f}",
                f"{ours / base:.2f}",
            ]
        row = [str(count), str(est), *cells, f"{took:.2f}"]
        print(f"{name:34s} " + " ".join(f"{c:>7s}" for c in row))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB (whole process, model included)")


if __name__ == "__main__":
    main()

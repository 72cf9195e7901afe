"""Diarization benchmark: speaker count, DER (pyannote.metrics, collar 0.25 and 0, where a
reference exists), runtime and peak RSS per clip, for woasr's offline backend (count estimated;
``--encoder`` campplus or ge2e, default what woasr picks) and a plain Resemblyzer baseline told
the true count (Silero VAD, 1.5 s windows / 0.75 s hop inside each speech region, agglomerative
average-linkage clustering on cosine distance).

Clips: every shared clip with speech (one speaker or more), then the clips that
``diarization_clips.py`` builds (skip them with ``--shared-only``; their reference turns are
the VAD's speech in each joined piece, so their DER is mostly speaker confusion). ``least`` is
the statistic behind the one-speaker-or-several decision
(:mod:`woasr_cli.processing.speaker_count`): below its threshold the clip has several speakers.
``sec`` is wall time, ``cpu`` the process's CPU seconds, each the best of ``--repeat`` runs
(other load on a shared machine makes torch's threads spin: single runs vary tenfold). Peak
RSS is the whole process (model included) while that clip was diarized, sampled every 5 ms.

``--noise 30 20`` also scores the real-speech clips with white noise at 30 and 20 dB SNR.

    .venv/bin/python benchmarks/diarization.py [--shared-only] [--repeat N] [--encoder NAME]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests" / "processing")]
AUDIO = (REPO / ".." / "shared" / "audio").resolve()

from diarization_clips import built_clips  # noqa: E402
from rttm import der, read_rttm  # noqa: E402

from woasr_cli.media import decode_audio  # noqa: E402
from woasr_cli.processing.diarization import Turn, relabel  # noqa: E402
from woasr_cli.processing.diarize_offline import (  # noqa: E402
    OfflineDiarizer,
    OfflineSettings,
    speech_regions,
    to_turns,
    vote,
    window_spans,
)
from woasr_cli.processing.speaker_count import least_similarity  # noqa: E402
from woasr_cli.processing.speaker_encoders import ENCODERS, Ge2eEncoder  # noqa: E402

SHARED = [  # (clip, reference RTTM, true count)
    ("pyannote_sample.wav", "pyannote_sample.rttm", 2),
    ("synth/espeak_dialogue_2spk.wav", "synth/espeak_dialogue_2spk.rttm", 2),
    ("fw_stereo_diarization.wav", None, 2),
    ("jfk.wav", None, 1),
    ("librispeech_1272-128104-0000.wav", None, 1),
    ("korean_read_1.wav", None, 1),
    ("synth/hibari_en_1.wav", None, 1),
    ("synth/hibari_en_2.wav", None, 1),
    ("synth/espeak_en_1.wav", None, 1),
    ("synth/espeak_en_2.wav", None, 1),
    ("synth/espeak_ko_1.wav", None, 1),
]
Clip = tuple[str, np.ndarray, int, list[Turn] | None]


def clips(shared_only: bool) -> Iterator[Clip]:
    for name, ref_name, count in SHARED:
        yield (
            name,
            decode_audio(AUDIO / name),
            count,
            read_rttm(AUDIO / ref_name) if ref_name else None,
        )
    if not shared_only:
        yield from built_clips()


def peak_rss_during(fn: Callable[[], list[Turn]]) -> tuple[list[Turn], float, float, float]:
    """Run ``fn``; its result, wall and CPU seconds, and the largest RSS (MiB) seen meanwhile."""
    page = os.sysconf("SC_PAGE_SIZE") / 2**20
    peak, done = [0.0], threading.Event()

    def poll() -> None:
        while not done.is_set():
            with open("/proc/self/statm") as f:
                peak[0] = max(peak[0], int(f.read().split()[1]) * page)
            time.sleep(0.005)

    sampler = threading.Thread(target=poll, daemon=True)
    sampler.start()
    t, cpu = time.perf_counter(), time.process_time()
    result = fn()
    took, cpu = time.perf_counter() - t, time.process_time() - cpu
    done.set()
    sampler.join()
    return result, took, cpu, peak[0]


def least(d: OfflineDiarizer, audio: np.ndarray) -> float:
    regions = speech_regions(audio, d.settings)
    spans = window_spans(regions, d.settings) if regions else []
    return least_similarity(d.encoder.embed(d.encoder.features(audio), spans)) if spans else 1.0


def baseline(encoder: Ge2eEncoder, audio: np.ndarray, count: int) -> list[Turn]:
    """The issue's plain Resemblyzer baseline: GE2E windows, agglomerative, told the count."""
    from scipy.cluster.hierarchy import fcluster, linkage

    regions = speech_regions(audio, OfflineSettings())
    mel = encoder.features(audio)
    spans = []
    for a, b in regions:
        starts = range(a, max(a + 1, b - 150 + 1), 75)
        spans += [np.arange(x, min(b, x + 150)) for x in starts if min(b, x + 150) - x >= 50]
    emb = encoder.embed(mel, spans).astype(np.float64)
    labels = (
        fcluster(linkage(emb, "average", metric="cosine"), count, "maxclust")
        if len(spans) > 1
        else np.ones(len(spans), dtype=int)
    )
    # Each frame takes the label most of its windows got (no smoothing, no minimum turn).
    frame_labels = vote(mel.shape[0], regions, spans, labels.astype(np.int64) - 1, count)
    return relabel(to_turns(frame_labels, regions, 0))


REAL = ("pyannote_sample", "fw_stereo", "jfk", "librispeech", "built/left", "built/jfk")


def with_noise(items: Iterator[Clip], snrs: list[float]) -> Iterator[Clip]:
    """Each clip, then (for real speech) the same with white noise at each SNR, seeded."""
    for name, audio, count, ref in items:
        yield name, audio, count, ref
        if not name.startswith(REAL):
            continue
        for snr in snrs:
            rng = np.random.default_rng(round(snr * 100))
            power = float(np.mean(audio**2)) / 10 ** (snr / 10)
            noise = rng.standard_normal(len(audio)).astype(np.float32) * np.sqrt(power)
            yield f"{name}@{snr:g}dB", audio + noise, count, ref


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared-only", action="store_true", help="only the shared clips")
    ap.add_argument("--repeat", type=int, default=3, help="runs per clip; the fastest is shown")
    ap.add_argument("--encoder", default="auto", choices=ENCODERS, help="speaker encoder")
    ap.add_argument(
        "--noise", type=float, nargs="*", default=[], metavar="DB",
        help="also score the real-speech clips with white noise at these SNRs (dB)",
    )  # fmt: skip
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    d = OfflineDiarizer.load(args.encoder)
    plain = Ge2eEncoder()
    threshold = d.encoder.threshold
    print(f"encoder {d.encoder.name}; load: {time.perf_counter() - t0:.2f} s; "
          f"several speakers when least < {threshold}")  # fmt: skip
    d.diarize(decode_audio(AUDIO / "jfk.wav"))  # warm-up (VAD session, librosa/numba)
    cols = ("true", "est", "least", "DER.25", "DER0", "base.25", "audio.s", "sec", "cpu", "RSS.MiB")
    print(f"{'clip':34s} " + " ".join(f"{c:>7s}" for c in cols))
    wrong = 0
    for name, audio, count, ref in with_noise(clips(args.shared_only), args.noise):
        runs = [peak_rss_during(lambda audio=audio: d.diarize(audio)) for _ in range(args.repeat)]
        turns = runs[0][0]
        took, cpu, rss = (f([r[i] for r in runs]) for i, f in ((1, min), (2, min), (3, max)))
        est = len({t.speaker for t in turns})
        wrong += est != count
        cells = ["-"] * 3
        if ref:
            base = der(ref, baseline(plain, audio, count), 0.25)
            cells = [f"{der(ref, turns, c):.3f}" for c in (0.25, 0.0)] + [f"{base:.3f}"]
        row = [str(count), str(est), f"{least(d, audio):.3f}", *cells]
        row += [f"{len(audio) / 16000:.1f}", f"{took:.2f}", f"{cpu:.2f}", f"{rss:.0f}"]
        print(f"{name:34s} " + " ".join(f"{c:>7s}" for c in row), flush=True)
    print(f"speaker count wrong on {wrong} clip(s)")


if __name__ == "__main__":
    main()

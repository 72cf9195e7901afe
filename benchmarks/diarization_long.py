"""Offline diarization on long recordings: wall time, x real time, peak RSS and speaker count.

    python benchmarks/diarization_long.py [--minutes 15 60] [--encoders campplus ge2e]

The input is throughput.py's long file (benchmarks/corpus.py ``build_long``: the ten English
clips on repeat with 1 s pauses, about eight voices) of the first length, built once into
``--cache``; longer lengths repeat it. Each (encoder, length) runs in a fresh process, so its
peak RSS (``ru_maxrss``, the decoded audio and the models included) is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

CHILD = """
import json, resource, sys, time, warnings
from pathlib import Path
import numpy as np
warnings.filterwarnings("ignore")
from woasr_cli.media import decode_audio
from woasr_cli.processing.diarize_offline import OfflineDiarizer, OfflineSettings
path, repeat, encoder, max_nodes = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
audio = np.tile(decode_audio(Path(path)), repeat)
diarizer = OfflineDiarizer.load(encoder, OfflineSettings(max_nodes=max_nodes))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
turns = diarizer.diarize(audio)
wall = time.perf_counter() - start
print(json.dumps({"seconds": len(audio) / 16000, "wall": wall, "before": before,
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "speakers": len({t.speaker for t in turns})}))
"""


def main() -> None:
    import corpus

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=int, nargs="+", default=[15, 60])
    ap.add_argument("--encoders", nargs="+", default=["campplus", "ge2e"])
    ap.add_argument("--max-nodes", type=int, default=500, help="OfflineSettings.max_nodes")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/woasr-bench"))
    args = ap.parse_args()
    base = args.minutes[0]
    args.cache.mkdir(parents=True, exist_ok=True)
    path = args.cache / f"long_{base}min.flac"
    corpus.build_long(path, base)
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    print("| encoder | audio | wall s | x real time | peak RSS MiB (before diarizing) | speakers |")
    print("|---|---|---|---|---|---|")
    for encoder in args.encoders:
        for minutes in args.minutes:
            repeat = max(1, round(minutes / base))
            cmd = [sys.executable, "-c", CHILD, str(path), str(repeat), encoder,
                   str(args.max_nodes)]  # fmt: skip
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"| {encoder} | {r['seconds'] / 60:.0f} min | {r['wall']:.1f} | "
                  f"{r['seconds'] / r['wall']:.0f}x | {r['peak']:.0f} ({r['before']:.0f}) | "
                  f"{r['speakers']} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

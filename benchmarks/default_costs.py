"""Issue 12: what woasr's defaults cost on the shared clips, one model load per configuration.

python benchmarks/default_costs.py tiny.en words   # word timestamps off vs on (interleaved)
python benchmarks/default_costs.py base            # the default model, default options

Prints wall and CPU seconds and real-time factors over two passes of jfk.wav,
librispeech_1272-128104-0000.wav and pyannote_sample.wav (93.7 s of audio), and the load.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from woasr_cli import TranscribeOptions, Transcriber

AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"
CLIPS = ["jfk.wav", "librispeech_1272-128104-0000.wav", "pyannote_sample.wav"]


def main() -> None:
    model = sys.argv[1] if len(sys.argv) > 1 else "base"
    if sys.argv[2:] == ["words"]:
        configs = {"words off": False, "words on": True}
    else:
        configs = {"defaults": None}
    transcribers = {
        name: Transcriber(TranscribeOptions(model=model, word_timestamps=words, offline=True))
        for name, words in configs.items()
    }
    totals = {name: [0.0, 0.0, 0.0] for name in configs}
    for _ in range(2):
        for name, transcriber in transcribers.items():
            wall, cpu = time.perf_counter(), time.process_time()
            audio = sum(transcriber.transcribe(AUDIO / clip).duration for clip in CLIPS)
            totals[name][0] += time.perf_counter() - wall
            totals[name][1] += time.process_time() - cpu
            totals[name][2] += audio
    for name, (wall, cpu, audio) in totals.items():
        print(
            f"{model} {name}: {audio:.1f} s audio, wall {wall:.1f} s (RTF {wall / audio:.3f}), "
            f"CPU {cpu:.1f} s (RTF {cpu / audio:.3f})"
        )
    print("load average", " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()

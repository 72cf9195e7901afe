"""Where a woasr run's decode work goes, counted: faster-whisper's stages wrapped in-process.

    python benchmarks/stage_probe.py transcribe FILE -o DIR --model DIR --compute-type int8 ...

Runs the CLI with the given arguments in this process and prints, to stderr, per stage
(encoder passes, batched decodes, word alignment, batch forward) the calls and the wall seconds
spent inside them summed over threads, the tokens Whisper decoded (per batch call and in all),
and VAD's chunks (count, seconds of speech, fill of a 30 s encoder pass). The counts do not
depend on the machine's load, unlike CPU seconds on a shared machine (docs/performance.md,
"Long recordings", w17d): compare them between two trees before trusting a CPU difference
below ~7 %. Output files that already exist are skipped by the CLI: give a fresh ``-o``.
"""

from __future__ import annotations

import collections
import contextlib
import resource
import sys
import threading
import time
from typing import Any

import faster_whisper.transcribe as ft

import woasr_cli.providers.faster_whisper_batch as fwb

STAGES = [
    (ft.WhisperModel, "encode"),
    (ft.BatchedInferencePipeline, "generate_segment_batched"),
    (ft.WhisperModel, "add_word_timestamps"),
    (ft.BatchedInferencePipeline, "forward"),
]
stats: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
tokens: list[list[int]] = []
chunks: list[float] = []
lock = threading.Lock()


def wrap(cls: Any, name: str) -> None:
    original = getattr(cls, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            result = original(*args, **kwargs)
        finally:
            with lock:
                stats[name][0] += 1
                stats[name][1] += time.perf_counter() - start
        if name == "generate_segment_batched":
            with lock:
                tokens.append([len(o["tokens"]) for o in result[1]])
        return result

    setattr(cls, name, timed)


def main() -> None:
    for cls, name in STAGES:
        wrap(cls, name)
    speech_chunks = fwb.speech_chunks

    def counted(*args: Any, **kwargs: Any) -> Any:
        found = speech_chunks(*args, **kwargs)
        with lock:
            chunks.extend(c.duration for c in found)
        return found

    fwb.speech_chunks = counted
    from woasr_cli.cli.app import main as cli

    t0 = time.time()
    sys.argv = ["woasr", *sys.argv[1:]]
    with contextlib.suppress(SystemExit):
        cli()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = sys.stderr
    print(f"wall {time.time() - t0:.1f} s, CPU {usage.ru_utime + usage.ru_stime:.1f} s", file=out)
    for name, (calls, seconds) in stats.items():
        print(f"  {name:26s} {int(calls):5d} calls {seconds:8.1f} s", file=out)
    total = sum(map(sum, tokens))
    print(f"  tokens decoded {total} in {len(tokens)} batch calls: {tokens}", file=out)
    speech = sum(chunks)
    fill = speech / 30.0 / max(1, len(chunks))
    print(f"  VAD chunks {len(chunks)}, speech {speech:.0f} s, fill {fill:.2f}", file=out)


if __name__ == "__main__":
    main()

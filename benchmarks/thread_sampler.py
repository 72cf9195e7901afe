"""Where a run's threads spend their time: run a CLI in this process and sample every thread's
Python stack every 10 ms (docs/performance.md, "Fourth GPU look").

    python benchmarks/thread_sampler.py woasr_cli transcribe FILE -o OUT ...
    python benchmarks/thread_sampler.py wct --model_directory DIR ... FILE   (whisper-ctranslate2)

Prints to stderr: samples per (thread, innermost woasr/faster-whisper function), idle waits
marked "idle:"; when each place was first seen; per second of the run, busy samples and the top
two places. Cheap enough to leave on (one thread waking every 10 ms).
"""

from __future__ import annotations

import collections
import runpy
import sys
import threading
import time
from types import FrameType

T0 = time.time()
IDLE = {"_watch", "_beat", "_worker", "wait", "get", "_wait_for_tstate_lock", "select", "acquire",
        "result", "sleep", "join", "poll"}  # fmt: skip
counts: collections.Counter[tuple[str, str]] = collections.Counter()
first: dict[str, float] = {}
per_second: dict[int, collections.Counter[str]] = collections.defaultdict(collections.Counter)
running = True


def place(frame: FrameType) -> tuple[str, str]:
    """(innermost function, innermost woasr/faster-whisper function as file:name)."""
    leaf = frame.f_code.co_name
    f: FrameType | None = frame
    while f is not None:
        name = f.f_code.co_filename
        if "woasr_cli" in name or "faster_whisper" in name:
            return leaf, f"{name.split('/')[-1]}:{f.f_code.co_name}"
        f = f.f_back
    return leaf, f"{frame.f_code.co_filename.split('/')[-1]}:{leaf}"


def sample() -> None:
    me = threading.get_ident()
    while running:
        now = time.time() - T0
        names = {t.ident: t.name for t in threading.enumerate()}
        for tid, frame in sys._current_frames().items():
            if tid == me:
                continue
            leaf, where = place(frame)
            idle = leaf in IDLE
            counts[(names.get(tid, str(tid))[:14], ("idle:" if idle else "") + where)] += 1
            if not idle:
                first.setdefault(where, now)
                per_second[int(now)][where] += 1
        time.sleep(0.01)


def report() -> None:
    out = sys.stderr
    print(f"\n=== wall {time.time() - T0:.2f} s", file=out)
    print("=== top (thread, place) samples (10 ms):", file=out)
    for (thread, where), n in counts.most_common(40):
        print(f"{n:6d} {thread:14s} {where}", file=out)
    print("=== first seen (s):", file=out)
    for where, t in sorted(first.items(), key=lambda x: x[1])[:25]:
        print(f"{t:7.2f} {where}", file=out)
    print("=== per second: busy samples, top 2 places", file=out)
    for s in sorted(per_second):
        top = ", ".join(f"{k}={v}" for k, v in per_second[s].most_common(2))
        print(f"{s:4d} {sum(per_second[s].values()):4d} {top}", file=out)


def main() -> None:
    global running
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    threading.Thread(target=sample, daemon=True, name="sampler").start()
    try:
        if module == "wct":
            from whisper_ctranslate2.whisper_ctranslate2 import main as wct_main

            wct_main()
        else:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
    finally:
        running = False
        time.sleep(0.05)
        report()


if __name__ == "__main__":
    main()

"""Where a woasr run's decode work goes, counted: faster-whisper's stages wrapped in-process.

    python benchmarks/stage_probe.py [--timeline] transcribe FILE -o DIR --model DIR ...

Runs the CLI with the given arguments in this process and prints, to stderr, per stage
(encoder passes, batched decodes, word alignment, batch forward) the calls and the wall seconds
spent inside them summed over threads, the tokens Whisper decoded (per batch call and in all),
and VAD's chunks (count, seconds of speech, fill of a 30 s encoder pass). The counts do not
depend on the machine's load, unlike CPU seconds on a shared machine (docs/performance.md,
"Long recordings", w17d): compare them between two trees before trusting a CPU difference
below ~7 %. Output files that already exist are skipped by the CLI: give a fresh ``-o``.

``--timeline``: also sample every thread of the process every 50 ms (CPU time from
``/proc/self/task/*/schedstat``, what each Python thread is doing from its stack) and print how
many cores were busy over the run, and what ran while fewer than 1.5 of 2 were: the start
(before the first encoder pass), the end (after the last batch began), and the stages in
between. On a shared machine a thread that wants a core may not get one, so compare runs at
the same load; the stage shares of the idle time are what to read.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
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
first_encode: list[float] = []
batch_starts: list[float] = []

# Innermost match wins: a thread's stage is the first of these names found walking out from
# its current frame (function names in faster-whisper, CTranslate2's Python side and woasr).
LABELS = {
    "find_alignment": "align",
    "add_word_timestamps": "words (python)",
    "encode": "encoder",
    "generate_segment_batched": "beam search",
    "__call__FeatureExtractor": "features",
    "stft": "features",
    "get_speech_timestamps": "VAD",
    "cut_speech": "VAD (woasr)",
    "forward": "batch (python)",
    "transcribe": "batch setup",
    "_run": "batch (woasr)",
    "iter_audio": "audio decode",
    "_decode_frames": "audio decode",
    "write": "output",
    "gather": "waiting",
    "wait": "waiting",
}


def wrap(cls: Any, name: str) -> None:
    original = getattr(cls, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        if name == "encode":
            with lock:
                if not first_encode:
                    first_encode.append(start)
        if name == "forward":
            with lock:
                batch_starts.append(start)
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


def _task_cpu() -> dict[int, tuple[float, float]]:
    """Per native thread id of this process: seconds on a CPU, seconds runnable but waiting
    for one (the kernel's schedstat)."""
    found = {}
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError, ValueError):
            run, wait = Path(f"/proc/self/task/{task}/schedstat").read_text().split()[:2]
            found[int(task)] = (int(run) / 1e9, int(wait) / 1e9)
    return found


def _stage(frame: Any) -> str:
    while frame is not None:
        name = frame.f_code.co_name
        if name == "__call__" and "feature_extractor" in frame.f_code.co_filename:
            return "features"
        if name in LABELS:
            return LABELS[name]
        frame = frame.f_back
    return "other"


class Timeline:
    """Every ``step`` s: the time, the process's CPU seconds in the step, its demand (seconds
    on a CPU plus runnable and waiting for one: what it would have used on a machine of its
    own), and what each Python thread was doing."""

    def __init__(self, step: float = 0.05) -> None:
        self.step = step
        self.samples: list[tuple[float, float, float, list[str]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="probe", daemon=True)

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = threading.get_native_id()
        last = _task_cpu()
        while not self._stop.wait(self.step):
            now = _task_cpu()
            frames = sys._current_frames()
            mine = {t.ident for t in threading.enumerate() if t.native_id == me}
            ran = waited = 0.0
            for k, (run, wait) in now.items():
                if k != me:
                    r0, w0 = last.get(k, (0.0, 0.0))
                    ran += run - r0
                    waited += wait - w0
            stages = [_stage(f) for ident, f in frames.items() if ident not in mine]
            self.samples.append((time.perf_counter(), ran, ran + waited, stages))
            last = now

    def report(self, out: Any) -> None:
        if not self.samples:
            return
        cores = 2.0
        start = first_encode[0] if first_encode else self.t0
        last_batch = batch_starts[-1] if batch_starts else self.samples[-1][0]
        phases: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0.0])
        idle_by: dict[str, float] = collections.defaultdict(float)
        busy_hist = [0.0] * 5
        prev = self.t0
        for t, ran, wanted, stages in self.samples:
            dt = t - prev
            prev = t
            demand = min(cores, wanted / dt) if dt > 0 else 0.0
            phase = "start" if t <= start else ("end" if t > last_batch else "middle")
            phases[phase][0] += dt
            phases[phase][1] += ran
            phases[phase][2] += min(wanted, cores * dt)
            busy_hist[min(4, int(demand / 0.5))] += dt
            if demand < 1.5:
                # What the Python threads were in (a batch's native work runs on CTranslate2's
                # worker thread while its Python thread waits inside the stage that called it).
                active = sorted(s for s in stages if s not in ("waiting", "other"))
                label = " + ".join(active) or "nothing"
                idle_by[f"{phase}: {label}"] += (cores - demand) * dt
        wall = self.samples[-1][0] - self.t0
        ran = sum(s[1] for s in self.samples)
        wanted = sum(p[2] for p in phases.values())
        print(f"timeline: {wall:.1f} s sampled, {ran:.1f} CPU s; demand (on a CPU or waiting "
              f"for one, at most {cores:g}) {wanted / wall:.2f} cores on average; "
              f"CPU / demand = {ran / (wanted / wall):.1f} s, the wall with {cores:g} cores "
              f"of its own", file=out)  # fmt: skip
        for name in ("start", "middle", "end"):
            w, c, d = phases[name]
            if w:
                print(f"  {name:7s} {w:6.1f} s wall, {c:6.1f} CPU s, demand {d / w:.2f} cores",
                      file=out)  # fmt: skip
        labels = ["<0.5", "0.5-1", "1-1.5", "1.5-2", "2"]
        shares = ", ".join(f"{lab} {s:.1f} s" for lab, s in zip(labels, busy_hist, strict=True))
        print(f"  wall by cores demanded: {shares}", file=out)
        lost = sum(idle_by.values())
        print(f"  core-seconds not demanded in steps below 1.5 cores: {lost:.1f}, by what the "
              "Python threads were in:", file=out)  # fmt: skip
        for label, s in sorted(idle_by.items(), key=lambda kv: -kv[1])[:25]:
            print(f"    {s:6.2f}  {label}", file=out)


events: list[tuple[float, str, str, int]] = []  # (time, thread, what, chunks)


def trace_batcher() -> None:
    """Record when each batch starts and ends, and what is queued when (for the dump)."""
    from woasr_cli.providers.batcher import ChunkBatcher

    execute, submit = ChunkBatcher._execute, ChunkBatcher.submit

    def traced_execute(self: Any, batch: Any, spare: bool = False) -> None:
        name = threading.current_thread().name
        events.append((time.perf_counter(), name, f"run q={len(self._queue)}", len(batch)))
        try:
            execute(self, batch, spare)
        finally:
            events.append((time.perf_counter(), name, f"done q={len(self._queue)}", len(batch)))

    def traced_submit(self: Any, payloads: Any, key: Any, *args: Any, **kwargs: Any) -> Any:
        name = threading.current_thread().name
        what = "front" if kwargs.get("front") or args[:1] == (True,) else "submit"
        events.append((time.perf_counter(), name, what, len(payloads)))
        return submit(self, payloads, key, *args, **kwargs)

    ChunkBatcher._execute = traced_execute  # type: ignore[method-assign]
    ChunkBatcher.submit = traced_submit  # type: ignore[method-assign]


def main() -> None:
    args = sys.argv[1:]
    timeline = Timeline() if args[:1] == ["--timeline"] else None
    if timeline is not None:
        args = args[1:]
    dump = os.environ.get("STAGE_PROBE_DUMP")  # the timeline's samples as JSON lines
    if dump:
        trace_batcher()
    for cls, name in STAGES:
        wrap(cls, name)
    cut_speech = fwb.cut_speech

    def counted(*args: Any, **kwargs: Any) -> Any:
        found = cut_speech(*args, **kwargs)
        with lock:
            chunks.extend(c.duration for c in found.chunks)
        return found

    fwb.cut_speech = counted
    from woasr_cli.cli.app import main as cli

    t0 = time.time()
    sys.argv = ["woasr", *args]
    if timeline is not None:
        timeline.start()
    with contextlib.suppress(SystemExit):
        cli()
    if timeline is not None:
        timeline.stop()
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
    if timeline is not None:
        timeline.report(out)
        if dump:
            with open(dump, "w") as f:
                for t, ran, wanted, stages in timeline.samples:
                    print(json.dumps([round(t - timeline.t0, 3), ran, wanted, stages]), file=f)
                for t, name, what, n in events:
                    print(json.dumps(["event", round(t - timeline.t0, 3), name, what, n]), file=f)


if __name__ == "__main__":
    main()

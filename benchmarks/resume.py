"""Manifest benchmarks (issue 3): the cost of a no-op rerun over 200 small files, and the CPU
cost of a batch killed half way and resumed, against one clean run measured in the same run.

    python benchmarks/resume.py            # prints a table and each ratio against its target

Inputs are synthesised offline with hibari-tts into a temporary folder; woasr runs as a real
subprocess (``python -m woasr_cli``) with the offline tiny.en model.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from conftest import SYNTH_SENTENCES, synthesize, write_wav  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(REPO / "src"), "WOASR_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
WOASR = [sys.executable, "-m", "woasr_cli", "transcribe"]
# One process, so the CPU of the killed run is all accounted to it (worker processes of a
# SIGKILLed parent are not this script's children).
SERIAL = ["--workers", "1"]


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds, exit code of one woasr run."""
    cpu0, t0 = children_cpu(), time.perf_counter()
    proc = subprocess.run(WOASR + args, env=ENV, capture_output=True, text=True)
    return time.perf_counter() - t0, children_cpu() - cpu0, proc.returncode


def killed_half_way(args: list[str], total_audio: float) -> tuple[float, float]:
    """Start a run, SIGKILL it once half the batch's audio is reported done."""
    cpu0, t0 = children_cpu(), time.perf_counter()
    proc = subprocess.Popen(WOASR + args + ["--json"], env=ENV, stdout=subprocess.PIPE, text=True)
    done_files = 0.0
    assert proc.stdout is not None
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "done":
            done_files += event["duration"]
        current = event.get("done_seconds", 0.0) if event["event"] == "progress" else 0.0
        if done_files + current >= total_audio / 2:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    return time.perf_counter() - t0, children_cpu() - cpu0


def build(folder: Path, count: int, sentences: int) -> float:
    folder.mkdir(parents=True, exist_ok=True)
    total = 0.0
    for i in range(count):
        parts = []
        rate = 0
        for j in range(sentences):
            audio, rate = synthesize(SYNTH_SENTENCES[(i + j) % 2])
            parts += [audio, np.zeros(rate // 2, dtype=np.float32)]
        audio = np.concatenate(parts)
        write_wav(folder / f"clip_{i:03d}.wav", audio, rate)
        total += len(audio) / rate
    return total


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        small = root / "small"
        build(small, 200, 1)
        out = root / "out-small"
        first_wall, _, code = run([str(small), "-o", str(out), "-f", "srt"])
        assert code == 0, "first run failed"
        noop_wall, noop_cpu, code = run([str(small), "-o", str(out), "-f", "srt"])
        assert code == 0

        batch = root / "batch"
        audio = build(batch, 8, 8)
        clean_wall, clean_cpu, _ = run(
            [str(batch), "-o", str(root / "clean"), "-f", "srt", *SERIAL]
        )
        _, kill_cpu = killed_half_way([str(batch), "-o", str(root / "resumed"),
                                               "-f", "srt", *SERIAL], audio)  # fmt: skip
        _, resume_cpu, code = run([str(batch), "-o", str(root / "resumed"), "-f", "srt", *SERIAL])
        assert code == 0
    ratio = (kill_cpu + resume_cpu) / clean_cpu
    print(f"no-op rerun, 200 files: {noop_wall:.2f} s wall, {noop_cpu:.2f} s CPU "
          f"({noop_wall / 200 * 1000:.1f} ms/file); first run {first_wall:.1f} s")  # fmt: skip
    print(f"batch of 8 files, {audio:.0f} s audio: clean run {clean_cpu:.1f} s CPU "
          f"({clean_wall:.1f} s wall); killed at half {kill_cpu:.1f} s CPU + resumed "
          f"{resume_cpu:.1f} s CPU")  # fmt: skip
    print(f"ratio (killed + resumed) / clean CPU = {ratio:.3f}   target <= 1.10   "
          f"{'PASS' if ratio <= 1.10 else 'FAIL'}")  # fmt: skip
    print(f"no-op rerun target: seconds, not minutes   {'PASS' if noop_wall < 10 else 'FAIL'}")


if __name__ == "__main__":
    main()

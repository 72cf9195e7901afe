"""Long recordings and a mixed folder: woasr against whisper-ctranslate2, in one run (issue 17).

    python benchmarks/long_recording.py [--quick] [--only NAME ...] [--minutes N] [--json PATH]

Inputs (benchmarks/corpus.py, built once into --cache): a 60-minute recording (10 with --quick)
of two espeak-ng voices at 140-210 words a minute between the real English clips, with pauses of
0.3-2.4 s, whose word starts are known where they can be derived (every espeak word, the
utterance starts of pyannote_sample.stm, the first word of each real clip); and the mixed folder:
throughput.py's corpus plus four ~30 s two-speaker clips (scored), two noisy clips (scored:
white noise at 10 dB SNR, the shared room tone at 5 dB) and six non-English clips (Korean,
German, Spanish, French; timed, not scored: the model is English-only).

Runners, back to back on the same tiny.en CTranslate2 directory, int8, beam 5, Silero VAD:
``wct-default``, ``wct-batched`` (``--batched True --batch_size 8``) and ``woasr-default``
(woasr's defaults; SRT and JSON out). Per runner and input: wall, CPU, peak RSS of the process
tree, WER (Whisper's English normaliser). On woasr's output of the recording: the subtitle cue
checks (<= 42 characters a line, <= 2 lines, <= 7 s, no cue across a pause >= 1.5 s) and the
word-start error against the known starts (word_timing.py's matching). Peak RSS of woasr on the
recording against its first minute. Ratios are the result: the machine is shared.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import srt

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import corpus  # noqa: E402
from throughput import BIN, measure, model_dir, normaliser, score, transcript_text, woasr_cmd  # noqa: E402
from word_timing import RefWord, match, tokens  # noqa: E402

RUNNERS = ("wct-default", "wct-batched", "woasr-default")


@dataclass
class Result:
    runner: str
    input: str
    wall: float
    cpu: float
    peak_mb: float
    load: float
    wer: float | None


def commands(
    inputs: list[Path], out: Path, model: str, device: str = "cpu", compute: str = "int8"
) -> dict[str, list[str]]:
    files = [str(p) for p in inputs]
    wct = [str(BIN / "whisper-ctranslate2"), "--model_directory", model, "--compute_type", compute,
           "--beam_size", "5", "--vad_filter", "True", "--output_format", "srt", "--device", device,
           "--verbose", "False", "--local_files_only", "True"]  # fmt: skip
    engine = ["-f", "json", "--device", device, "--compute-type", compute]
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
        "woasr-default": [*woasr_cmd(files, out / "woasr-default", model), *engine],
    }


def folder_inputs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def recording_wer(srt_path: Path, reference: str) -> float:
    import jiwer

    norm = normaliser()
    hyp = transcript_text(srt_path) if srt_path.exists() else ""
    return float(jiwer.wer(norm(reference), norm(hyp)))  # type: ignore[operator]


def cue_lines(srt_path: Path, pauses: list[list[float]]) -> list[str]:
    cues = list(srt.parse(srt_path.read_text(encoding="utf-8")))
    n = len(cues) or 1
    wide = sum(any(len(line) > 42 for line in c.content.splitlines()) for c in cues)
    tall = sum(len(c.content.splitlines()) > 2 for c in cues)
    slow = sum((c.end - c.start).total_seconds() > 7.0 for c in cues)
    across = 0
    for c in cues:
        a, b = c.start.total_seconds(), c.end.total_seconds()
        # On screen with speech on both sides of the pause (0.1 s of timing slack each side).
        across += any(a < p0 - 0.1 and b > p1 + 0.1 for p0, p1 in pauses)
    return [
        f"cues: {len(cues)}; lines <= 42 chars: {1 - wide / n:.1%}  {verdict(wide == 0)}",
        f"cues <= 2 lines: {1 - tall / n:.1%}  {verdict(tall == 0)}",
        f"cues <= 7 s: {1 - slow / n:.1%}  {verdict(slow == 0)}",
        f"cues across a pause >= 1.5 s: {across} of {len(pauses)} pauses  {verdict(across == 0)}",
    ]


def order_lines(json_path: Path) -> list[str]:
    """What a reader of the JSON or TXT meets: segments, and words, one after the other in time
    (one segment 160 s out of order in session 21's hour, docs/performance.md)."""
    data = json.loads(json_path.read_text(encoding="utf-8"))
    segments = data["segments"]
    back = sum(b["start"] < a["start"] for a, b in itertools.pairwise(segments))
    words = [float(w["start"]) for s in segments for w in s.get("words", [])]
    late = sum(b < a - 0.01 for a, b in itertools.pairwise(words))
    ok = verdict(back == 0 and late == 0)
    return [f"order: {back} of {len(segments)} segments and {late} of {len(words)} words "
            f"start before the one they follow  {ok}"]  # fmt: skip


def word_lines(json_path: Path, known: list[list[Any]]) -> list[str]:
    data = json.loads(json_path.read_text(encoding="utf-8"))
    hyp = [(t, float(w["start"])) for s in data["segments"] for w in s.get("words", [])
           for t in tokens(w["text"])]  # fmt: skip
    # The known starts sit in a reference word stream of their own: match in windows of the
    # hypothesis around each known word (the recording repeats its pieces, so a global
    # alignment of known words alone would drift).
    times = np.array([t for _, t in hyp])
    errors, missed = [], 0
    for word, start in known:
        lo, hi = np.searchsorted(times, start - 2.0), np.searchsorted(times, start + 2.0)
        pairs = match([RefWord(str(word), float(start))], hyp[lo:hi])
        if pairs[0] is None:
            missed += 1
        else:
            errors.append(abs(pairs[0][1] - pairs[0][0]))
    err = np.array(errors) if errors else np.zeros(1)
    share = float((err <= 0.25).mean()) if errors else 0.0
    return [f"word starts: {len(known)} known, {len(errors)} matched, median error "
            f"{np.median(err):.3f} s, p90 {np.percentile(err, 90):.3f} s, within 0.25 s "
            f"{share:.1%} (target >= 85 %)  {verdict(share >= 0.85)}"]  # fmt: skip


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def run(name: str, cmd: list[str], target: Path, label: str) -> tuple[float, float, float, float]:
    shutil.rmtree(target, ignore_errors=True)
    load = os.getloadavg()[0]
    wall, cpu, peak = measure(cmd)
    print(f"  {label:10s} {name:14s} {wall:7.1f} s  cpu {cpu:6.1f} s  peak {peak:5.0f} MB  "
          f"load {load:.2f}", flush=True)  # fmt: skip
    return wall, cpu, peak, load


def ratio_lines(results: list[Result], label: str) -> list[str]:
    r = {x.runner: x for x in results if x.input == label}
    lines = []
    if "woasr-default" not in r:
        return lines
    w = r["woasr-default"]
    targets = [("wct-batched", 1.2)] + ([("wct-default", 3.0)] if label == "recording" else [])
    for peer, target in targets:
        if peer in r:
            value = r[peer].wall / w.wall
            lines.append(f"{label}: throughput woasr-default / {peer} {value:.2f}x (CPU "
                         f"{r[peer].cpu / w.cpu:.2f}x) (target >= {target})  "
                         f"{verdict(value >= target)}")  # fmt: skip
    if "wct-default" in r and w.wer is not None and r["wct-default"].wer is not None:
        a, b = w.wer, r["wct-default"].wer
        lines.append(f"{label}: WER woasr-default {a:.3f} vs wct-default {b:.3f}"
                     + (f", wct-batched {r['wct-batched'].wer:.3f}" if "wct-batched" in r else "")
                     + f" (target <= wct-default)  {verdict(a <= b + 1e-9)}")  # fmt: skip
    return lines


def report(rows: list[str], lines: list[str], results: list[Result], to: Path | None) -> None:
    """Print the table and the verdicts; with ``to``, also write them there as JSON."""
    print("\n" + "\n".join(rows) + "\n" + "\n".join(lines))
    print(f"uptime load after: {os.getloadavg()}")
    if to:
        to.write_text(json.dumps({"results": [asdict(r) for r in results], "lines": lines}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 10-minute recording, 8+10 files")
    parser.add_argument("--minutes", type=float, default=None, help="length of the recording")
    parser.add_argument(
        "--only", nargs="*", default=None, help="runner names, or 'folder'/'memory'"
    )
    parser.add_argument("--cache", type=Path, default=Path("/tmp/woasr-bench"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--model", help="CTranslate2 model directory (default: tiny.en)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda, for every runner")
    parser.add_argument("--compute-type", default="int8", help="for every runner")
    args = parser.parse_args()
    minutes = args.minutes or (10 if args.quick else 60)
    model = args.model or model_dir()
    engine = (args.device, args.compute_type)
    args.cache.mkdir(parents=True, exist_ok=True)
    recording = args.cache / f"recording_{minutes:g}min.flac"
    meta = corpus.build_recording(recording, minutes)
    first = args.cache / "recording_1min.flac"
    corpus.build_recording(first, 1)
    files = 8 if args.quick else 24
    folder = args.cache / f"mixed{files}"
    refs = corpus.build_mixed(folder, files)
    out = args.cache / "out17"
    print(f"machine: {os.cpu_count()} cores; model {model} on {args.device} {args.compute_type}; "
          f"uptime load {os.getloadavg()}")  # fmt: skip
    print(f"recording: {minutes:g} min, {len(meta['words'])} known word starts, "
          f"{len(meta['pauses'])} pauses >= 1.5 s; folder: {len(folder_inputs(folder))} files, "
          f"{corpus.duration(folder) / 60:.1f} min, {len(refs)} scored")  # fmt: skip
    names = [n for n in RUNNERS if not args.only or n in args.only]
    results: list[Result] = []
    lines: list[str] = []
    for name in names:
        cmd = commands([recording], out / "rec", model, *engine)[name]
        wall, cpu, peak, load = run(name, cmd, out / "rec" / name, "recording")
        wer = recording_wer(out / "rec" / name / f"{recording.stem}.srt", meta["reference"])
        results.append(Result(name, "recording", wall, cpu, peak, load, wer))
    if not args.only or "folder" in args.only:
        for name in names:
            cmd = commands(folder_inputs(folder), out / "folder", model, *engine)[name]
            wall, cpu, peak, load = run(name, cmd, out / "folder" / name, "folder")
            wer, _ = score(out / "folder" / name, refs)
            results.append(Result(name, "folder", wall, cpu, peak, load, wer))
    lines += ratio_lines(results, "recording") + ratio_lines(results, "folder")
    woasr = out / "rec" / "woasr-default" / recording.stem
    if woasr.with_suffix(".srt").exists():
        lines += cue_lines(woasr.with_suffix(".srt"), meta["pauses"])
        lines += word_lines(woasr.with_suffix(".json"), meta["words"])
        lines += order_lines(woasr.with_suffix(".json"))
    if "woasr-default" in names and (not args.only or "memory" in args.only):
        cmd = commands([first], out / "mem", model, *engine)["woasr-default"]
        _, _, peak1, _ = run("woasr-default", cmd, out / "mem" / "woasr-default", "1 minute")
        long = next(r for r in results if r.runner == "woasr-default" and r.input == "recording")
        ratio = long.peak_mb / peak1
        lines.append(f"memory: 1 min {peak1:.0f} MB, {minutes:g} min {long.peak_mb:.0f} MB, "
                     f"ratio {ratio:.2f} (target <= 1.25)  {verdict(ratio <= 1.25)}")  # fmt: skip
    rows = ["| input | runner | wall s | x real time | CPU s | WER | peak RSS MB | load |",
            "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    seconds = {"recording": minutes * 60, "folder": corpus.duration(folder)}
    for r in results:
        wer = "-" if r.wer is None else f"{r.wer:.3f}"
        rows.append(f"| {r.input} | {r.runner} | {r.wall:.1f} | {seconds[r.input] / r.wall:.1f} "
                    f"| {r.cpu:.1f} | {wer} | {r.peak_mb:.0f} | {r.load:.2f} |")  # fmt: skip
    report(rows, lines, results, args.json)


if __name__ == "__main__":
    main()

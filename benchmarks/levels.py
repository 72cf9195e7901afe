"""Recording levels: the same speech recorded quietly, as a microphone with its gain set low, a
far-off recorder or a 32-bit float field recording taken with headroom gives it.

    python benchmarks/levels.py [--cache DIR] [--only NAME ...] [--model DIR] [--json PATH]

Inputs (built once into --cache): the shared English clips (jfk, librispeech, pyannote_sample,
the two hibari clips, the two-voice espeak dialogue) and two negatives (the shared room tone and
white noise), each scaled to a peak of -20 (the control), -40, -50, -55 and -60 dBFS and
written as 16-bit WAV, as a recorder writes them: the quietest keep only the top bits of the
samples. And a "lecture" (session 40): the clips four times over at that level, 3 s apart (6.3
minutes, two VAD windows), with three loud moments between them - a second of noise at a
peak of -12 dBFS whatever the level, as applause, a door or a cough beside the recorder gives.
Runners, back to back, one folder per level, on the same CTranslate2 directory (tiny.en
by default), int8, beam 5, Silero VAD, SRT out: ``wct-default`` (faster-whisper's own VAD
filter), ``woasr-default`` and ``woasr-listen`` (``woasr listen --file X -o OUT``: live
captions, each file fed as fast as they go).

Printed per level and runner: WER over the English clips (Whisper's English normaliser), the
lecture's WER, how many of them came out with no words, and the words written for the
negatives. Target: down to -55 dBFS nothing comes out empty and both WERs stay within 5 points
of the control's; the negatives give no words at any level.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from corpus import load, references  # noqa: E402
from throughput import BIN, PY, measure, model_dir, normaliser, transcript_text  # noqa: E402

CLIPS = (
    "jfk.wav",
    "librispeech_1272-128104-0000.wav",
    "pyannote_sample.wav",
    "synth/hibari_en_1.wav",
    "synth/hibari_en_2.wav",
    "synth/espeak_dialogue_2voices.wav",
)
LECTURE = "lecture"  # the clips four times over, with loud moments (LOUD_AFTER)
LOUD_AFTER = (2, 9, 16)  # the lecture's loud moments come after these of its 24 clips
SCORED = (*CLIPS, LECTURE)
NEGATIVES = ("negative/room_tone_8s.wav", "white noise")
LEVELS = (-20, -40, -50, -55, -60)  # peak dBFS; -20 is the control
RUNNERS = ("wct-default", "woasr-default", "woasr-listen")
WITHIN = 0.05  # WER points over the control's allowed down to -55 dBFS


def _source(name: str) -> np.ndarray:
    if name == "white noise":
        return np.random.default_rng(3).standard_normal(8 * 16000).astype(np.float32)
    return load(name)


def _lecture(level: int) -> np.ndarray:
    gap = np.zeros(3 * 16000, dtype=np.float32)
    moment = np.random.default_rng(7).standard_normal(16000).astype(np.float32)
    moment *= 10 ** (-12 / 20) / np.abs(moment).max()
    parts: list[np.ndarray] = []
    for i, name in enumerate(CLIPS * 4):
        audio = load(name)
        parts += [audio / np.abs(audio).max() * 10 ** (level / 20), gap]
        if i in LOUD_AFTER:
            parts += [moment, gap[:16000]]
    return np.concatenate(parts)


def build(cache: Path) -> dict[int, Path]:
    folders = {}
    for level in LEVELS:
        folder = cache / f"peak{level}"
        folders[level] = folder
        if (folder / f"{LECTURE}.wav").exists():
            continue
        part = folder.with_suffix(".part")
        shutil.rmtree(part, ignore_errors=True)
        part.mkdir(parents=True)
        for name in (*CLIPS, *NEGATIVES):
            audio = _source(name)
            scaled = audio / np.abs(audio).max() * 10 ** (level / 20)
            stem = Path(name).stem.replace(" ", "_")
            sf.write(part / f"{stem}.wav", scaled, 16000, subtype="PCM_16")
        sf.write(part / f"{LECTURE}.wav", _lecture(level), 16000, subtype="PCM_16")
        shutil.rmtree(folder, ignore_errors=True)  # one built before the lecture was
        part.rename(folder)
    return folders


def commands(folder: Path, out: Path, model: str) -> dict[str, list[list[str]]]:
    files = [str(p) for p in sorted(folder.iterdir())]
    listen = [[PY, "-m", "woasr_cli", "listen", "--file", f, "-o", str(out), "-f", "srt",
               "--model", model, "--compute-type", "int8"] for f in files]  # fmt: skip
    return {
        "wct-default": [[str(BIN / "whisper-ctranslate2"), "--model_directory", model,
                        "--compute_type", "int8", "--beam_size", "5", "--vad_filter", "True",
                        "--output_format", "srt", "--device", "cpu", "--verbose", "False",
                        "--local_files_only", "True", "--output_dir", str(out), *files]],
        "woasr-default": [[PY, "-m", "woasr_cli", "transcribe", str(folder), "-o", str(out),
                          "-f", "srt", "--model", model, "--compute-type", "int8",
                          "--beam-size", "5", "--quiet", "--manifest", str(out / "m.db")]],
        "woasr-listen": listen,  # live captions of each file, as fast as it can go
    }  # fmt: skip


def scored(out: Path, refs: dict[str, str]) -> dict[str, float | int]:
    import jiwer

    norm = normaliser()
    ref_texts, hyp_texts, empty = [], [], 0
    for name in SCORED:
        path = out / (Path(name).stem + ".srt")
        hyp = norm(transcript_text(path)) if path.exists() else ""  # type: ignore[operator]
        empty += not hyp.split()
        ref_texts.append(norm(refs[name]))  # type: ignore[operator]
        hyp_texts.append(hyp)
    negative_words = 0
    for name in NEGATIVES:
        path = out / (Path(name).stem.replace(" ", "_") + ".srt")
        negative_words += len(transcript_text(path).split()) if path.exists() else 0
    wer = float(jiwer.wer(ref_texts[: len(CLIPS)], hyp_texts[: len(CLIPS)]))
    lecture = float(jiwer.wer(ref_texts[-1], hyp_texts[-1]))
    return {"wer": wer, "lecture": lecture, "empty": empty, "negative_words": negative_words}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/woasr-bench-levels"))
    parser.add_argument("--only", nargs="*", choices=RUNNERS, default=list(RUNNERS))
    parser.add_argument("--model", help="CTranslate2 model directory (default: tiny.en)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    model = args.model or model_dir()
    refs = references()
    refs[LECTURE] = " ".join([refs[name] for name in CLIPS] * 4)
    folders = build(args.cache)
    results: dict[str, dict[int, dict[str, float | int]]] = {r: {} for r in args.only}
    for level, folder in folders.items():
        for runner in args.only:
            out = args.cache / "out" / f"{runner}{level}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            started = time.strftime("%H:%M:%S")
            wall = cpu = 0.0
            for command in commands(folder, out, model)[runner]:
                one_wall, one_cpu, _ = measure(command)
                wall, cpu = wall + one_wall, cpu + one_cpu
            r = results[runner][level] = {**scored(out, refs), "wall": wall, "cpu": cpu}
            print(f"  {started} peak {level:4d} dBFS  {runner:14s} WER {r['wer']:.3f}  "
                  f"lecture {r['lecture']:.3f}  "
                  f"empty {r['empty']}/{len(SCORED)}  negatives' words {r['negative_words']}  "
                  f"{wall:5.1f} s", flush=True)  # fmt: skip
    print("\n| peak dBFS | " + " | ".join(f"{r}: WER, lecture WER, empty, negatives' words"
                                         for r in args.only)
          + " |\n|---|" + "---|" * len(args.only))  # fmt: skip
    for level in LEVELS:
        cells = [
            f"{results[r][level]['wer']:.3f}, {results[r][level]['lecture']:.3f}, "
            f"{results[r][level]['empty']}, "
            f"{results[r][level]['negative_words']}"
            for r in args.only
        ]
        print(f"| {level} | " + " | ".join(cells) + " |")
    for runner in args.only:
        at = results[runner]
        ok = all(
            at[lv]["empty"] == 0
            and at[lv]["wer"] <= at[LEVELS[0]]["wer"] + WITHIN
            and at[lv]["lecture"] <= at[LEVELS[0]]["lecture"] + WITHIN
            for lv in LEVELS
            if lv >= -55
        ) and all(at[lv]["negative_words"] == 0 for lv in LEVELS)
        rule = f"nothing empty, both WERs within {WITHIN * 100:.0f} points of the control's"
        print(f"{runner}: {'PASS' if ok else 'FAIL'} ({rule} down to -55 dBFS; negatives silent)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

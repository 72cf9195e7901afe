"""A long recording the long-file work was not tuned on: a noisy two-voice podcast (issue 17).

    python benchmarks/long_heldout.py [--minutes 20] [--seed 19] [--only NAME ...] [--json PATH]

``long_recording.py``'s hour is espeak-ng sentences between the shared clips, with a pause of
0.3-2.4 s after every piece; woasr's long-file pipeline (VAD chunking, batching, the rests of
early-ended chunks) was measured and tuned on it. This one is built differently, so a result
that holds only there shows up here:

- running talk: turns of one to three sentences with 0.15-1.0 s between them, a pause of 1.5 s or
  more only now and then (VAD finds few places to cut);
- two voices of different kinds: a neural voice (hibari-tts, at 0.95-1.15x) and espeak-ng voices
  at 150-190 words a minute;
- text written for this benchmark (no sentence of the other benchmarks);
- the shared room tone under all of it at 20 dB SNR (relative to the speech).

Runners as ``long_recording.py`` runs them (whisper-ctranslate2 default and ``--batched True
--batch_size 8``, woasr's defaults; tiny.en int8, beam 5, VAD), on the same model directory.
Printed: wall, CPU and peak RSS per runner, the throughput ratios against the issue's targets
(woasr >= 1.2x wct-batched, >= 3x wct-default), WER (Whisper's English normaliser) against
wct-default's, and the subtitle cue checks on woasr's SRT. The recording is built once into
``--cache`` (about 10 s for 20 minutes of audio). Each runner's errors are also split by the
voice of the reference words (substitutions and deletions of its words, insertions where they
fall), so a difference between runners can be told apart from the voices' own difficulty.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import corpus  # noqa: E402
from long_recording import (  # noqa: E402
    RUNNERS,
    Result,
    commands,
    cue_lines,
    ratio_lines,
    recording_wer,
    report,
    run,
)
from throughput import model_dir, normaliser, transcript_text  # noqa: E402
from word_timing import espeak_words  # noqa: E402

VERSION = "2"  # 2: each sentence's voice in the JSON
SENTENCES = (
    "Welcome back to the show, where every week we talk to people who fix the things the rest "
    "of us take for granted.",
    "Today my guest runs the water works for a town of about forty thousand people.",
    "Thanks for having me, it is not often that anyone asks about pipes.",
    "So what does a normal morning look like for you?",
    "It starts with the overnight report, which tells us how much water went out and whether "
    "any pressure dropped.",
    "If the pressure falls in one part of town, that usually means a main has burst somewhere.",
    "And how quickly can you find it?",
    "Sometimes in ten minutes, because a neighbour calls us about water running down the street.",
    "Other times it takes two days of listening at valves with a steel rod.",
    "You actually listen to the pipes?",
    "We do, a leak makes a hiss you can hear through the metal if the traffic is quiet.",
    "That is why a lot of our searching happens after midnight.",
    "Let us talk about money, because people always complain about their water bill.",
    "Most of the bill pays for work nobody sees, like replacing old mains before they fail.",
    "Some of our pipes were laid more than a hundred years ago, and a few are still made of "
    "cast iron.",
    "Replacing a single street can cost as much as a small house.",
    "What about the quality of the water itself?",
    "We take samples every day from taps all over town and send them to a lab in the city.",
    "The results are public, and anyone can read them on our website.",
    "Has there ever been a real emergency?",
    "Once, during a very cold winter, the intake froze and we had less than a day of water stored.",
    "We asked everyone to stop washing cars and watering gardens, and people really listened.",
    "By the next evening the river had thawed enough to start pumping again.",
    "That sounds stressful.",
    "It was, but it also showed us which parts of the system we had to change.",
    "We built a second intake further upstream, where the water moves faster and does not freeze.",
    "What do you wish listeners knew about their own homes?",
    "Know where your stop valve is, and check that it still turns before you need it.",
    "A dripping tap wastes more water in a year than most people would guess.",
    "And if your water ever smells strange, call us first instead of posting about it online.",
    "Before we finish, what got you into this work in the first place?",
    "My grandfather was a plumber, and I spent my summers carrying his tools.",
    "He used to say that clean water is the quietest kind of public health.",
    "I think about that line almost every day.",
    "Our listeners sent in a few questions, so let us go through them quickly.",
    "The first one asks whether bottled water is safer than water from the tap.",
    "In most towns tap water is tested far more often than anything sold in a bottle.",
    "The second asks why the water sometimes looks cloudy in the morning.",
    "That is usually tiny air bubbles, and it clears if you let the glass stand for a minute.",
    "The last question is about the new meters being installed this spring.",
    "They send a reading every hour, so a leak inside a house shows up the same day.",
    "Residents will get a letter about two weeks before the crew comes to their street.",
    "Well, that is all the time we have for this episode.",
    "Thank you for explaining all of this so clearly.",
    "It was a pleasure, and remember to check that valve.",
    "Next week we visit the people who keep the traffic lights running through the night.",
)
HOST_SPEEDS = (0.95, 1.05, 1.15)
GUESTS = (("en-us+m3", 150), ("en+f2", 170), ("en-us+m3", 190), ("en+f2", 160))
GAPS = (0.15, 0.25, 0.4, 0.6, 0.8, 1.0, 0.3, 0.5, 1.8, 2.5)  # seconds between turns
SNR_DB = 20.0


def _voice(text: str, host: bool, k: int, hibari: Any) -> np.ndarray:
    """One sentence as 16 kHz float32, in the host's (hibari) or a guest's (espeak-ng) voice."""
    if host:
        audio = np.asarray(hibari(text, speed=HOST_SPEEDS[k % 3], seed=k), dtype=np.float32)
        return corpus.resample(audio, 24000)
    voice, wpm = GUESTS[k % len(GUESTS)]
    pcm, rate, _ = espeak_words(text, voice, wpm)
    return corpus.resample(pcm, rate)


def _voice_name(host: bool, k: int) -> str:
    if host:
        return f"hibari x{HOST_SPEEDS[k % 3]}"
    voice, wpm = GUESTS[k % len(GUESTS)]
    return f"espeak {voice} {wpm}"


def build(path: Path, minutes: float, seed: int = 19) -> dict[str, Any]:
    """The recording as FLAC (cached with its reference text and pauses >= 1.5 s as JSON)."""
    cached = corpus.cached_meta(path, VERSION)
    if cached is not None:
        return cached
    from hibari import Hibari

    hibari = Hibari()
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    total = int(minutes * 60 * corpus.RATE)
    speech: list[np.ndarray] = []
    texts: list[str] = []
    voices: list[str] = []
    pauses: list[tuple[float, float]] = []
    at, k, host = 0, 0, True
    order: list[int] = []
    while True:
        turn: list[np.ndarray] = []
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            if not order:
                order = list(range(len(SENTENCES)))
                rng.shuffle(order)
            text = SENTENCES[order.pop()]
            turn.append(_voice(text, host, k, hibari))
            turn.append(np.zeros(int(rng.uniform(0.1, 0.35) * corpus.RATE), np.float32))
            texts.append(text)
            voices.append(_voice_name(host, k))
            k += 1
        audio = np.concatenate(turn)
        gap = int(rng.choice(GAPS) * corpus.RATE)
        if at + len(audio) + gap > total:
            texts = texts[: len(texts) - len(turn) // 2]
            voices = voices[: len(texts)]
            break
        speech += [audio, np.zeros(gap, np.float32)]
        at += len(audio)
        if gap >= 1.5 * corpus.RATE:
            pauses.append((at / corpus.RATE, (at + gap) / corpus.RATE))
        at += gap
        host = not host
    speech.append(np.zeros(max(total - at, 0), np.float32))
    clean = np.concatenate(speech)
    tone = corpus.load("negative/room_tone_8s.wav")
    noise = np.resize(tone, len(clean)).astype(np.float32)
    voiced = clean[np.abs(clean) > 1e-4]
    gain = np.sqrt(np.mean(voiced**2) / (np.mean(noise**2) * 10 ** (SNR_DB / 10)))
    mixed = np.clip(clean + gain * noise, -1.0, 1.0).astype(np.float32)
    partial = path.with_suffix(".part.flac")
    corpus.write(partial, mixed, "flac")
    partial.replace(path)
    meta_path = path.with_suffix(".json")
    meta = {"version": VERSION, "reference": " ".join(texts), "pauses": pauses,
            "sentences": [[v, t] for v, t in zip(voices, texts, strict=True)]}  # fmt: skip
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    return meta


def voice_lines(meta: dict[str, Any], srt_path: Path, runner: str) -> list[str]:
    """Errors per voice: a reference word's substitution or deletion counts for its voice, an
    insertion for the voice of the reference word where it falls."""
    import jiwer

    norm = normaliser()
    owner: list[str] = []
    for voice, text in meta["sentences"]:
        owner += [voice] * len(norm(text).split())
    ref = norm(meta["reference"]).split()
    hyp = norm(transcript_text(srt_path)).split() if srt_path.exists() else []
    if len(owner) != len(ref) or not hyp:
        return []
    errors: dict[str, int] = dict.fromkeys(owner, 0)
    for op in jiwer.process_words(" ".join(ref), " ".join(hyp)).alignments[0]:
        if op.type in ("substitute", "delete"):
            for i in range(op.ref_start_idx, op.ref_end_idx):
                errors[owner[i]] += 1
        elif op.type == "insert":
            errors[owner[min(op.ref_start_idx, len(owner) - 1)]] += (
                op.hyp_end_idx - op.hyp_start_idx
            )
    words = {v: owner.count(v) for v in errors}
    parts = [f"{v} {errors[v] / words[v]:.3f}" for v in sorted(errors)]
    return [f"WER by voice, {runner}: " + ", ".join(parts)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--only", nargs="*", default=None, help="runner names")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/woasr-bench"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--model", help="CTranslate2 model directory (default: tiny.en)")
    parser.add_argument(
        "--seed", type=int, default=19, help="another podcast: the turns' order, voices and gaps"
    )
    args = parser.parse_args()
    model = args.model or model_dir()
    args.cache.mkdir(parents=True, exist_ok=True)
    seeded = "" if args.seed == 19 else f"_seed{args.seed}"
    recording = args.cache / f"podcast_{args.minutes:g}min{seeded}.flac"
    meta = build(recording, args.minutes, args.seed)
    out = args.cache / "out17h"
    print(f"machine: {os.cpu_count()} cores; model {model}; load {os.getloadavg()}")
    print(f"recording: {args.minutes:g} min, {len(meta['reference'].split())} words, "
          f"{len(meta['pauses'])} pauses >= 1.5 s")  # fmt: skip
    results: list[Result] = []
    for name in [n for n in RUNNERS if not args.only or n in args.only]:
        cmd = commands([recording], out, model)[name]
        wall, cpu, peak, load = run(name, cmd, out / name, "podcast")
        wer = recording_wer(out / name / f"{recording.stem}.srt", meta["reference"])
        results.append(Result(name, "recording", wall, cpu, peak, load, wer))
    lines = ratio_lines(results, "recording")
    for r in results:
        lines += voice_lines(meta, out / r.runner / f"{recording.stem}.srt", r.runner)
    srt_path = out / "woasr-default" / f"{recording.stem}.srt"
    if srt_path.exists():
        lines += cue_lines(srt_path, meta["pauses"])
    rows = ["| runner | wall s | x real time | CPU s | WER | peak RSS MB | load |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        wer = "-" if r.wer is None else f"{r.wer:.3f}"
        rows.append(f"| {r.runner} | {r.wall:.1f} | {args.minutes * 60 / r.wall:.1f} | "
                    f"{r.cpu:.1f} | {wer} | {r.peak_mb:.0f} | {r.load:.2f} |")  # fmt: skip
    report(rows, lines, results, args.json)


if __name__ == "__main__":
    main()

"""Reverberant rooms, held out: where Silero VAD drops speech a hall smears, and what woasr
writes there, against music and noise that must stay silent.

    python benchmarks/reverb.py [--cache DIR] [--only CASE ...] [--runners NAME ...] [--vad-only]

Built once into --cache (default /tmp/woasr-reverb) from ../shared/audio, hibari-tts and
espeak-ng; nothing here is used by benchmarks/degraded.py (whose one hall, RT60 1.5 s, is the
case these rooms check a rule against). Rooms are synthetic impulse responses - a direct path,
15 ms of nothing, then exponentially decaying noise - each with its own seed:

  rt0.6 / rt1.2 / rt2.0   RT60 0.6, 1.2, 2.0 s; reverberant energy 1x, 2x, 4x the direct sound's
  rt1.2tilt               RT60 1.2 s below 1.5 kHz, 0.6 s above (walls absorb the highs), 3x

over three speech sets (0.5 s apart): ``lecture`` (five hibari sentences of a physics lecture),
``espeak`` (four espeak-ng en-gb-x-rp sentences) and ``real`` (pyannote_sample and both sides of
fw_stereo_diarization: recorded voices); plus ``jfk_rt*`` (jfk.wav alone in four more rooms,
RT60 0.8-2.0 s), ``phone_room`` (300-3400 Hz speech in a bare room, RT60 1.0 s, 3x) and
negatives that must give no words: plucked chords and 9 Hz-tremolo pink noise, dry and in a
hall, the shared room tone dry and in a hall, and 60 s of -70 dBFS noise.

Printed per case: the share of the spoken spans (reverb tails allowed) that woasr's speech cut
(``speech_chunks.speech_spans``) covers, and with runners (degraded.py's: ``woasr-base``,
``woasr-tiny``, ``fw-base``, ``fw-tiny``) WER, or the words written on a negative, and CPU s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent / "src")]  # the cover: this checkout's speech cut
from corpus import RATE, SHARED, load, references  # noqa: E402
from degraded import RUNNERS, _music, _pink, run, score  # noqa: E402

LECTURE = (
    "Today we will look at how heat moves through a solid body.",
    "The first idea is conduction, where energy passes from one atom to its neighbour.",
    "Metals conduct heat well because their electrons are free to move.",
    "In the second half of the lecture we will derive the diffusion equation.",
    "Please write down the boundary conditions before you solve it.",
)
ESPEAK = (
    "The committee approved the new budget after a long debate on Thursday.",
    "Remember to bring your student card to the examination hall.",
    "A river carries sand and small stones towards the sea every winter.",
    "The library closes early during the holiday week.",
)
ROOMS = {  # name: (RT60 s, seed, reverberant / direct energy, highs decay twice as fast)
    "rt0.6": (0.6, 21, 1.0, False),
    "rt1.2": (1.2, 22, 2.0, False),
    "rt2.0": (2.0, 23, 4.0, False),
    "rt1.2tilt": (1.2, 24, 3.0, True),
}
JFK_ROOMS = {
    "jfk_rt0.8": (0.8, 4),
    "jfk_rt1.2": (1.2, 1),
    "jfk_rt1.5": (1.5, 2),
    "jfk_rt2.0": (2.0, 3),
}
GAP = 0.5


def _tts(kind: str, text: str, wav: Path) -> np.ndarray:
    if kind == "hibari":
        cmd = [str(Path(sys.executable).parent / "hibari"), "--seed", "11", "--speed", "0.95"]
        subprocess.run([*cmd, "-o", str(wav), text], check=True, capture_output=True)
    else:
        cmd = ["espeak-ng", "-v", "en-gb-x-rp", "-s", "150", "-w", str(wav), text]
        subprocess.run(cmd, check=True, capture_output=True)
    return load(str(wav))


def _side(name: str, channel: int) -> np.ndarray:
    audio, rate = sf.read(SHARED / name, dtype="float32")
    assert rate == RATE
    return np.asarray(audio[:, channel], dtype=np.float32)


def _join(parts: list[tuple[np.ndarray, str]]) -> tuple[np.ndarray, list[tuple[float, float]], str]:
    gap = np.zeros(int(GAP * RATE), np.float32)
    audio, spans, at = [gap], [], GAP
    for clip, _ in parts:
        audio += [np.asarray(clip / max(1e-6, float(np.abs(clip).max())) * 0.5, np.float32), gap]
        spans.append((at, at + len(clip) / RATE))
        at += len(clip) / RATE + GAP
    return np.concatenate(audio), spans, " ".join(text for _, text in parts)


def _response(rt60: float, seed: int, ratio: float, tilt: bool = False) -> np.ndarray:
    n = int((rt60 + 0.2) * RATE)
    t = np.arange(n) / RATE
    noise = np.random.default_rng(seed).standard_normal(n)
    if tilt:
        spectrum = np.fft.rfft(noise)
        low = np.fft.irfft(np.where(np.fft.rfftfreq(n, 1 / RATE) < 1500, spectrum, 0), n)
        tail = low * np.exp(-6.9 * t / rt60) + (noise - low) * np.exp(-6.9 * t / (rt60 / 2))
    else:
        tail = noise * np.exp(-6.9 * t / rt60)
    tail[: int(0.015 * RATE)] = 0
    response = tail * np.sqrt(ratio / float(tail @ tail))
    response[0] = 1.0
    return response


def _in_room(audio: np.ndarray, response: np.ndarray) -> np.ndarray:
    size = len(audio) + len(response)
    wet = np.fft.irfft(np.fft.rfft(audio, size) * np.fft.rfft(response, size), size)
    wet = wet[: len(audio) + RATE]
    return np.asarray(wet / np.abs(wet).max() * 0.7, dtype=np.float32)


def build(cache: Path) -> dict[str, dict[str, object]]:
    """Writes the cases into ``cache``; returns {case: {file, spans, reference}} (reused)."""
    index = cache / "cases.json"
    if index.exists():
        built: dict[str, dict[str, object]] = json.loads(index.read_text())
        return built
    cache.mkdir(parents=True, exist_ok=True)
    refs = references()
    sets = {
        "lecture": [(_tts("hibari", t, cache / "tts.wav"), t) for t in LECTURE],
        "espeak": [(_tts("espeak", t, cache / "tts.wav"), t) for t in ESPEAK],
        "real": [
            (load(str(SHARED / "pyannote_sample.wav")), refs["pyannote_sample.wav"]),
            (_side("fw_stereo_diarization.wav", 0), refs["fw_stereo_diarization.wav#left"]),
            (_side("fw_stereo_diarization.wav", 1), refs["fw_stereo_diarization.wav#right"]),
        ],
    }
    cases: dict[str, dict[str, object]] = {}

    def case(name: str, audio: np.ndarray, spans: list[tuple[float, float]], text: str) -> None:
        sf.write(cache / f"{name}.wav", audio, RATE, subtype="PCM_16")
        cases[name] = {"file": str(cache / f"{name}.wav"), "spans": spans, "reference": text}

    for name, parts in sets.items():
        dry, spans, text = _join(parts)
        case(f"{name}_dry", dry, spans, text)
        for room, (rt60, seed, ratio, tilt) in ROOMS.items():
            tailed = [(a, b + rt60) for a, b in spans]
            case(f"{name}_{room}", _in_room(dry, _response(rt60, seed, ratio, tilt)), tailed, text)
    jfk = load(str(SHARED / "jfk.wav"))
    for name, (rt60, seed) in JFK_ROOMS.items():
        response = _response(rt60, seed, 2.0)
        case(name, _in_room(jfk, response), [(0.3, 10.5 + rt60)], refs["jfk.wav"])
    dry, spans, text = _join(sets["lecture"][:3] + sets["real"][1:])
    spectrum = np.fft.rfft(dry)
    freqs = np.fft.rfftfreq(len(dry), 1 / RATE)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    phone = np.fft.irfft(spectrum, len(dry))
    case(
        "phone_room", _in_room(phone, _response(1.0, 25, 3.0)), [(a, b + 1) for a, b in spans], text
    )
    t = np.arange(30 * RATE) / RATE
    chords = _music(30)
    applause = _pink(30, 9) * (1 + 0.8 * np.sin(2 * np.pi * 9 * t))
    room_tone = load(str(SHARED / "negative" / "room_tone_8s.wav"))
    quiet = np.random.default_rng(5).standard_normal(60 * RATE) * 10 ** (-70 / 20)
    for name, audio in {
        "neg_music": chords / np.abs(chords).max() * 0.5,
        "neg_music_hall": _in_room(chords, _response(1.5, 26, 2.0)),
        "neg_applause": applause / np.abs(applause).max() * 0.5,
        "neg_applause_hall": _in_room(applause, _response(1.5, 27, 2.0)),
        "neg_room_tone": room_tone,
        "neg_room_tone_hall": _in_room(room_tone, _response(1.2, 28, 2.0)) * 0.1,
        "neg_quiet_60s": quiet,
    }.items():
        case(name, np.asarray(audio, np.float32), [], "")
    (cache / "tts.wav").unlink(missing_ok=True)
    index.write_text(json.dumps(cases, indent=1))
    return cases


def covered(case: dict[str, object]) -> tuple[float, float]:
    """The share of the case's spoken spans that woasr's speech cut covers; its seconds."""
    from woasr_cli.providers.speech_chunks import speech_spans

    audio, _ = sf.read(str(case["file"]), dtype="float32")
    cut, _ = speech_spans(audio)
    mask = np.zeros(len(audio), bool)
    for start, end in cut:
        mask[start:end] = True
    spans = case["spans"]
    assert isinstance(spans, list)
    spoken = [mask[int(a * RATE) : int(b * RATE)] for a, b in spans]
    share = sum(int(s.sum()) for s in spoken) / max(1, sum(len(s) for s in spoken))
    return share, float(mask.sum()) / RATE


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/woasr-reverb"))
    ap.add_argument("--only", nargs="+", default=None)
    ap.add_argument("--runners", nargs="+", choices=RUNNERS, default=["woasr-base", "woasr-tiny"])
    ap.add_argument("--vad-only", action="store_true", help="print the speech cut's cover only")
    args = ap.parse_args()
    cases = build(args.cache)
    out = args.cache / "out"
    print(f"{'case':20} {'cover':>6} {'cut s':>6}  runner      WER/words   cpu")
    for name in args.only or list(cases):
        share, seconds = covered(cases[name])
        head = f"{name:20} {share:6.1%} {seconds:6.1f}"
        if args.vad_only:
            print(head, flush=True)
            continue
        for runner in args.runners:
            _, cpu, data = run(runner, str(cases[name]["file"]), out / runner)
            words = data["words"]
            assert isinstance(words, list)
            if cases[name]["reference"]:
                shown = f"{score(cases[name], data)[0]:7.1%}"
            else:  # a negative: every word written is invented
                shown = f"{len(words):3d} words"
            print(f"{head}  {runner:10} {shown:>9} {cpu:5.1f}", flush=True)


if __name__ == "__main__":
    main()

"""Degraded recordings, held out: speech that reaches woasr the way bad rooms, cables and phones
deliver it, scored from the files woasr writes.

    python benchmarks/degraded.py [--cache DIR] [--only CASE ...] [--runners NAME ...]

Built once into --cache (default /tmp/woasr-degraded) from ../shared/audio and new speech
(espeak-ng, and hibari-tts from this virtualenv's ``hibari``; the effects are numpy's and
FFmpeg's through PyAV, so nothing but espeak-ng is needed beside the virtualenv): 36 s of
speech - jfk, the LibriSpeech clip, three hibari sentences and an espeak-ng one that no other
benchmark uses, 0.6 s apart - and these cases of it:

  plain          the speech as it is (control)
  phase          stereo, the right channel the left turned upside down (a mono mix cancels it)
  phase_noise    the same with independent room noise on each side at -30 dB
  one_side_0db   stereo, speech on the left, pink noise as loud on the right
  one_side_6db   the same with the noise 6 dB louder
  call_turns     stereo, a call taking turns: jfk and the 1st and 3rd new sentences clean on the
                 left; the LibriSpeech clip and the 2nd and 4th on the right, as a noisy phone
                 line gives them (compressed, white noise 8 dB under them all through)
  telephone      300-3400 Hz, 8 kHz, mu-law WAV
  reverb         a large hall: an impulse response of decaying noise, RT60 1.5 s, the reverberant
                 energy twice the direct sound's
  clipped        +20 dB, then hard clipped at full scale
  music_10db     over a bed of plucked chords and a bass line 10 dB under the speech
  music_20db     the same bed 20 dB under
  music_intro    60 s of the bed alone at -3 dB, then the speech
  applause_outro the speech, then 60 s of pink noise with a 9 Hz tremolo at -3 dB
  fast / slow    FFmpeg's atempo 1.6 / 0.7 (pitch kept)

Runners: ``woasr-base`` (``woasr transcribe FILE -o OUT``, the default model), ``woasr-tiny``
(``--model`` tiny.en), ``fw-base`` / ``fw-tiny``: faster-whisper as whisper-ctranslate2 runs it
(int8, beam 5, temperature fallback, no VAD filter, word timestamps on) with its own decode.
Printed per case and runner: WER (Whisper's English normaliser), words placed outside the speech
(a word whose middle is over 1 s from any spoken span; reverb tails and tempo are allowed for),
srt cues over 42 characters a line, 2 lines or 7 s (woasr only), language, wall and CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from corpus import RATE, load, references  # noqa: E402
from throughput import BIN, ENV, PY, model_dir, normaliser  # noqa: E402

NEW_SPEECH = (  # (voice, text): sentences of this benchmark's own
    ("hibari", "The museum will open its new wing on the first Monday of April."),
    ("hibari", "Our train was delayed for forty minutes because of a signal failure near the "
               "bridge."),
    ("espeak", "The weather service expects heavy rain along the coast tomorrow morning."),
    ("hibari", "She bought three kilograms of apples and a loaf of fresh bread at the market."),
)  # fmt: skip
SHARED_SPEECH = ("jfk.wav", "librispeech_1272-128104-0000.wav")
GAP = 0.6
CASES = (
    "plain", "phase", "phase_noise", "one_side_0db", "one_side_6db", "call_turns",
    "telephone", "reverb",
    "clipped", "music_10db", "music_20db", "music_intro", "applause_outro", "fast", "slow",
)  # fmt: skip
RUNNERS = ("woasr-base", "woasr-tiny", "fw-base", "fw-tiny")
SLACK = 1.0  # seconds a word's middle may lie outside the spoken spans


def _tts(voice: str, text: str, scratch: Path) -> np.ndarray:
    wav = scratch / "tts.wav"
    if voice == "hibari":
        subprocess.run([str(BIN / "hibari"), "--seed", "7", "-o", str(wav), text], check=True,
                       capture_output=True)  # fmt: skip
    else:
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), text],
                       check=True, capture_output=True)  # fmt: skip
    audio = load(str(wav))
    return np.asarray(audio / max(1e-6, float(np.abs(audio).max())) * 0.5, dtype=np.float32)


def _speech(scratch: Path) -> tuple[np.ndarray, list[tuple[float, float]], str]:
    refs = references()
    parts = [(load(c), refs[c]) for c in SHARED_SPEECH]
    parts += [(_tts(voice, text, scratch), text) for voice, text in NEW_SPEECH]
    gap = np.zeros(int(GAP * RATE), np.float32)
    audio, spans, at = [gap], [], GAP
    for clip, _ in parts:
        audio += [clip, gap]
        spans.append((at, at + len(clip) / RATE))
        at += len(clip) / RATE + GAP
    return np.concatenate(audio), spans, " ".join(text for _, text in parts)


def _rms(audio: np.ndarray) -> float:
    loud = audio[np.abs(audio) > 1e-3]
    return float(np.sqrt(np.mean(loud**2))) if loud.size else 0.0


def _at(audio: np.ndarray, rms: float) -> np.ndarray:
    return np.asarray(audio * (rms / max(_rms(audio), 1e-9)), dtype=np.float32)


def _pink(seconds: float, seed: int) -> np.ndarray:
    white = np.random.default_rng(seed).standard_normal(int(seconds * RATE))
    spectrum = np.fft.rfft(white)
    spectrum[1:] /= np.sqrt(np.arange(1, len(spectrum)))
    return np.asarray(np.fft.irfft(spectrum, len(white)), dtype=np.float32)


def _band(audio: np.ndarray, low: float, high: float) -> np.ndarray:
    spectrum = np.fft.rfft(audio)
    freqs = np.fft.rfftfreq(len(audio), 1 / RATE)
    spectrum[(freqs < low) | (freqs > high)] = 0
    return np.asarray(np.fft.irfft(spectrum, len(audio)), dtype=np.float32)


def _write_mulaw(path: Path, audio: np.ndarray) -> None:
    """8 kHz mu-law WAV, as a telephone line or a call recorder writes it."""
    import av

    with av.open(str(path), "w", format="wav") as container:
        stream: Any = container.add_stream("pcm_mulaw", rate=8000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=8000)
        frame = av.AudioFrame.from_ndarray(audio[None].astype(np.float32), format="flt",
                                           layout="mono")  # fmt: skip
        frame.sample_rate = RATE
        for out in [*resampler.resample(frame), *resampler.resample(None)]:
            out.pts = None
            for packet in stream.encode(out):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def _reverb(audio: np.ndarray) -> np.ndarray:
    t = np.arange(int(1.6 * RATE)) / RATE
    tail = np.random.default_rng(4).standard_normal(len(t)) * np.exp(-6.9 * t / 1.5)
    tail[: int(0.02 * RATE)] = 0  # 20 ms before the first reflections
    response = tail * np.sqrt(2 / float(tail @ tail))
    response[0] = 1.0
    size = len(audio) + len(response)
    wet = np.fft.irfft(np.fft.rfft(audio, size) * np.fft.rfft(response, size), size)
    return np.asarray(wet[: len(audio) + RATE], dtype=np.float32)


def _tempo(audio: np.ndarray, factor: float) -> np.ndarray:
    """FFmpeg's atempo (WSOLA: the pitch kept) through PyAV's filter graph."""
    import av
    from av.filter import Graph

    graph = Graph()
    source = graph.add_abuffer(format="flt", sample_rate=RATE, layout="mono")
    atempo = graph.add("atempo", str(factor))
    sink = graph.add("abuffersink")
    source.link_to(atempo)
    atempo.link_to(sink)
    graph.configure()
    out: list[np.ndarray] = []
    for start in [*range(0, len(audio), RATE), None]:
        frame = None
        if start is not None:
            frame = av.AudioFrame.from_ndarray(audio[None, start : start + RATE], format="flt",
                                               layout="mono")  # fmt: skip
            frame.sample_rate, frame.pts = RATE, start
        graph.push(frame)
        while True:
            try:
                out.append(graph.pull().to_ndarray()[0])
            except (av.BlockingIOError, av.EOFError):
                break
    return np.concatenate(out)


def _music(seconds: float) -> np.ndarray:
    """Plucked triads (I-vi-IV-V, 2 s each) arpeggied in eighths over a held bass: tonal,
    rhythmic and wide-band enough that Whisper models take it for a song."""
    t = np.arange(int(0.25 * RATE)) / RATE
    chords = [(261.6, 329.6, 392.0), (220.0, 261.6, 329.6), (174.6, 220.0, 261.6),
              (196.0, 246.9, 293.7)]  # fmt: skip
    out = np.zeros(int(seconds * RATE) + RATE, np.float32)
    for step in range(int(seconds / 0.25)):
        chord = chords[(step // 8) % 4]
        f = chord[step % 3] * (2 if step % 6 >= 3 else 1)
        note = sum(np.sin(2 * np.pi * f * k * t) / k for k in (1, 2, 3, 4)) * np.exp(-t * 9)
        start = step * int(0.25 * RATE)
        out[start : start + len(t)] += note.astype(np.float32)
        if step % 8 == 0:
            tb = np.arange(2 * RATE) / RATE
            bass = np.sin(2 * np.pi * chord[0] / 2 * tb) * 0.6 * np.exp(-tb * 0.8)
            end = min(len(out), start + len(tb))
            out[start:end] += bass[: end - start].astype(np.float32)
    return out[: int(seconds * RATE)]


def build(cache: Path) -> dict[str, dict[str, object]]:
    """Writes the cases into ``cache``; returns {case: {file, spans, reference}} (reused)."""
    index = cache / "cases.json"
    if index.exists():
        built: dict[str, dict[str, object]] = json.loads(index.read_text())
        return built
    cache.mkdir(parents=True, exist_ok=True)
    scratch = cache / "scratch"
    scratch.mkdir(exist_ok=True)
    speech, spans, text = _speech(scratch)
    level = _rms(speech)
    seconds = len(speech) / RATE
    plain = cache / "plain.wav"
    sf.write(plain, speech, RATE, subtype="PCM_16")
    cases: dict[str, dict[str, object]] = {}

    def case(name: str, path: Path, shift: float = 0.0, scale: float = 1.0, tail: float = 0.0):
        moved = [(shift + a * scale, shift + b * scale + tail) for a, b in spans]
        cases[name] = {"file": str(path), "spans": moved, "reference": text}

    case("plain", plain)
    noise = np.random.default_rng(1).standard_normal((2, len(speech))).astype(np.float32)
    for name, right, extra in (
        ("phase", -speech, None),
        ("phase_noise", -speech, _at(noise[0], level) * 10 ** (-30 / 20)),
    ):
        left = speech + (extra if extra is not None else 0)
        right = right + (_at(noise[1], level) * 10 ** (-30 / 20) if extra is not None else 0)
        sf.write(cache / f"{name}.wav", np.stack([left, right], 1), RATE, subtype="PCM_16")
        case(name, cache / f"{name}.wav")
    for db in (0, 6):
        right = _at(_pink(seconds, 2), level * 10 ** (db / 20))
        stereo = np.clip(np.stack([speech, right], 1), -1, 1)
        sf.write(cache / f"one_side_{db}db.wav", stereo, RATE, subtype="PCM_16")
        case(f"one_side_{db}db", cache / f"one_side_{db}db.wav")
    left, right = np.zeros_like(speech), np.zeros_like(speech)
    for turn, (a, b) in enumerate(spans):
        part = slice(int(a * RATE), int(b * RATE))
        if turn % 2 == 0:
            left[part] = speech[part]
        else:
            right[part] = np.tanh(8 * speech[part] / np.abs(speech[part]).max())
    right = _at(right, level) + _at(noise[1], level * 10 ** (-8 / 20))
    stereo = np.clip(np.stack([left, right], 1), -1, 1)
    sf.write(cache / "call_turns.wav", stereo, RATE, subtype="PCM_16")
    case("call_turns", cache / "call_turns.wav")
    _write_mulaw(cache / "telephone.wav", _band(speech, 300, 3400))
    case("telephone", cache / "telephone.wav")
    reverb = _reverb(speech)
    sf.write(cache / "reverb.wav", reverb / np.abs(reverb).max() * 0.7, RATE, subtype="PCM_16")
    case("reverb", cache / "reverb.wav", tail=1.5)
    clipped = np.clip(speech * 10, -1, 1)
    sf.write(cache / "clipped.wav", clipped, RATE, subtype="PCM_16")
    case("clipped", cache / "clipped.wav")
    bed = _music(seconds)
    for db in (10, 20):
        mixed = speech + _at(bed, level * 10 ** (-db / 20))
        sf.write(cache / f"music_{db}db.wav", mixed / max(1.0, np.abs(mixed).max()), RATE)
        case(f"music_{db}db", cache / f"music_{db}db.wav")
    intro = _at(_music(60), level * 10 ** (-3 / 20))
    sf.write(cache / "music_intro.wav", np.concatenate([intro, speech]), RATE, subtype="PCM_16")
    case("music_intro", cache / "music_intro.wav", shift=60)
    t = np.arange(60 * RATE) / RATE
    applause = _at(_pink(60, 3) * (1 + 0.8 * np.sin(2 * np.pi * 9 * t)), level * 10 ** (-3 / 20))
    sf.write(cache / "applause_outro.wav", np.concatenate([speech, applause]), RATE, "PCM_16")
    case("applause_outro", cache / "applause_outro.wav")
    for name, tempo in (("fast", 1.6), ("slow", 0.7)):
        sf.write(cache / f"{name}.wav", _tempo(speech, tempo), RATE, subtype="PCM_16")
        case(name, cache / f"{name}.wav", scale=1 / tempo)
    shutil.rmtree(scratch)
    index.write_text(json.dumps(cases, indent=1))
    return cases


def peer(model: str, media: str, out: str) -> None:
    """faster-whisper as whisper-ctranslate2 runs it by default; words to ``out`` as JSON."""
    from faster_whisper import WhisperModel

    whisper = WhisperModel(model, device="cpu", compute_type="int8")
    segments, info = whisper.transcribe(media, beam_size=5, word_timestamps=True)
    words = [
        {"start": w.start, "end": w.end, "text": w.word} for s in segments for w in s.words or []
    ]
    Path(out).write_text(json.dumps({"language": info.language, "words": words}))


def _model(runner: str) -> str:
    if runner.endswith("tiny"):
        return model_dir()
    from woasr_cli.models.resolve import resolve_ct2_model

    return str(resolve_ct2_model("base").path)


def run(runner: str, media: str, out: Path) -> tuple[float, float, dict[str, object]]:
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(media).stem
    if runner.startswith("woasr"):
        model = ["--model", model_dir()] if runner == "woasr-tiny" else []
        cmd = [PY, "-m", "woasr_cli", "transcribe", media, "-o", str(out), "--quiet", *model]
    else:
        cmd = [PY, __file__, "--peer", _model(runner), media, str(out / f"{stem}.json")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if done.returncode != 0:
        raise SystemExit(f"{runner} failed on {media}:\n{done.stderr[-2000:]}")
    data = json.loads((out / f"{stem}.json").read_text())
    if runner.startswith("woasr"):
        words = [w for s in data["segments"] for w in s.get("words") or []]
        data = {"language": data["language"], "words": words, "srt": out / f"{stem}.srt"}
    return wall, cpu, data


def cue_faults(path: Path) -> int:
    """Cues of an srt over 42 characters a line, 2 lines or 7 seconds."""
    faults = 0
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.splitlines()
        if len(lines) < 3:
            continue
        a, b = (_seconds(x) for x in lines[1].split(" --> "))
        text = lines[2:]
        faults += len(text) > 2 or any(len(t) > 42 for t in text) or b - a > 7.0 + 1e-3
    return faults


def _seconds(stamp: str) -> float:
    h, m, s = stamp.strip().replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def score(case: dict[str, object], data: dict[str, object]) -> tuple[float, list[str]]:
    import jiwer

    norm = normaliser()
    words = data["words"]
    assert isinstance(words, list)
    hyp = norm(" ".join(w["text"].strip() for w in words))  # type: ignore[operator]
    ref = norm(case["reference"])  # type: ignore[operator]
    wer = jiwer.wer(ref, hyp) if hyp.strip() else 1.0
    spans = case["spans"]
    assert isinstance(spans, list)
    outside = [
        w["text"].strip()
        for w in words
        if not any(a - SLACK <= (w["start"] + w["end"]) / 2 <= b + SLACK for a, b in spans)
    ]
    return wer, outside


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/woasr-degraded"))
    ap.add_argument("--only", nargs="+", choices=CASES, default=list(CASES))
    ap.add_argument("--runners", nargs="+", choices=RUNNERS, default=list(RUNNERS))
    ap.add_argument("--out", type=Path, default=None, help="outputs (default: CACHE/out)")
    ap.add_argument("--peer", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer:
        return peer(*args.peer)
    cases = build(args.cache)
    out = args.out or args.cache / "out"
    head = f"{'case':15} {'runner':10} {'WER':>6} {'outside':>7} {'cues':>4} lang"
    print(f"{head}  wall   cpu  words outside")
    for name in args.only:
        for runner in args.runners:
            wall, cpu, data = run(runner, str(cases[name]["file"]), out / runner)
            wer, outside = score(cases[name], data)
            srt = data.get("srt")
            cues = str(cue_faults(srt)) if isinstance(srt, Path) else "-"
            shown = " ".join(outside)[:60]
            row = f"{name:15} {runner:10} {wer:6.1%} {len(outside):7d} {cues:>4}"
            print(f"{row} {data['language']!s:5} {wall:5.1f} {cpu:5.1f}  {shown}", flush=True)


if __name__ == "__main__":
    main()

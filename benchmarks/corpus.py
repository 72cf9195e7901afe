"""Deterministic benchmark inputs built from the real clips in ../shared/audio.

``build_corpus`` writes >= 20 files, >= 5 minutes in all (concatenations of the English clips
with short pauses, in wav/flac/mp3/ogg containers, plus two Korean files that are timed but not
scored), with a reference text per English file. ``build_long`` writes a long input for the
memory target by repeating the clips.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared" / "audio").resolve()
RATE = 16000
ENGLISH = [
    "jfk.flac",
    "librispeech_1272-128104-0000.wav",
    "pyannote_sample.wav",
    "synth/hibari_en_1.wav",
    "synth/hibari_en_2.wav",
    "synth/espeak_en_1.wav",
    "synth/espeak_en_2.wav",
    "synth/espeak_dialogue_2spk.wav",
]
CONTAINERS = [("wav", "pcm_s16le"), ("flac", "flac"), ("mp3", "libmp3lame"), ("ogg", "libopus")]


def load(clip: str) -> np.ndarray:
    from woasr_cli.media import decode_audio

    return decode_audio(SHARED / clip)


def write(path: Path, audio: np.ndarray, codec: str) -> None:
    rate = 48000 if codec == "libopus" else RATE
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(audio[None, :].astype(np.float32), format="flt",
                                           layout="mono")  # fmt: skip
        frame.sample_rate = RATE
        fmt = stream.codec_context.codec.audio_formats[0].name
        resampler = av.AudioResampler(format=fmt, layout="mono", rate=rate)
        fifo = av.AudioFifo()
        for r in [*resampler.resample(frame), *resampler.resample(None)]:
            fifo.write(r)
        size = stream.codec_context.frame_size or 1024
        while fifo.samples:
            chunk = fifo.read(min(size, fifo.samples))
            if chunk is None:
                break
            for packet in stream.encode(chunk):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def build_corpus(folder: Path, files: int = 24) -> dict[str, str]:
    """Returns {file name: reference text} for the English files."""
    refs = json.loads((SHARED / "references.json").read_text())
    clips = {c: load(c) for c in ENGLISH}
    pause = np.zeros(RATE // 2, dtype=np.float32)
    rng = random.Random(1961)
    folder.mkdir(parents=True, exist_ok=True)
    references: dict[str, str] = {}
    for i in range(files):
        chosen = rng.sample(ENGLISH, rng.randint(2, 4))
        audio = np.concatenate([part for c in chosen for part in (clips[c], pause)])
        ext, codec = CONTAINERS[i % len(CONTAINERS)]
        name = f"clip_{i:02d}.{ext}"
        write(folder / name, audio, codec)
        references[name] = " ".join(refs[c] for c in chosen)
    korean = load("korean_read_1.wav")
    for j in range(2):
        write(folder / f"korean_{j}.flac", np.concatenate([korean, pause] * (j + 2)), "flac")
    return references


def build_long(path: Path, minutes: float) -> None:
    clips = [load(c) for c in ENGLISH]
    pause = np.zeros(RATE, dtype=np.float32)
    unit = np.concatenate([p for c in clips for p in (c, pause)])
    reps = int(np.ceil(minutes * 60 * RATE / len(unit)))
    audio = np.tile(unit, reps)[: int(minutes * 60 * RATE)]
    write(path, audio, "flac")


def duration(folder: Path) -> float:
    from woasr_cli.media import probe

    return sum(probe(p).duration or 0.0 for p in sorted(folder.iterdir()))

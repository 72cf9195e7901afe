"""One file through the pipeline with the real tiny.en model: windows, checkpoints, resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import SYNTH_SENTENCES, normalise, synthesize, wer, write_wav
from woasr_cli.errors import Interrupted
from woasr_cli.options import TranscribeOptions
from woasr_cli.pipeline import FileHooks, Resume, transcribe_file
from woasr_cli.providers import load_provider
from woasr_cli.transcript import Segment

pytestmark = pytest.mark.slow
MARKERS = ("alpha", "bravo", "charlie", "delta", "echo", "hotel")


@pytest.fixture(scope="module")
def long_speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """~50 s: the synthetic sentences, repeated with pauses, each tagged with a marker word so
    a seam that loses or repeats speech shows."""
    parts: list[np.ndarray] = []
    texts: list[str] = []
    rate = 0
    for i, marker in enumerate(MARKERS):
        sentence = f"Part {marker}. {SYNTH_SENTENCES[i % 2]}"
        audio, rate = synthesize(sentence)
        parts += [audio, np.zeros(int(1.2 * rate), dtype=np.float32)]
        texts.append(sentence)
    path = tmp_path_factory.mktemp("long") / "long.wav"
    write_wav(path, np.concatenate(parts), rate)
    return path, " ".join(texts)


def test_windows_keep_every_word(long_speech: tuple[Path, str]) -> None:
    path, reference = long_speech
    options = TranscribeOptions(model="tiny.en", offline=True)
    provider = load_provider(options)
    transcript = transcribe_file(path, provider, options, window_s=15.0)
    assert wer(reference, transcript.text) <= 0.05, transcript.text
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts)
    assert all(s.end <= transcript.duration + 1e-6 for s in transcript.segments)


def test_interrupt_then_resume_matches_clean_run(long_speech: tuple[Path, str]) -> None:
    """Sequential decoding (batch size 1) depends only on the window's samples, so a resumed
    run, which decodes the same windows, gives the clean run's segments exactly. (Batched
    decoding may differ slightly with what shares its batches, even between two clean runs.)"""
    path, reference = long_speech
    options = TranscribeOptions(model="tiny.en", offline=True, batch_size=1)
    provider = load_provider(options)
    clean = transcribe_file(path, provider, options, window_s=15.0)
    saved: list[Segment] = []
    progress: list[float] = []
    decoded: list[Segment] = []

    def checkpoint(segments: list[Segment], done: float) -> None:
        saved.extend(segments)
        progress.append(done)

    # Stopped two segments into the second window: the first window's segments are saved, the
    # second's are not (checkpoints come a window at a time), progress is past them.
    def stop() -> bool:
        return bool(saved) and len(decoded) >= len(saved) + 2

    hooks = FileHooks(checkpoint=checkpoint, on_segment=decoded.append, should_stop=stop)
    with pytest.raises(Interrupted):
        transcribe_file(path, provider, options, hooks=hooks, window_s=15.0)
    assert saved and progress[-1] > saved[-1].end
    resume = Resume(segments=list(saved), offset=progress[-1], language="en")
    rest: list[Segment] = []
    hooks = FileHooks(checkpoint=lambda segs, done: rest.extend(segs))
    final = transcribe_file(path, provider, options, resume=resume, hooks=hooks, window_s=15.0)
    # The second window was decoded again whole, in the same windows: the clean run's result.
    assert final.segments[: len(saved)] == saved and rest[0] == decoded[len(saved)]
    assert final.segments == clean.segments
    words = normalise(final.text).split()
    assert [w for w in words if w in MARKERS] == list(MARKERS)
    assert wer(reference, final.text) <= 0.05, final.text

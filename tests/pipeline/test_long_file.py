"""One long-ish file with several windows in flight (issue 17): the same words as one window at a
time, in order, words inside their segments, no segment across a long pause, resumable."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from conftest import normalise, wer, write_wav
from woasr_cli.errors import Interrupted
from woasr_cli.options import TranscribeOptions
from woasr_cli.pipeline import FileHooks, Resume, transcribe_file
from woasr_cli.providers import load_provider
from woasr_cli.transcript import Segment, Transcript

pytestmark = pytest.mark.slow
RATE = 16000
CLIPS = ("jfk.wav", "librispeech_1272-128104-0000.wav", "synth/hibari_en_1.wav",
         "synth/espeak_en_1.wav", "synth/hibari_en_2.wav")  # fmt: skip
PAUSES = (0.4, 1.8, 0.8, 2.5, 0.6)  # after each clip, in turn; >= 1.5 s must end a segment
WINDOW_S = 30.0  # several windows in ~3.5 minutes, as 60 s windows are in an hour


def read(path: Path) -> np.ndarray:
    import wave

    with wave.open(str(path)) as w:
        assert w.getframerate() == RATE, path
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, w.getnchannels())
    return pcm.mean(axis=1).astype(np.float32) / 32768


@pytest.fixture(scope="module")
def long_file(
    tmp_path_factory: pytest.TempPathFactory, shared_audio: Path, references: dict[str, str]
) -> tuple[Path, str, list[tuple[float, float]]]:
    """~3.5 minutes of the shared clips with pauses; the pauses >= 1.5 s as (start, end)."""
    parts: list[np.ndarray] = []
    texts: list[str] = []
    pauses: list[tuple[float, float]] = []
    at = 0
    k = 0
    while at < 200 * RATE:
        clip = CLIPS[k % len(CLIPS)]
        audio = read(shared_audio / clip)
        gap = int(PAUSES[k % len(PAUSES)] * RATE)
        parts += [audio, np.zeros(gap, dtype=np.float32)]
        texts.append(references[clip])
        at += len(audio)
        if gap >= 1.5 * RATE:
            pauses.append((at / RATE, (at + gap) / RATE))
        at += gap
        k += 1
    path = tmp_path_factory.mktemp("long17") / "long.wav"
    write_wav(path, np.concatenate(parts), RATE)
    return path, " ".join(texts), pauses


def run(path: Path, depth: int | None, **kwargs: object) -> tuple[Transcript, list[float]]:
    options = TranscribeOptions(model="tiny.en", offline=True)
    provider = load_provider(options)
    progress: list[float] = []
    saved: list[Segment] = []

    def checkpoint(segments: list[Segment], done: float) -> None:
        saved.extend(segments)
        progress.append(done)

    hooks = FileHooks(checkpoint=checkpoint, **kwargs)  # type: ignore[arg-type]
    if depth is not None:  # the path before issue 17: one window at a time
        provider.window_depth = lambda: depth  # type: ignore[attr-defined]
    try:
        transcript = transcribe_file(path, provider, options, hooks=hooks, window_s=WINDOW_S)
    finally:
        if depth is not None:
            del provider.window_depth  # type: ignore[attr-defined]
    assert saved == transcript.segments[len(transcript.segments) - len(saved) :]
    return transcript, progress


def test_windows_in_flight_keep_order_words_and_pauses(
    long_file: tuple[Path, str, list[tuple[float, float]]],
) -> None:
    path, reference, pauses = long_file
    options = TranscribeOptions(model="tiny.en", offline=True)
    provider = load_provider(options)
    assert provider.window_depth() > 1  # type: ignore[attr-defined]
    new, progress = run(path, None)
    old, _ = run(path, 1)
    assert progress == sorted(progress)  # checkpoints in time order
    segments = new.segments
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    for a, b in pairwise(segments):
        assert a.end <= b.start + 0.5, (a, b)
    for seg in segments:
        assert seg.words, seg
        assert seg.start <= seg.words[0].start and seg.words[-1].end <= seg.end + 1e-6
        assert all(w.start <= w.end for w in seg.words)
        for p0, p1 in pauses:  # speech on both sides of a long pause: never one segment
            assert not (seg.start < p0 - 0.1 and seg.end > p1 + 0.1), (seg, (p0, p1))
    assert wer(reference, new.text) <= 0.1, new.text
    assert abs(wer(reference, new.text) - wer(reference, old.text)) <= 0.02
    assert len(normalise(new.text).split()) >= 0.95 * len(normalise(old.text).split())


def test_interrupted_with_windows_in_flight_resumes_in_order(
    long_file: tuple[Path, str, list[tuple[float, float]]],
) -> None:
    path, reference, _ = long_file
    options = TranscribeOptions(model="tiny.en", offline=True)
    provider = load_provider(options)
    saved: list[Segment] = []
    progress: list[float] = []

    def checkpoint(segments: list[Segment], done: float) -> None:
        saved.extend(segments)
        progress.append(done)

    hooks = FileHooks(checkpoint=checkpoint, should_stop=lambda: len(saved) >= 8)
    with pytest.raises(Interrupted):
        transcribe_file(path, provider, options, hooks=hooks, window_s=WINDOW_S)
    assert [s.start for s in saved] == sorted(s.start for s in saved)
    resume = Resume(segments=list(saved), offset=progress[-1], language="en")
    final = transcribe_file(path, provider, options, resume=resume, window_s=WINDOW_S)
    assert final.segments[: len(saved)] == saved
    starts = [s.start for s in final.segments]
    assert starts == sorted(starts)
    assert wer(reference, final.text) <= 0.1, final.text


def test_windows_read_ahead_on_a_reader_thread(
    monkeypatch: pytest.MonkeyPatch, long_file: tuple[Path, str, list[tuple[float, float]]]
) -> None:
    """A provider that asks for it (on a GPU, where the file's thread drives the batches) gets
    each window decoded from the media on a reader thread: the same words, and an interrupted
    file stops the reader and closes the media."""
    import threading

    from woasr_cli import pipeline

    path, reference, _ = long_file
    options = TranscribeOptions(model="tiny.en", offline=True)
    provider = load_provider(options)
    pulled: list[str] = []
    closed: list[bool] = []
    real = pipeline.iter_windows

    def iter_windows(*args: object, **kwargs: object) -> object:
        try:
            for window in real(*args, **kwargs):  # type: ignore[arg-type]
                pulled.append(threading.current_thread().name)
                yield window
        finally:
            closed.append(True)

    monkeypatch.setattr(pipeline, "iter_windows", iter_windows)
    assert provider.read_ahead == 0  # type: ignore[attr-defined]  # on the CPU: where pulled
    provider.read_ahead = 1  # type: ignore[attr-defined]
    try:
        transcript = transcribe_file(path, provider, options, window_s=WINDOW_S)
        assert len(pulled) >= 6 and set(pulled) == {"woasr-read-ahead"}
        assert closed == [True]
        assert wer(reference, transcript.text) <= 0.1, transcript.text
        saved: list[Segment] = []
        hooks = FileHooks(checkpoint=lambda s, _: saved.extend(s), should_stop=lambda: bool(saved))
        with pytest.raises(Interrupted):
            transcribe_file(path, provider, options, hooks=hooks, window_s=WINDOW_S)
        assert closed == [True, True]
        assert not any(t.name == "woasr-read-ahead" for t in threading.enumerate())
    finally:
        provider.read_ahead = 0  # type: ignore[attr-defined]


def test_a_lone_long_file_keeps_a_window_cut_ahead_and_a_folder_does_not() -> None:
    """On the CPU one long file has 3 windows in flight: the one read, the next (decoding
    beside the first one's rests) and one cut ahead, so the queue does not run dry at a window
    boundary (docs/performance.md, "Long recordings", x17); files of a folder get 1 each."""
    from contextlib import ExitStack

    provider = load_provider(TranscribeOptions(model="tiny.en", offline=True))
    assert provider.window_depth() == 3  # type: ignore[attr-defined]
    with ExitStack() as files:
        for _ in range(8):
            files.enter_context(provider.file_session())  # type: ignore[attr-defined]
        assert provider.window_depth() == 1  # type: ignore[attr-defined]

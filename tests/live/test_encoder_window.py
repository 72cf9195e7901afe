"""Live passes mid-utterance encode their buffer plus a few seconds, not Whisper's 30 s."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from conftest import normalise
from woasr_cli.live import open_processor
from woasr_cli.live.processor import StreamConfig
from woasr_cli.live.setup import live_transcriber
from woasr_cli.media.decode import decode_audio
from woasr_cli.options import TranscribeOptions

pytest.importorskip("faster_whisper", reason="needs faster-whisper (pip install woasr)")

OPTIONS = TranscribeOptions(model="tiny.en", offline=True)


def encoder_frames(transcriber: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The frames CTranslate2's encoder is given on each call (the cached model's own method,
    watched, not replaced)."""
    model = transcriber.provider._model
    seen: list[int] = []
    real = model.encode

    def encode(features: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(int(features.shape[-1]))
        return real(features, *args, **kwargs)

    monkeypatch.setattr(model, "encode", encode)
    return seen


def test_a_short_window_hears_jfk_as_30_s_do_and_only_on_its_thread(
    shared_audio: Path, tiny_en: Path, references: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    del tiny_en
    transcriber = live_transcriber(OPTIONS)
    frames = encoder_frames(transcriber, monkeypatch)
    audio = decode_audio(shared_audio / "jfk.wav")  # 11 s
    other: list[str] = []
    with transcriber.provider.encoder_window(5.0):
        short = transcriber.transcribe(audio).text
        short_frames = frames[:]
        # another thread meanwhile keeps the full window
        worker = threading.Thread(target=lambda: other.append(transcriber.transcribe(audio).text))
        worker.start()
        worker.join()
    full = transcriber.transcribe(audio).text
    assert short_frames and set(short_frames) <= {len(audio) // 160 + 500}, frames  # 11 + 5 s
    assert set(frames[len(short_frames) :]) == {3000}, frames
    assert normalise(short) == normalise(full) == normalise(references["jfk.wav"]), short
    assert other == [full]


def test_mid_utterance_passes_are_short_and_the_last_ones_whole(
    shared_audio: Path, tiny_en: Path, references: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """librispeech's sentence streamed: passes during speech encode under 30 s; the pass at
    the end (whose words are committed without confirmation) encodes 30 s; the text is right."""
    from test_processor import finals, stream

    del tiny_en
    transcriber = live_transcriber(OPTIONS)
    frames = encoder_frames(transcriber, monkeypatch)
    processor = open_processor(OPTIONS, transcriber=transcriber)
    assert processor.config.encoder_pad == StreamConfig().encoder_pad == 8.0
    name = "librispeech_1272-128104-0000.wav"
    text = " ".join(e.text for e in finals(stream(processor, decode_audio(shared_audio / name))))
    assert normalise(text) == normalise(references[name]), text
    short = [f for f in frames if f < 3000]
    assert len(short) >= processor.passes - 2 >= 4, frames  # all but a pause's and the end's
    assert max(short) <= 100 * (len(decode_audio(shared_audio / name)) / 16000 + 8.5), frames
    assert frames[-1] == 3000, frames  # the end: its words are committed unconfirmed

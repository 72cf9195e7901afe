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

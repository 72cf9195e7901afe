"""The body of a ``--executor ray`` actor, run in this process (no Ray needed): what it sends
the driver for a file must carry the whole transcript, and a failure must come back as the
file's one-line reason, as in a local run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from faultyprovider import NAME, register_faulty, unregister_faulty

from woasr_cli.jobs.ray_worker import FileWorker, transcript_from_wire, transcript_to_wire
from woasr_cli.outputs import render
from woasr_cli.transcript import Segment, SpeakerTurn, Transcript, Word


def test_a_diarized_transcript_crosses_the_wire_whole() -> None:
    """The speaker turns came back as dicts: every diarized file of a Ray batch failed to render
    on the driver (``AttributeError: 'dict' object has no attribute 'speaker'``)."""
    words = [Word(0.5, 0.9, " Hello", 0.91, "SPEAKER_00"), Word(1.0, 1.4, " there", 0.8, "A")]
    transcript = Transcript(
        segments=[
            Segment(0.5, 0.9, " Hello", words[:1], "SPEAKER_00", -0.2, 0.01, "en"),
            Segment(1.0, 1.4, " there", words[1:], "A", -0.3, 0.02, "en"),
        ],
        language="en",
        duration=2.123456789,
        provider="faster_whisper",
        model="tiny.en",
        options={"diarize": True},
        source="talk.wav",
        language_probability=0.987654321,
        speaker_turns=[SpeakerTurn(0.4, 0.95, "SPEAKER_00"), SpeakerTurn(0.98, 1.5, "A")],
        speakers_confidence=0.75,
    )
    back = transcript_from_wire(transcript_to_wire(transcript))
    assert back == transcript
    formats = ("json", "srt", "vtt", "txt", "rttm")
    assert render(back, formats) == render(transcript, formats)


@pytest.fixture
def faulty() -> Iterator[str]:
    register_faulty()
    yield NAME
    unregister_faulty()


def test_a_bug_mid_file_comes_back_as_its_one_line_reason(faulty: str, shared_audio: Path) -> None:
    """An error that is neither woasr's nor a RuntimeError/ValueError/OSError left the actor:
    the driver recorded Ray's task header (``\\x1b[36mray::FileWorker.transcribe()\\x1b[39m
    (pid=..., actor_id=...)``) as the file's reason."""
    from woasr_cli.options import TranscribeOptions

    options = TranscribeOptions(provider=faulty, model="tiny.en", language="en", offline=True,
                                batch_size=1, threads=1)  # fmt: skip
    worker = FileWorker(options, "test-worker")
    assert worker.error is None
    clip = shared_audio / "jfk.wav"
    outcome = worker.transcribe(str(clip), str(clip), clip.suffix, None)
    assert outcome == {
        "status": "failed",
        "reason": "InjectedBug: injected fault after the first segment second line",
    }
    assert worker.poll() == {}  # nothing left in flight

"""`woasr listen -o`'s files: written off the stream's thread, at a bounded share of the time,
whole at the end, and a failed write not lost.

Before, every commit re-rendered and fsynced all four files on the thread that runs the model:
on a 10-minute recording 24 % of the run went to writing, 0.28 s a commit by its end, growing
with the stream."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import srt

from woasr_cli.errors import OutputError
from woasr_cli.live import writers
from woasr_cli.live.events import StreamEvent
from woasr_cli.live.writers import GrowingTranscript, LiveOutputs
from woasr_cli.transcript import Transcript, Word


def final(k: int) -> StreamEvent:
    words = [Word(2.0 * k, 2.0 * k + 0.4, "Sentence"), Word(2.0 * k + 0.5, 2.0 * k + 0.9, f"{k}.")]
    return StreamEvent.of("final", words)


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_committed_words_are_written_on_a_thread_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writing_threads: list[str] = []
    real = writers.write_outputs

    def recorded(transcript: Transcript, *args: Any, **kwargs: Any) -> list[Path]:
        writing_threads.append(threading.current_thread().name)
        return real(transcript, *args, **kwargs)

    monkeypatch.setattr(writers, "write_outputs", recorded)
    outputs = LiveOutputs(tmp_path / "live", GrowingTranscript())
    outputs.write(None, 0.0)  # the empty files, at once, by the caller
    assert (tmp_path / "live.srt").read_text() == ""
    for k in range(3):
        outputs.add(final(k), "en", 2.0 * k + 1.0)
        outputs.add(StreamEvent.of("partial", [Word(0.0, 0.1, "x")]), "en", 0.0)  # not written
    srt_file = tmp_path / "live.srt"
    assert wait_for(lambda: "Sentence 2." in srt_file.read_text())
    outputs.close("en", 7.0)
    assert writing_threads[0] == threading.current_thread().name
    assert writing_threads[-1] == threading.current_thread().name  # close writes everything
    between = writing_threads[1:-1]
    assert between and all(name == "woasr-live-files-live" for name in between)
    cues = list(srt.parse(srt_file.read_text()))
    assert [c.content for c in cues] == ["Sentence 0.", "Sentence 1.", "Sentence 2."]
    doc = json.loads((tmp_path / "live.json").read_text())
    assert doc["duration"] == 7.0 and len(doc["segments"]) == 3
    assert not any(t.name.startswith("woasr-live-files") for t in threading.enumerate())


def test_a_slow_write_is_rested_after_and_the_words_that_came_meanwhile_go_in_one_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = writers.write_outputs

    def slow(transcript: Transcript, *args: Any, **kwargs: Any) -> list[Path]:
        time.sleep(0.1)  # a transcript hours long, or a slow disk
        return real(transcript, *args, **kwargs)

    monkeypatch.setattr(writers, "write_outputs", slow)
    outputs = LiveOutputs(tmp_path / "live", GrowingTranscript(), share=0.25)  # rest 3x cost
    began = time.monotonic()
    for k in range(50):
        outputs.add(final(k), "en", 2.0 * k + 1.0)  # as fast as commits can come
        time.sleep(0.01)
    adding = time.monotonic() - began
    assert adding < 0.1 * 50 / 2  # the commits did not wait for the writes
    written = outputs.writes
    assert 1 <= written <= adding / 0.4 + 2  # a write and its rest: >= 0.4 s
    outputs.close("en", 101.0)
    assert outputs.writes <= written + 2  # the write under way, if any, then the last
    cues = list(srt.parse((tmp_path / "live.srt").read_text()))
    assert len(cues) == 50 and cues[-1].content == "Sentence 49."


def test_a_failed_write_is_raised_by_the_next_commit_and_by_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = writers.write_outputs
    full = threading.Event()

    def disk(transcript: Transcript, *args: Any, **kwargs: Any) -> list[Path]:
        if full.is_set():
            raise OutputError(f"{tmp_path / 'live.srt'}: no space left on device")
        return real(transcript, *args, **kwargs)

    monkeypatch.setattr(writers, "write_outputs", disk)
    outputs = LiveOutputs(tmp_path / "live", GrowingTranscript())
    outputs.add(final(0), "en", 1.0)
    assert wait_for(lambda: outputs.writes == 1)
    full.set()
    outputs.add(final(1), "en", 3.0)
    assert wait_for(lambda: outputs._error is not None)
    with pytest.raises(OutputError, match="no space left"):
        outputs.add(final(2), "en", 5.0)
    with pytest.raises(OutputError, match="no space left"):
        outputs.close("en", 5.0)
    full.clear()  # space again: what was committed is all there
    outputs.write("en", 5.0)
    assert [c.content for c in srt.parse((tmp_path / "live.srt").read_text())] == [
        "Sentence 0.",
        "Sentence 1.",
    ]


def test_a_title_with_a_full_stop_does_not_end_a_segment() -> None:
    # librispeech through `woasr listen`: the TXT had "Mr." on a line of its own.
    growing = GrowingTranscript()
    said = "Mr. Quilter is the apostle of the middle classes. And we are glad."
    growing.add([Word(0.3 * k, 0.3 * k + 0.25, w) for k, w in enumerate(said.split())])
    assert [s.text for s in growing.segments] == [
        "Mr. Quilter is the apostle of the middle classes.",
        "And we are glad.",
    ]

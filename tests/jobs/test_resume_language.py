"""A file resumed after an interruption names its language as an uninterrupted run does: the
detected language *and* its probability (the manifest kept the language alone, and a resumed
file's JSON said ``"language_probability": null``, on the local executor and on Ray)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from woasr_cli.events import Event
from woasr_cli.jobs.batch import run_batch
from woasr_cli.jobs.ray_worker import FileWorker, transcript_from_wire
from woasr_cli.options import TranscribeOptions

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def options() -> TranscribeOptions:
    return TranscribeOptions(
        model="tiny.en", batch_size=1, threads=1, workers=1, formats=("json",), offline=True
    )


def _language(out: Path, name: str) -> tuple[object, object]:
    doc = json.loads((out / f"{name}.json").read_text())
    return doc["language"], doc["language_probability"]


def test_a_resumed_file_keeps_the_detected_language_probability(
    speech_dir: Path, options: TranscribeOptions, tmp_path: Path
) -> None:
    clip = speech_dir / "synth_1.wav"
    clean = tmp_path / "clean"
    assert run_batch([clip], options, clean).done == 1
    expected = _language(clean, clip.stem)
    assert expected[0] == "en" and expected[1] is not None

    cut = tmp_path / "cut"
    events: list[Event] = []
    stopped = run_batch(
        [clip], options, cut, reporter=events.append,
        should_stop=lambda: any(e.kind == "progress" for e in events),
    )  # fmt: skip
    assert stopped.interrupted and not (cut / f"{clip.stem}.json").exists()
    with sqlite3.connect(cut / ".woasr-manifest.db") as db:
        assert db.execute("SELECT state FROM jobs").fetchall() == [("interrupted",)]

    events.clear()
    resumed = run_batch([clip], options, cut, reporter=events.append)
    assert resumed.done == 1
    started = next(e for e in events if e.kind == "started")
    assert started.resumed_from  # it did resume, with the language the first run detected
    assert _language(cut, clip.stem) == expected


def test_a_ray_worker_resumes_with_the_probability_the_driver_kept(
    speech_dir: Path, options: TranscribeOptions
) -> None:
    """The actor's side of a Ray resume: the probability comes back to the driver in the
    polled state, and a resume that carries it gives it to the transcript."""
    clip = speech_dir / "synth_1.wav"
    worker = FileWorker(options, "test-worker")
    clean = transcript_from_wire(
        worker.transcribe(str(clip), str(clip), ".wav", None)["transcript"]
    )
    assert clean.language == "en" and clean.language_probability is not None
    resume = {"segments": [], "offset": 0.5, "language": "en",
              "language_probability": clean.language_probability}  # fmt: skip
    outcome = worker.transcribe(str(clip), str(clip), ".wav", resume)
    again = transcript_from_wire(outcome["transcript"])
    assert (again.language, again.language_probability) == ("en", clean.language_probability)


def test_a_manifest_that_kept_the_language_alone_resumes_without_a_probability() -> None:
    """An interrupted job of an older woasr: its language, and no figure made up."""
    from woasr_cli.jobs.detected import detected, language_meta

    assert detected(language_meta("en", 0.96875)) == ("en", 0.96875)
    assert detected(language_meta("en", None)) == ("en", None)
    assert detected({"language": "ko"}) == ("ko", None)
    assert detected({"language": "ko", "language_probability": "0.8125"}) == ("ko", 0.8125)
    assert detected({}) == (None, None)

"""``--compute-type`` changes the words, so a finished file asked again in another precision is
transcribed again (``--compute-type float32`` after an int8 run skipped every file as done);
the engine's own choice (no ``--compute-type``) keeps the fingerprint older woasr wrote, and a
manifest of an older woasr run with ``--compute-type int8`` is not redone by the same command."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from woasr_cli.events import Event
from woasr_cli.jobs.batch import run_batch
from woasr_cli.options import TranscribeOptions
from woasr_cli.policy import prepare

pytestmark = pytest.mark.slow
MANIFEST = ".woasr-manifest.db"
# What woasr wrote for these options before the compute type counted (250f826, whatever
# --compute-type said): a change here re-runs every finished file of every user on upgrade.
OLDER_FINGERPRINT = "43cc6ac9651915b4"


def _options(**changes: object) -> TranscribeOptions:
    return TranscribeOptions(
        model="tiny.en", batch_size=1, threads=1, workers=1, formats=("json",), offline=True
    ).with_changes(**changes)


def _kinds(clip: Path, out: Path, options: TranscribeOptions) -> list[str]:
    events: list[Event] = []
    run_batch([clip], options, out, reporter=events.append)
    return [e.kind for e in events if e.kind in ("done", "skipped", "failed")]


def test_another_compute_type_transcribes_again(speech_dir: Path, tmp_path: Path) -> None:
    clip, out = speech_dir / "synth_1.wav", tmp_path / "out"
    assert _kinds(clip, out, _options()) == ["done"]
    assert _kinds(clip, out, _options(compute_type="float32")) == ["done"]
    assert json.loads((out / "synth_1.json").read_text())["options"]["compute_type"] == "float32"
    assert _kinds(clip, out, _options(compute_type="float32")) == ["skipped"]
    assert _kinds(clip, out, _options()) == ["done"]  # the engine's choice (int8) again
    assert _kinds(clip, out, _options()) == ["skipped"]


def test_the_engines_own_choice_keeps_the_older_fingerprint() -> None:
    assert prepare(_options()).fingerprint() == OLDER_FINGERPRINT
    assert prepare(_options(compute_type="float32")).fingerprint() != OLDER_FINGERPRINT


def test_an_older_manifest_asked_the_same_compute_type_is_not_redone(
    speech_dir: Path, tmp_path: Path
) -> None:
    clip, out = speech_dir / "synth_1.wav", tmp_path / "out"
    assert _kinds(clip, out, _options(compute_type="int8")) == ["done"]
    with sqlite3.connect(out / MANIFEST) as db:  # as the older woasr recorded that run
        db.execute("UPDATE jobs SET options_fp = ?", (OLDER_FINGERPRINT,))
    assert _kinds(clip, out, _options(compute_type="int8")) == ["skipped"]
    with sqlite3.connect(out / MANIFEST) as db:
        (fingerprint,) = db.execute("SELECT options_fp FROM jobs").fetchone()
    assert fingerprint == prepare(_options(compute_type="int8")).fingerprint()
    # recorded as int8: another type is other work
    assert _kinds(clip, out, _options(compute_type="float32")) == ["done"]

"""``woasr transcribe`` names its inputs as ``woasr status`` does: relative to the folder they
share, under one ``inputs in FOLDER`` line (its start, progress, done and skip lines gave
absolute paths, its status table relative ones); ``--json`` events keep the absolute ``input``
and carry the ``name`` beside it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from woasr_cli.cli.app import app

pytestmark = pytest.mark.slow


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_transcribe_names_inputs_as_status_does(speech_dir: Path, tmp_path: Path) -> None:
    media, out = tmp_path / "media", tmp_path / "out"
    for sub, clip in (("a", "synth_1.wav"), ("b", "synth_2.wav")):
        (media / sub).mkdir(parents=True)
        shutil.copy(speech_dir / clip, media / sub / "x.wav")
    common = ("-o", str(out), "-f", "txt", "--model", "tiny.en", "--batch-size", "1")
    code, _, err = invoke("transcribe", str(media), *common)
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0] == f"inputs in {media}"
    done = sorted(ln.split(" (")[0] for ln in lines if ln.startswith("done "))
    assert done == ["done     a/x.wav", "done     b/x.wav"], err
    assert not [ln for ln in lines if str(media) in ln and not ln.startswith("inputs in ")]

    code, _, err = invoke("transcribe", str(media), *common)
    assert err.splitlines()[:3] == [
        f"inputs in {media}",
        "skip     a/x.wav (already done)",
        "skip     b/x.wav (already done)",
    ]
    code, table, _ = invoke("status", str(out))
    assert f"inputs in {media}" in table and "a/x.wav" in table and "b/x.wav" in table

    code, events, _ = invoke("transcribe", str(media), *common, "--json")
    parsed = [json.loads(line) for line in events.splitlines()]
    assert parsed[0]["inputs_dir"] == str(media)
    skipped = [(e["input"], e["name"]) for e in parsed if e["event"] == "skipped"]
    assert skipped == [
        (str(media / "a" / "x.wav"), "a/x.wav"),
        (str(media / "b" / "x.wav"), "b/x.wav"),
    ]


def test_every_file_event_has_a_name_and_only_a_shared_folder_is_named() -> None:
    from woasr_cli.events import Event
    from woasr_cli.jobs.input_names import naming

    seen: list[Event] = []
    report = naming(seen.append, ["/srv/a/x.wav", "/home/b/y.wav"])  # nothing shared but /
    for event in (Event("batch_started"), Event("skipped", input="/home/b/y.wav")):
        report(event)
    assert seen[0].inputs_dir is None and seen[1].name == "/home/b/y.wav"

"""``--diarize`` end to end: speakers reach every format, and ``woasr convert`` keeps them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from woasr_cli.cli.app import app

pytestmark = pytest.mark.slow


def test_diarized_outputs_and_convert(shared_audio: Path, tmp_path: Path) -> None:
    pytest.importorskip("resemblyzer", reason="needs pip install 'woasr[diarize]'")
    out = tmp_path / "out"
    clip = shared_audio / "pyannote_sample.wav"
    args = [
        "transcribe",
        str(clip),
        "-o",
        str(out),
        "--diarize",  # word timestamps come with it: speakers are assigned word by word
        "--model",
        "tiny.en",
        "-f",
        "all,rttm",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    doc = json.loads((out / "pyannote_sample.json").read_text())
    assert doc["speakers"] == ["SPEAKER_00", "SPEAKER_01"]
    assert all(s.get("speaker") in doc["speakers"] for s in doc["segments"])
    assert all(s["words"] for s in doc["segments"])
    # Segments are split where the speaker changes: every word has its segment's speaker.
    assert all(w["speaker"] == s["speaker"] for s in doc["segments"] for w in s["words"])
    assert len({s["speaker"] for s in doc["segments"]}) == 2
    vtt = (out / "pyannote_sample.vtt").read_text()
    assert "<v SPEAKER_00>" in vtt and "<v SPEAKER_01>" in vtt
    assert "[SPEAKER_01]: " in (out / "pyannote_sample.srt").read_text()
    assert "[SPEAKER_00]: " in (out / "pyannote_sample.txt").read_text()
    tsv = (out / "pyannote_sample.tsv").read_text().splitlines()
    assert tsv[0] == "start\tend\ttext\tspeaker"
    rttm = (out / "pyannote_sample.rttm").read_text().splitlines()
    assert {line.split()[7] for line in rttm} == {"SPEAKER_00", "SPEAKER_01"}

    again = tmp_path / "again"
    result = CliRunner().invoke(
        app, ["convert", str(out / "pyannote_sample.json"), "-f", "vtt,rttm", "-o", str(again)]
    )
    assert result.exit_code == 0, result.stderr
    assert (again / "pyannote_sample.vtt").read_text() == vtt
    assert (again / "pyannote_sample.rttm").read_text() == "\n".join(rttm) + "\n"


def test_impossible_speaker_bounds_are_a_usage_error(shared_audio: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["transcribe", str(shared_audio / "jfk.wav"), "-o", str(tmp_path), "--diarize",
         "--min-speakers", "3", "--max-speakers", "2"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--min-speakers" in result.stderr

"""``woasr convert``: rttm only from transcripts that have speakers."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from woasr_cli.cli.app import app
from woasr_cli.transcript import Segment, Transcript


def _write(path: Path, speaker: str | None) -> Path:
    segments = [Segment(0.0, 1.5, " Hello there.", speaker=speaker), Segment(2.0, 3.0, " Hi.")]
    transcript = Transcript(segments, language="en", duration=3.0, source=str(path))
    path.write_text(json.dumps(transcript.to_dict()), encoding="utf-8")
    return path


def test_rttm_from_a_transcript_without_speakers_fails_with_a_reason(tmp_path: Path) -> None:
    plain = _write(tmp_path / "plain.json", None)
    result = CliRunner().invoke(app, ["convert", str(plain), "-f", "srt,rttm"])
    assert result.exit_code == 1
    assert "no speaker labels" in result.stderr and "--diarize" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["plain.json"]  # not even the srt


def test_all_includes_rttm_for_a_transcript_with_speakers(tmp_path: Path) -> None:
    labelled = _write(tmp_path / "spk.json", "SPEAKER_00")
    plain = _write(tmp_path / "plain.json", None)
    result = CliRunner().invoke(app, ["convert", str(labelled), str(plain)])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "spk.rttm").read_text().startswith("SPEAKER spk 1 0.000 1.500")
    assert not (tmp_path / "plain.rttm").exists() and (tmp_path / "plain.srt").is_file()


def test_a_subtitle_file_given_to_convert_names_the_json_to_use(tmp_path: Path) -> None:
    """``woasr convert talk.srt -f vtt`` said "not a JSON transcript (Extra data: line 2
    column 1 (char 2))"; it now says what to convert instead, and the other inputs go on."""
    plain = _write(tmp_path / "talk.json", None)
    subs = tmp_path / "talk.srt"
    subs.write_text("1\n00:00:00,000 --> 00:00:01,500\nHello there.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["convert", str(subs), str(plain), "-f", "vtt"])
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "an SRT file" in line and "talk.json" in line and "-f json" in line
    assert (tmp_path / "talk.vtt").is_file()


def test_dash_o_prints_one_format_on_stdout(tmp_path: Path) -> None:
    """As `transcribe -o -`: the rendered file on stdout, nothing written; the speakers renamed
    there too; more than one transcript or format is a usage error."""
    labelled = _write(tmp_path / "spk.json", "SPEAKER_00")
    runner = CliRunner()
    result = runner.invoke(app, ["convert", str(labelled), "-f", "srt", "-o", "-"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("1\n00:00:00,000 --> 00:00:01,500\n") and "Hi." in result.stdout
    result = runner.invoke(app, ["convert", str(labelled), "-f", "rttm", "-o", "-",
                                 "--speaker-names", "Ann"])  # fmt: skip
    assert result.stdout.startswith("SPEAKER spk 1 0.000 1.500 <NA> <NA> Ann ")
    assert [p.name for p in tmp_path.iterdir()] == ["spk.json"]
    for args in (["-f", "srt,vtt"], [], ["-f", "srt", str(labelled)]):
        result = runner.invoke(app, ["convert", str(labelled), "-o", "-", *args])
        assert result.exit_code == 2 and "-o - writes one transcript" in result.stderr
        assert result.stdout == ""

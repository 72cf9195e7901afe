"""``woasr providers``, ``doctor``, ``status`` and ``retry`` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from woasr_cli.cli.app import app


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_providers_json_lists_every_engine() -> None:
    code, out, _ = invoke("providers", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert set(rows) == {"faster_whisper", "origin_whisper", "hf_auto_asr", "fast_conformer",
                         "whisperx", "openai_api"}  # fmt: skip
    fw = rows["faster_whisper"]
    assert fw["installed"] and fw["default_model"] == "tiny.en"
    assert fw["capabilities"]["translate"] and fw["capabilities"]["word_timestamps"]
    assert not rows["fast_conformer"]["capabilities"]["translate"]
    for row in rows.values():
        assert row["install"].startswith("pip install 'woasr[")
        assert row["installed"] == (row["missing"] == [])


def test_providers_table() -> None:
    code, out, _ = invoke("providers")
    assert code == 0 and "faster_whisper" in out and "whisperx" in out


def test_doctor_reports_media_compute_and_offline_models() -> None:
    code, out, _ = invoke("doctor", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["media"]["ok"] and report["media"]["audio_decoders"]["mp3"]
    assert report["compute"]["cpu_count"] >= 1
    assert report["compute"]["ctranslate2_cuda_devices"] >= 0
    assert "tiny.en" in report["models"]["offline_now"]
    assert report["providers"]["faster_whisper"] is True


def test_status_without_a_manifest_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = invoke("status", "-o", str(tmp_path))
    assert code == 2 and "no manifest" in err


def test_status_and_retry_after_a_failure(speech_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    broken = tmp_path / "broken.wav"
    broken.write_text("not audio")
    code, _, _ = invoke("transcribe", str(speech_dir / "synth_1.wav"), str(broken), "-o", str(out),
                        "-f", "txt")  # fmt: skip
    assert code == 1
    code, text, _ = invoke("status", "-o", str(out), "--json")
    jobs = {Path(j["input"]).name: j for j in json.loads(text)["jobs"]}
    assert jobs["synth_1.wav"]["state"] == "done" and jobs["synth_1.wav"]["progress"] == 100.0
    assert jobs["broken.wav"]["state"] == "failed"
    assert "not a media file" in jobs["broken.wav"]["error"]
    code, table, _ = invoke("status", "-o", str(out))
    assert code == 0 and "failed" in table and "done" in table
    # Fix the input, then retry runs exactly the failed job with its original options.
    broken.write_bytes((speech_dir / "synth_2.wav").read_bytes())
    code, _, err = invoke("retry", "-o", str(out))
    assert code == 0, err
    assert (out / "broken.txt").read_text().strip().startswith("Please send")
    code, text, _ = invoke("status", "-o", str(out), "--json")
    assert {j["state"] for j in json.loads(text)["jobs"]} == {"done"}
    code, _, err = invoke("retry", "-o", str(out))
    assert code == 0 and "nothing to retry" in err

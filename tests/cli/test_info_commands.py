"""``woasr providers``, ``doctor``, ``status`` and ``retry`` through the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
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
    assert fw["installed"] and fw["default_model"] == "base"
    assert fw["capabilities"]["translate"] and fw["capabilities"]["word_timestamps"]
    assert not rows["fast_conformer"]["capabilities"]["translate"]
    # faster_whisper is a core dependency: there is no 'woasr[faster-whisper]' extra to hint.
    assert (fw["extra"], fw["install"]) == (None, "pip install woasr")
    for name, row in rows.items():
        if name != "faster_whisper":
            assert row["install"] == f"pip install 'woasr[{row['extra']}]'"
        assert row["installed"] == (row["missing"] == [])


def test_providers_table() -> None:
    code, out, _ = invoke("providers")
    assert code == 0 and "faster_whisper" in out and "whisperx" in out


def test_providers_table_keeps_the_extra_names(monkeypatch: pytest.MonkeyPatch) -> None:
    from woasr_cli.providers.registry import ProviderSpec

    # Show every engine as missing, so every row carries its install hint.
    monkeypatch.setattr(ProviderSpec, "missing", lambda self: list(self.requires))
    result = CliRunner().invoke(app, ["providers"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "pip install 'woasr[openai-whisper]'" in result.stdout
    assert "pip install 'woasr[whisperx]'" in result.stdout
    assert "woasr[faster-whisper]" not in result.stdout


def test_doctor_reports_media_compute_and_offline_models() -> None:
    code, out, _ = invoke("doctor", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["media"]["ok"] and report["media"]["audio_decoders"]["mp3"]
    assert report["compute"]["cpu_count"] >= 1
    assert report["compute"]["ctranslate2_cuda_devices"] >= 0
    assert "tiny.en" in report["models"]["offline_now"]
    assert report["providers"]["faster_whisper"] is True
    # an external endpoint is installed but off until its URL and key are set, as `providers`
    # says (doctor called it simply installed)
    if report["providers"]["openai_api"] and "WOASR_OPENAI_BASE_URL" not in os.environ:
        assert "WOASR_OPENAI_BASE_URL" in report["unconfigured"]["openai_api"]
        code, out, _ = invoke("doctor")
        assert "  openai_api: not configured (set WOASR_OPENAI_BASE_URL" in out
        assert "unconfigured" not in out


def test_status_without_a_manifest_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = invoke("status", "-o", str(tmp_path))
    assert code == 2 and "no manifest" in err


def test_status_names_the_batch_by_its_folder_or_its_manifest(tmp_path: Path) -> None:
    from woasr_cli.jobs.manifest import Manifest

    out = tmp_path / "subs"
    with Manifest.open(out / ".woasr-manifest.db") as m:
        m.register(str(tmp_path / "talk.wav"), "c", "o")
    for named in ([str(out)], [str(out / ".woasr-manifest.db")], ["-o", str(out)]):
        code, text, err = invoke("status", *named, "--json")
        assert code == 0, (named, err)
        assert [Path(j["input"]).name for j in json.loads(text)["jobs"]] == ["talk.wav"]
    (tmp_path / "talk.wav").write_bytes(b"RIFF not a manifest")
    for named, why in [
        ([str(tmp_path / "talk.wav")], "is not a woasr manifest"),
        ([str(tmp_path / "elsewhere")], "no manifest at"),
        ([str(out), "--manifest", str(out / ".woasr-manifest.db")], "both name the batch"),
    ]:
        for command in ("status", "retry"):
            code, text, err = invoke(command, *named)
            assert code == 2 and text == "", (command, named)
            assert err.startswith("woasr: error: ") and why in err and err.count("\n") == 1, err


def test_status_and_retry_after_a_failure(speech_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    broken = tmp_path / "broken.wav"
    broken.write_text("not audio")
    code, _, err = invoke("transcribe", str(speech_dir / "synth_1.wav"), str(broken), "-o",
                          str(out), "-f", "txt", "-q", "--model", "tiny.en")  # fmt: skip
    assert code == 1
    # -q: nothing but the failure, printed once (not again in a summary at the end).
    assert err.splitlines() == [f"failed   {broken}: not a media file FFmpeg can read"]
    code, text, _ = invoke("status", "-o", str(out), "--json")
    jobs = {Path(j["input"]).name: j for j in json.loads(text)["jobs"]}
    assert jobs["synth_1.wav"]["state"] == "done" and jobs["synth_1.wav"]["progress"] == 100.0
    assert jobs["broken.wav"]["state"] == "failed"
    assert "not a media file" in jobs["broken.wav"]["error"]
    code, table, _ = invoke("status", str(out))  # the batch named as users name it
    assert code == 0 and "failed" in table and "done" in table
    # Fix the input, then retry runs exactly the failed job with its original options.
    broken.write_bytes((speech_dir / "synth_2.wav").read_bytes())
    code, _, err = invoke("retry", str(out))
    assert code == 0, err
    assert err.splitlines()[-1] == "woasr: 1 done, 0 skipped, 0 failed"
    assert (out / "broken.txt").read_text().strip().startswith("Please send")
    code, text, _ = invoke("status", "-o", str(out), "--json")
    assert {j["state"] for j in json.loads(text)["jobs"]} == {"done"}
    code, _, err = invoke("retry", "-o", str(out))
    assert code == 0 and "nothing to retry" in err


def test_doctor_prints_readable_lines() -> None:
    code, out, _ = invoke("doctor")
    assert code == 0
    assert "{" not in out and "}" not in out and "True" not in out
    lines = out.splitlines()
    assert "media" in lines and "providers" in lines
    assert any(ln.startswith("  audio decoders: ") and "mp3" in ln for ln in lines)
    assert any(ln.startswith("  installed: ") and "faster_whisper" in ln for ln in lines)


def test_status_keeps_one_row_per_job_at_80_columns(tmp_path: Path) -> None:
    from woasr_cli.jobs.manifest import Manifest

    out = tmp_path / "out"
    deep = tmp_path / "archive" / "2024" / "interviews with a long folder name" / "session"
    names = [f"speaker {i} - a rather long recording name of the interview.wav" for i in range(3)]
    with Manifest.open(out / ".woasr-manifest.db") as m:
        jobs = [m.register(str(deep / n), "c", "o") for n in names]
        for job in jobs[:2]:
            assert m.claim(job.id, "host:1:x", 60)
        m.finish(jobs[0].id, "host:1:x", [], 12.5, 3.0)
        m.fail(jobs[1].id, "host:1:x", "not a media file FFmpeg can read " * 3)
    result = CliRunner().invoke(app, ["status", "-o", str(out)], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(ln) for ln in lines) <= 80, result.stdout
    for i, state in enumerate(("done", "failed", "pending")):
        rows = [ln for ln in lines if f" {state} " in ln and "speaker" in ln]
        assert len(rows) == 1, result.stdout  # one line per job, with its file name's ends
        assert rows[0].lstrip().startswith(f"speaker {i}") and "interview.wav" in rows[0]
    assert any(ln.startswith("speaker 1") and "not a media file" in ln for ln in lines)


def test_serve_without_its_extra_names_the_command_and_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen on a machine with FastAPI but not its opentelemetry dependency: the message said
    "provider 'serve' needs ..."; serve is a command, not an ASR provider."""
    import sys

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if woasr[serve] were not installed
    code, _, err = invoke("serve", "--data-dir", str(tmp_path / "data"))
    assert code == 2
    want = "woasr: error: woasr serve needs: pip install 'woasr[serve]' (missing uvicorn)"
    assert err.strip() == want


def test_status_at_80_columns_keeps_every_state_and_figure_whole(tmp_path: Path) -> None:
    """Seen on a batch of 3,000 files in nested folders, status piped to a log: rich shrank
    the figures to fit ("10…" for 100%, "interrupt…", "aud…"); a CJK name took two cells a
    character, more than its share."""
    from woasr_cli.jobs.manifest import Manifest

    out = tmp_path / "out"
    deep = tmp_path / "m" / "2024" / "sub dir5" / "ü5" / "sub dir2" / "deep4"
    names = ["talk one1236 with a longer name than fits.mp3", "日本語の録音ファイルが長い.wav"]
    with Manifest.open(out / ".woasr-manifest.db") as m:
        jobs = [m.register(str(deep / n), "c", "o") for n in names]
        for job in jobs:
            assert m.claim(job.id, "host:1:x", 60)
        m.finish(jobs[0].id, "host:1:x", [], 1234.5, 1000.0)
        m.checkpoint(jobs[1].id, "host:1:x", [], 10.0, 20.0)
        m.interrupt(jobs[1].id, "host:1:x")
    result = CliRunner().invoke(app, ["status", "-o", str(out)], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    from rich.cells import cell_len

    lines = result.stdout.splitlines()
    assert max(cell_len(ln) for ln in lines) <= 80, result.stdout
    header = next(ln for ln in lines if ln.split()[:1] == ["input"])
    assert header.split() == ["input", "state", "done", "audio", "wall", "tries"], header
    done = next(ln for ln in lines if " done " in ln and ".mp3" in ln)
    assert done.split()[-5:] == ["done", "100%", "1234.5s", "1000.0s", "1"], done
    cut = next(ln for ln in lines if " interrupted " in ln)
    assert cut.split()[-5:-2] == ["interrupted", "50%", "20.0s"] and cut.split()[-1] == "1", cut
    assert ".wav" in cut and "日本語" in cut

"""The ``openai_api`` provider against a real ``woasr serve`` on 127.0.0.1: the remote run gives
the same text as the local one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'woasr[serve]'")

from serving import Server
from typer.testing import CliRunner

from woasr_cli.cli.app import app

KEY = "through-serve-key"


def test_transcribe_through_woasr_serve_matches_the_local_run(
    shared_audio: Path, tmp_path: Path
) -> None:
    pytest.importorskip("openai", reason="needs pip install 'woasr[openai-api]'")
    clip = str(shared_audio / "jfk.wav")
    local, remote = tmp_path / "local", tmp_path / "remote"
    runner = CliRunner()
    result = runner.invoke(app, ["transcribe", clip, "-o", str(local), "-f", "txt,json",
                                 "-m", "tiny.en"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    server = Server(tmp_path / "data", "--api-key", KEY)
    try:
        result = runner.invoke(app, [
            "transcribe", clip, "-o", str(remote), "-f", "txt,json", "-m", "tiny.en",
            "--provider", "openai_api", "--openai-base-url", server.url + "/v1",
            "--openai-api-key", KEY,
        ])  # fmt: skip
        # A wrong key: the server's 401 stops the batch with exit 2 and one line.
        denied = runner.invoke(app, [
            "transcribe", clip, "-o", str(tmp_path / "denied"), "--provider", "openai_api",
            "--openai-base-url", server.url + "/v1", "--openai-api-key", "wrong",
        ])  # fmt: skip
    finally:
        server.stop()
    assert result.exit_code == 0, result.stderr
    assert denied.exit_code == 2 and "refused the API key" in denied.stderr
    expected = (local / "jfk.txt").read_text()
    assert "ask not what your country can do for you" in expected.lower()
    assert (remote / "jfk.txt").read_text() == expected
    doc = json.loads((remote / "jfk.json").read_text())
    assert doc["provider"] == "openai_api" and doc["language"] == "en"
    local_doc = json.loads((local / "jfk.json").read_text())
    starts = [s["start"] for s in doc["segments"]]
    assert starts == pytest.approx([s["start"] for s in local_doc["segments"]], abs=0.05)

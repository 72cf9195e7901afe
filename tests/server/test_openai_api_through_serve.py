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


def test_live_captions_through_woasr_serve_with_the_settings_in_the_environment(
    shared_audio: Path, references: dict[str, str], tmp_path: Path
) -> None:
    """``woasr listen --provider openai_api``: the endpoint and key from WOASR_OPENAI_* (what
    the "not configured" error asks for; ``listen`` had no such flags and read neither), each
    pass a request to the server. Its passes asked for a narrower beam, which this engine does
    not have: the stream stopped at the first one."""
    pytest.importorskip("openai", reason="needs pip install 'woasr[openai-api]'")
    from conftest import wer

    name = "librispeech_1272-128104-0000.wav"
    server = Server(tmp_path / "data", "--api-key", KEY)
    try:
        env = {"WOASR_OPENAI_BASE_URL": server.url + "/v1", "WOASR_OPENAI_API_KEY": KEY}
        result = CliRunner().invoke(app, [
            "listen", "--file", str(shared_audio / name), "--provider", "openai_api",
            "-m", "tiny.en", "--json", "-o", str(tmp_path / "out"),
        ], env=env)  # fmt: skip
    finally:
        server.stop()
    assert result.exit_code == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    said = " ".join(e["text"] for e in events if e["type"] == "final")
    assert wer(references[name], said) <= 0.15, said
    stem = Path(name).stem
    assert (tmp_path / "out" / f"{stem}.txt").read_text().split() == said.split()


def test_server_jobs_with_the_openai_api_provider(shared_audio: Path, tmp_path: Path) -> None:
    """``model_type: openai_api`` on a server configured with another ``woasr serve`` as its
    endpoint: the job completes with the same text as the server's own faster-whisper job; the
    key is never stored with the job. Unconfigured, the provider is listed off and a job for it
    is refused with 400 naming what to set."""
    pytest.importorskip("openai", reason="needs pip install 'woasr[openai-api]'")
    import httpx
    from fastapi.testclient import TestClient
    from serving import wait_job

    from woasr_cli.server import ServerSettings, create_app

    jfk = shared_audio / "jfk.wav"
    remote = Server(tmp_path / "remote", "--api-key", KEY)
    front = Server(tmp_path / "front", "--openai-base-url", remote.url + "/v1",
                   "--openai-api-key", KEY)  # fmt: skip
    try:
        providers = httpx.get(front.url + "/api/v1/transcribe/providers").json()
        assert providers["providers"]["openai_api"] is True
        files = [("files", ("jfk.wav", jfk.read_bytes()))]
        (fid,) = httpx.post(front.url + "/api/v1/upload", files=files).json()["file_ids"]
        texts = {}
        for provider in ("openai_api", "faster_whisper"):
            body = {"file_ids": [fid], "model_type": provider, "model_size": "tiny.en",
                    "language": "en", "output_formats": ["txt", "json"]}  # fmt: skip
            r = httpx.post(front.url + "/api/v1/transcribe", json=body)
            assert r.status_code == 202, r.text
            job = wait_job(lambda p: httpx.get(front.url + p), r.json()["job_id"], timeout=120)
            assert job["status"] == "completed", job
            results = f"{front.url}/api/v1/results/{job['job_id']}"
            texts[provider] = httpx.get(results + "/txt").text
            assert httpx.get(results + "/json").json()["provider"] == provider
        # The OpenAI-compatible route of the same server takes the provider as the jobs do
        # (it answered 400 "not configured: set --openai-base-url", the flag it was started with)
        r = httpx.post(front.url + "/v1/audio/transcriptions", timeout=120,
                       data={"model": "openai_api/tiny.en", "language": "en"},
                       files={"file": ("jfk.wav", jfk.read_bytes())})  # fmt: skip
        assert r.status_code == 200, r.text
        said = r.json()["text"]
    finally:
        front.stop()
        remote.stop()
    assert "ask not what your country can do for you" in texts["openai_api"].lower()
    assert texts["openai_api"] == texts["faster_whisper"]
    assert said.split() == texts["openai_api"].split()
    stored = [p.read_text() for p in (tmp_path / "front").rglob("*.json")]
    assert stored and not any(KEY in text for text in stored)

    with TestClient(create_app(ServerSettings(data_dir=tmp_path / "plain"))) as plain:
        listed = plain.get("/api/v1/transcribe/providers").json()
        assert listed["providers"]["openai_api"] is False
        assert "WOASR_OPENAI_BASE_URL" in listed["missing"]["openai_api"]
        (fid,) = plain.post("/api/v1/upload", files=[("files", ("jfk.wav", jfk.read_bytes()))]
                            ).json()["file_ids"]  # fmt: skip
        r = plain.post("/api/v1/transcribe", json={"file_ids": [fid], "model_type": "openai_api"})
        assert r.status_code == 400
        detail = r.json()["detail"]
        assert "not configured on this server" in detail and "WOASR_OPENAI_API_KEY" in detail
        r = plain.post("/v1/audio/transcriptions", data={"model": "openai_api/tiny.en"},
                       files={"file": ("jfk.wav", jfk.read_bytes())})  # fmt: skip
        assert (r.status_code, r.json()["error"]["message"]) == (400, detail)

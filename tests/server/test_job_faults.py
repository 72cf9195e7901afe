"""An unexpected error mid-file inside a server job (a bug, a library's surprise): the file's
manifest job fails at once with a one-line reason, its server job is ``failed`` with the
``error``, other jobs finish, and the server goes on serving. The fault is real: a provider
plugin whose segments raise after the first one (tests/faultyprovider.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'woasr[serve]'")
pytest.importorskip("prometheus_client", reason="needs the serve extra: pip install 'woasr[serve]'")

from fastapi.testclient import TestClient
from faultyprovider import NAME, register_faulty, unregister_faulty
from serving import wait_job

from woasr_cli import TranscribeOptions, run_batch
from woasr_cli.jobs.manifest import Manifest
from woasr_cli.jobs.manifest_path import default_manifest
from woasr_cli.jobs.states import JobState
from woasr_cli.server import ServerSettings, create_app


@pytest.fixture
def faulty() -> Iterator[str]:
    register_faulty()
    yield NAME
    unregister_faulty()


def submit(client: TestClient, file_id: str, provider: str) -> str:
    body = {"file_ids": [file_id], "model_type": provider, "model_size": "tiny.en",
            "language": "en", "output_formats": ["txt"]}  # fmt: skip
    r = client.post("/api/v1/transcribe", json=body)
    assert r.status_code == 202, r.text
    return str(r.json()["job_id"])


def test_a_bug_mid_file_fails_that_job_at_once(
    faulty: str, shared_audio: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    with TestClient(create_app(ServerSettings(data_dir=data, default_model="tiny.en"))) as client:
        files = [("files", ("jfk.wav", (shared_audio / "jfk.wav").read_bytes()))]
        (fid,) = client.post("/api/v1/upload", files=files).json()["file_ids"]
        bad, good = submit(client, fid, faulty), submit(client, fid, "faster_whisper")
        # Well inside the manifest's 60 s lease: a row left running would still be running.
        failed = wait_job(client.get, bad, timeout=40)
        assert failed["status"] == "failed", failed
        assert failed["error"] == (
            "jfk.wav: InjectedBug: injected fault after the first segment second line"
        )
        assert wait_job(client.get, good, timeout=60)["status"] == "completed"
        # The server goes on: healthy, and a new job after the fault completes.
        assert client.get("/health").json()["status"] == "healthy"
        again = submit(client, fid, "faster_whisper")
        done = wait_job(client.get, again, timeout=60)
        assert done["status"] == "completed"
        text = client.get(f"/api/v1/results/{again}/txt").text
        assert "ask not what your country" in text.lower()
    with Manifest.open(data / "manifest.sqlite") as manifest:
        states = sorted(j.state.value for j in manifest.jobs())
        (row,) = [j for j in manifest.jobs() if j.state == JobState.FAILED]
    assert states == ["done", "done", "failed"]
    assert row.owner is None and row.error and "\n" not in row.error


def test_a_bug_mid_file_fails_that_file_in_a_cli_batch(
    faulty: str, shared_audio: Path, tmp_path: Path
) -> None:
    """The same policy in the library's batch runner, so ``woasr transcribe`` has it too."""
    options = TranscribeOptions(provider=faulty, model="tiny.en", language="en", formats=("txt",))
    result = run_batch([shared_audio / "jfk.wav"], options, tmp_path / "out")
    assert (result.done, result.failed) == (0, 1)
    assert result.failures[0][1].startswith("InjectedBug: injected fault")
    with Manifest.open(default_manifest(tmp_path / "out")) as manifest:
        (row,) = manifest.jobs()
    assert row.state == JobState.FAILED and row.owner is None

"""The job list and ``/metrics`` of a server that has done many jobs: one read of the
manifest, not one per file (that made each call cost 0.1 s after 1,500 jobs, and more with
every job after), and the list reads only the newest jobs it shows."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'woasr[serve]'")
pytest.importorskip("prometheus_client", reason="needs the serve extra: pip install 'woasr[serve]'")

from fastapi.testclient import TestClient

from woasr_cli.jobs.manifest import Manifest
from woasr_cli.server import ServerSettings, create_app
from woasr_cli.server.records import JobFile, JobRecord, RecordStore

JOBS = 500


def _history(data: Path) -> list[str]:
    """``JOBS`` finished one-file jobs, as a server that ran them leaves them on disk."""
    records = RecordStore(data / "jobs")
    ids = []
    with Manifest.open(data / "manifest.sqlite") as m:
        for i in range(JOBS):
            job_id, file_id = str(uuid.uuid4()), str(uuid.uuid4())
            link = data / "jobs" / job_id / "inputs" / f"{file_id}.wav"
            row = m.register(str(link), f"c{i}", "o")
            assert m.claim(row.id, "me", 60)
            failed = i % 100 == 0
            if failed:
                m.fail(row.id, "me", "broken")
            else:
                m.finish(row.id, "me", [], 2.0, 0.1)
            file = JobFile(file_id, f"f{i}.wav", str(link), row.id, 2.0)
            records.save(JobRecord(job_id, 1000.0 + i, (file,), {}, ("vtt",)))
            ids.append(job_id)
    return ids


def test_the_job_list_and_metrics_read_the_manifest_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _history(tmp_path)
    reads = []
    get = Manifest.get

    def counted(self: Manifest, job_id: int) -> object:
        reads.append(job_id)
        return get(self, job_id)

    monkeypatch.setattr(Manifest, "get", counted)
    app = create_app(ServerSettings(data_dir=tmp_path, default_model="tiny.en"))
    with TestClient(app) as client:
        reads.clear()  # (starting reads each job once, to queue the unfinished ones)
        body = client.get("/api/v1/transcribe/jobs", params={"limit": 10}).json()
        assert body["total"] == JOBS
        assert [j["job_id"] for j in body["jobs"]] == ids[::-1][:10]
        assert all(j["status"] == "completed" for j in body["jobs"])
        failed = client.get("/api/v1/transcribe/jobs", params={"status": "failed"}).json()
        assert failed["total"] == JOBS // 100 and failed["jobs"][0]["job_id"] == ids[-100]
        assert failed["jobs"][0]["error"] == "f400.wav: broken"
        metrics = client.get("/metrics").text
        assert f'woasr_jobs{{state="completed"}} {JOBS - JOBS // 100}.0' in metrics, metrics
        assert f'woasr_jobs{{state="failed"}} {JOBS // 100}.0' in metrics
    assert len(reads) < 10, f"{len(reads)} reads of the manifest, one per job"

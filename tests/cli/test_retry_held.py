"""``woasr retry`` while another process is still running a job of the batch: it leaves the
job to that process, and says so (it said "nothing to retry", beside a status of "running")."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from woasr_cli.cli.app import app
from woasr_cli.jobs.manifest import Manifest
from woasr_cli.jobs.owner import new_owner


def test_retry_names_the_job_another_process_runs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Manifest.open(out / ".woasr-manifest.db") as manifest:
        job = manifest.register(tmp_path / "talk.wav", "v1:c", "o")
        assert manifest.claim(job.id, new_owner(), lease_seconds=600)  # this live process
    result = CliRunner().invoke(app, ["retry", str(out)])
    assert result.exit_code == 0
    assert result.stderr.strip() == (
        "woasr: nothing to retry (1 still running in another process: woasr status follows it)"
    )
    with Manifest.open(out / ".woasr-manifest.db") as manifest:
        assert [j.state.value for j in manifest.jobs()] == ["running"]  # left to its owner

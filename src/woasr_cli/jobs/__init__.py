"""Batch jobs: the SQLite manifest, job states, input fingerprints and the batch runner."""

from woasr_cli.jobs.fingerprint import fingerprint_file
from woasr_cli.jobs.job import Job
from woasr_cli.jobs.manifest import Manifest
from woasr_cli.jobs.states import JobState

__all__ = ["Job", "JobState", "Manifest", "fingerprint_file"]

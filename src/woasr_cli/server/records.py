"""A server job's request, as written once at submission: ``<data>/jobs/<job_id>/job.json``.

What the job has done lives in the manifest (one manifest job per file of the request); this
record only says which files and options the request asked for, and whether it was cancelled.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from woasr_cli.options import TranscribeOptions
from woasr_cli.outputs import atomic_write_text


@dataclass(frozen=True)
class JobFile:
    file_id: str
    filename: str  # display name
    input_path: str  # the manifest's key: a link to the upload inside the job's folder
    manifest_id: int
    duration: float | None


@dataclass(frozen=True)
class JobRecord:
    id: str
    created_at: float
    files: tuple[JobFile, ...]
    options: dict[str, Any]  # TranscribeOptions.public_dict()
    formats: tuple[str, ...]  # what the client asked for (json is always written too)
    request: dict[str, Any] = field(default_factory=dict)
    cancelled_at: float | None = None

    @property
    def transcribe_options(self) -> TranscribeOptions:
        return TranscribeOptions.from_mapping(self.options)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> JobRecord:
        data = json.loads(text)
        data["files"] = tuple(JobFile(**f) for f in data["files"])
        data["formats"] = tuple(data["formats"])
        return cls(**data)


class RecordStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def folder(self, job_id: str) -> Path:
        return self.root / job_id

    def save(self, record: JobRecord) -> None:
        atomic_write_text(self.folder(record.id) / "job.json", record.to_json())

    def load_all(self) -> list[JobRecord]:
        records = []
        for path in self.root.glob("*/job.json"):
            try:
                records.append(JobRecord.from_json(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError, KeyError):
                continue  # a folder being deleted, or not ours
        return sorted(records, key=lambda r: r.created_at)

    def cancel(self, record: JobRecord) -> JobRecord:
        cancelled = replace(record, cancelled_at=round(time.time(), 3))
        self.save(cancelled)
        return cancelled

    def delete(self, job_id: str) -> None:
        shutil.rmtree(self.folder(job_id), ignore_errors=True)

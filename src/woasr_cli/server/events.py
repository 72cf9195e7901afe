"""Server-Sent Events: a job's progress, as the original's planned ``ProgressMessage``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

from fastapi.concurrency import run_in_threadpool

from woasr_cli.server.jobs import JobService, NotFound
from woasr_cli.server.status import TERMINAL, JobStatus, JobView

POLL_S = 0.5
KEEPALIVE_S = 15.0

_FINAL_TYPE = {
    JobStatus.COMPLETED: "completed",
    JobStatus.FAILED: "error",
    JobStatus.CANCELLED: "cancelled",
}


def sse(event: str | None, data: Any) -> str:
    """One SSE message; ``data`` is sent as compact JSON on one line."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def progress_message(view: JobView) -> dict[str, Any]:
    kind = _FINAL_TYPE.get(view.status, "progress")
    return {
        "type": kind,
        "job_id": view.record.id,
        "status": view.status.value,
        "progress": view.progress,
        "current_file": view.current_file,
        "done_seconds": view.done_seconds,
        "total_seconds": view.total_seconds,
        "message": view.error or view.status.value,
        "timestamp": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
    }


async def job_events(jobs: JobService, job_id: str) -> AsyncIterator[str]:
    """A message whenever status, progress or current file change; ends after the final one."""
    last: tuple[object, ...] | None = None
    quiet = 0.0
    while not jobs.stopping:  # the server is stopping: its connections should not hold it
        try:
            view = await run_in_threadpool(jobs.view, job_id)
        except NotFound:  # deleted meanwhile (cleanup)
            return
        key = (view.status, view.progress, view.current_file, view.done_seconds)
        if key != last:
            last, quiet = key, 0.0
            message = progress_message(view)
            yield sse(message["type"], message)
            if view.status in TERMINAL:
                return
        elif quiet >= KEEPALIVE_S:
            quiet = 0.0
            yield ": keep-alive\n\n"
        await asyncio.sleep(POLL_S)
        quiet += POLL_S

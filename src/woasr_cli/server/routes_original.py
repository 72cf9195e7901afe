"""The original World-of-ASR API at its paths, plus the job list, cancel and progress events.

Multi-file downloads: ``GET /api/v1/results/{job_id}/{format}?file_id=<id>`` gives one file's
output; without ``file_id`` a one-file job gives its file and a multi-file job a zip of every
file's output in that format (named after the uploaded files).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response, StreamingResponse

from woasr_cli.errors import UsageError
from woasr_cli.jobs.states import JobState
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.registry import specs
from woasr_cli.server.errors import HTTPProblem
from woasr_cli.server.events import job_events
from woasr_cli.server.jobs import JobService
from woasr_cli.server.records import JobFile
from woasr_cli.server.schemas import (
    FileResult,
    JobFileResponse,
    JobListResponse,
    JobResponse,
    ResultsResponse,
    TranscriptionRequest,
    UploadResponse,
    requested_formats,
    server_default_model,
    to_options,
)
from woasr_cli.server.settings import ServerSettings
from woasr_cli.server.status import JobStatus, JobView
from woasr_cli.server.uploads import UploadStore

MEDIA_TYPES = {
    "vtt": "text/vtt",
    "srt": "application/x-subrip",
    "json": "application/json",
    "txt": "text/plain",
    "tsv": "text/tab-separated-values",
    "rttm": "text/plain",
}


def utc(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=timezone.utc)


def service(request: Request) -> JobService:
    jobs: JobService = request.app.state.jobs
    return jobs


def job_response(view: JobView) -> JobResponse:
    return JobResponse(
        job_id=view.record.id,
        status=view.status.value,
        progress=view.progress,
        current_file=view.current_file,
        total_files=len(view.files),
        created_at=utc(view.record.created_at),  # type: ignore[arg-type]
        started_at=utc(view.started_at),
        completed_at=utc(view.completed_at),
        error=view.error,
        done_seconds=view.done_seconds,
        total_seconds=view.total_seconds,
        files=[
            JobFileResponse(
                file_id=f.file.file_id,
                filename=f.file.filename,
                status=f.state.value if f.state else "pending",
                progress=100 if f.duration and f.done_seconds >= f.duration
                else int(100 * f.done_seconds / f.duration) if f.duration else 0,
                done_seconds=round(f.done_seconds, 3),
                duration=f.duration,
                error=f.row.error if f.row else None,
            )
            for f in view.files
        ],
    )  # fmt: skip


def build_router(settings: ServerSettings) -> APIRouter:
    router = APIRouter()

    @router.post("/api/v1/upload", status_code=201, response_model=UploadResponse, tags=["files"])
    async def upload(request: Request, files: list[UploadFile] = File(...)) -> UploadResponse:
        """Upload media (multipart field ``files``, repeated). Any declared type is accepted,
        ``application/octet-stream`` included: the content is probed, and a file woasr cannot
        decode is refused with 415."""
        if len(files) > settings.max_files:
            raise HTTPProblem(400, f"at most {settings.max_files} files per upload")
        store: UploadStore = request.app.state.uploads
        saved = []
        try:
            for item in files:
                stored = await run_in_threadpool(
                    store.save, item.file, item.filename, item.content_type
                )
                saved.append(stored)
        except BaseException:
            for stored in saved:
                store.delete(stored.file_id)
            raise
        when = max(s.uploaded_at for s in saved)
        return UploadResponse(file_ids=[s.file_id for s in saved], uploaded_at=utc(when))  # type: ignore[arg-type]

    @router.post("/api/v1/transcribe", status_code=202, tags=["jobs"])
    async def transcribe(
        body: TranscriptionRequest, jobs: JobService = Depends(service)
    ) -> dict[str, object]:
        """Create a job for uploaded files. 404 for unknown file ids, 400 for options the
        provider or model cannot serve, 503 (with ``Retry-After``) when the queue is full."""
        if len(body.file_ids) > settings.max_files:  # the upload's limit, in the same words
            raise HTTPProblem(400, f"at most {settings.max_files} files per job")
        known = {s.name for s in specs()}
        if body.model_type not in known:
            raise HTTPProblem(
                422,
                [{"type": "enum", "loc": ["body", "model_type"],
                  "msg": f"Input should be one of: {', '.join(sorted(known))}",
                  "input": body.model_type}],
            )  # fmt: skip
        try:
            options = to_options(body, settings.default_model, settings.device)
        except (UsageError, TypeError, ValueError) as exc:
            raise HTTPProblem(400, str(exc)) from None
        record = await run_in_threadpool(
            jobs.submit, body.file_ids, options, requested_formats(body),
            body.model_dump(mode="json"),
        )  # fmt: skip
        return {
            "job_id": record.id,
            "status": JobStatus.QUEUED.value,
            "message": "Transcription job created and queued for processing",
            "files_count": len(record.files),
        }

    @router.get("/api/v1/transcribe/jobs", response_model=JobListResponse, tags=["jobs"])
    async def list_jobs(
        status: JobStatus | None = None,
        limit: int = Query(100, ge=1, le=1000),
        jobs: JobService = Depends(service),
    ) -> JobListResponse:
        """Jobs, newest first; ``status`` filters."""
        if status is None:  # the newest only: no need to read every job's files
            views = await run_in_threadpool(jobs.views, limit)
            return JobListResponse(jobs=[job_response(v) for v in views], total=jobs.count())
        views = [v for v in await run_in_threadpool(jobs.views) if v.status == status]
        views.sort(key=lambda v: v.record.created_at, reverse=True)
        return JobListResponse(jobs=[job_response(v) for v in views[:limit]], total=len(views))

    @router.get("/api/v1/transcribe/jobs/{job_id}", response_model=JobResponse, tags=["jobs"])
    async def get_job(job_id: str, jobs: JobService = Depends(service)) -> JobResponse:
        return job_response(await run_in_threadpool(jobs.view, job_id))

    async def cancel(job_id: str, jobs: JobService = Depends(service)) -> JobResponse:
        """Cancel a queued or running job (a running file stops after its current segment);
        409 if it already finished."""
        return job_response(await run_in_threadpool(jobs.cancel, job_id))

    router.delete("/api/v1/transcribe/jobs/{job_id}", response_model=JobResponse, tags=["jobs"])(
        cancel
    )
    router.delete("/api/v1/jobs/{job_id}", response_model=JobResponse, tags=["jobs"])(cancel)

    @router.get("/api/v1/transcribe/jobs/{job_id}/events", tags=["jobs"])
    async def events(job_id: str, jobs: JobService = Depends(service)) -> StreamingResponse:
        """Server-Sent Events: ``progress`` while the job runs, then one ``completed``,
        ``error`` or ``cancelled``; each data is the original's ProgressMessage."""
        await run_in_threadpool(jobs.view, job_id)  # 404 before the stream starts
        return StreamingResponse(
            job_events(jobs, job_id),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.get("/api/v1/transcribe/providers", tags=["providers"])
    async def providers(request: Request) -> dict[str, object]:
        """What this installation can run: a provider is true when its engine is installed."""
        from woasr_cli.models.resolve import offline_model_names

        all_specs = specs()
        # External providers (openai_api) are on when the server was given their settings.
        configured = settings.complete(TranscribeOptions())
        installed = {s.name: s.installed and not s.unset(configured) for s in all_specs}
        # What a request that names no model gets: the server's --model where it applies
        defaults = {
            s.name: server_default_model(s.name, settings.default_model) or s.default_model
            for s in all_specs
        }
        return {
            "providers": installed,
            "models": {
                s.name: list(dict.fromkeys([defaults[s.name]] + (offline_model_names()
                         if s.name == "faster_whisper" else [])))
                for s in all_specs if installed[s.name]
            },
            "default_models": defaults,
            "missing": {s.name: s.missing() + [x.env for x in s.unset(configured)]
                        for s in all_specs if not installed[s.name]},
            "languages": ["auto", "en", "ko", "ja", "zh", "de", "es", "fr", "ru", "it", "pt",
                          "vi", "th"],
            "notes": "false: pip install 'woasr[<extra>]' for the engine (see `woasr providers`)",
        }  # fmt: skip

    @router.get("/api/v1/results/{job_id}", response_model=ResultsResponse, tags=["results"])
    async def results(job_id: str, jobs: JobService = Depends(service)) -> ResultsResponse:
        view, done = await run_in_threadpool(_finished, jobs, job_id)
        items = await run_in_threadpool(lambda: [_file_result(jobs, view, f) for f in done])
        return ResultsResponse(
            job_id=job_id, status=view.status.value, results_count=len(items), results=items
        )

    @router.get("/api/v1/results/{job_id}/{format}", tags=["results"])
    async def download(
        job_id: str,
        format: str,
        file_id: str | None = Query(None, description="one file of a multi-file job"),
        jobs: JobService = Depends(service),
    ) -> Response:
        """One format of a finished job. ``file_id`` picks a file; without it a one-file job
        gives its file and a multi-file job a zip of every file's output."""
        if format not in MEDIA_TYPES:
            raise HTTPProblem(400, f"Invalid format. Supported formats: {', '.join(MEDIA_TYPES)}")
        view, files = await run_in_threadpool(_finished, jobs, job_id)
        if format not in view.record.formats:
            raise HTTPProblem(404, f"Result file not found for format: {format}")
        if file_id is not None:
            if not any(f.file.file_id == file_id for f in view.files):
                raise HTTPProblem(404, f"File {file_id} is not part of job {job_id}")
            files = [f for f in files if f.file_id == file_id]
            if not files:
                raise HTTPProblem(400, f"File {file_id} did not finish (job {view.status.value})")
        paths = [(f, jobs.result_stem(job_id, f).with_suffix(f".{format}")) for f in files]
        if any(not p.is_file() for _, p in paths):
            raise HTTPProblem(404, "Result file not found on disk")
        if len(paths) == 1:
            f, path = paths[0]
            return FileResponse(
                path, media_type=MEDIA_TYPES[format], filename=_download_name(f, format)
            )
        data = await run_in_threadpool(_zip, paths, format)
        return Response(
            data,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{job_id}-{format}.zip"'},
        )

    return router


def _finished(jobs: JobService, job_id: str) -> tuple[JobView, list[JobFile]]:
    """The job and its files whose results can be had: every file of a completed job; of a
    job that failed or was cancelled, the files that finished before (they were there, and
    could not be downloaded: "Job is not completed yet. Current status: failed")."""
    view = jobs.view(job_id)
    if view.status == JobStatus.COMPLETED:
        return view, [f.file for f in view.files]
    done = [f.file for f in view.files if f.state == JobState.DONE]
    if view.status in (JobStatus.FAILED, JobStatus.CANCELLED) and done:
        return view, done
    if view.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        why = f": {view.error}" if view.error else ""
        raise HTTPProblem(400, f"Job {view.status.value} before any file finished{why}")
    raise HTTPProblem(400, f"Job is not completed yet. Current status: {view.status.value}")


def _file_result(jobs: JobService, view: JobView, file: JobFile) -> FileResult:
    stem = jobs.result_stem(view.record.id, file)
    data = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
    segments = data.get("segments", [])
    speakers = {s.get("speaker") for s in segments if s.get("speaker")}
    finished = next((f.row.finished_at for f in view.files if f.file is file and f.row), None)
    formats = [f for f in MEDIA_TYPES if f in view.record.formats]
    return FileResult(
        file_id=file.file_id,
        filename=file.filename,
        segments_count=len(segments),
        speakers_count=len(speakers) if speakers else None,
        available_formats=formats,
        created_at=utc(finished),
        downloads={
            f: f"/api/v1/results/{view.record.id}/{f}?file_id={file.file_id}" for f in formats
        },
    )


def _download_name(file: JobFile, format: str) -> str:
    return f"{PurePosixPath(file.filename).stem or file.file_id}.{format}"


def _zip(paths: list[tuple[JobFile, Path]], format: str) -> bytes:
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file, path in paths:
            name = _download_name(file, format)
            if name in used:  # a.wav and a.mp3: both keep their own file
                name = f"{PurePosixPath(file.filename).name}.{format}"
            if name in used:
                name = f"{file.file_id}.{format}"
            used.add(name)
            archive.write(path, name)
    return buffer.getvalue()

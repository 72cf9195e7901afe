"""OpenAI-compatible audio routes: ``/v1/audio/transcriptions``, ``/v1/audio/translations``,
``/v1/models``. The official ``openai`` SDK works against them unchanged.

``model`` is ``whisper-1`` (the server's default model), a woasr model name (``tiny.en``,
``base``...) or ``<provider>/<model>`` (``origin_whisper/base``). ``stream=true`` answers
Server-Sent Events: ``transcript.text.delta`` per finished segment, then
``transcript.text.done``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from woasr_cli.errors import Interrupted, WoasrError, reason
from woasr_cli.formats import FormatOptions, render
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.registry import specs
from woasr_cli.server.direct import STREAM_WINDOW_S, transcribe_now
from woasr_cli.server.errors import HTTPProblem, status_for
from woasr_cli.server.events import sse
from woasr_cli.server.settings import ServerSettings
from woasr_cli.server.uploads import StoredFile, UploadStore
from woasr_cli.transcript import Segment, Transcript

ResponseFormat = Literal["json", "text", "srt", "verbose_json", "vtt"]
DEFAULT_ALIASES = frozenset({"", "whisper-1", "default"})
DISCONNECT_POLL_S = 0.5  # how often a direct request looks whether its client is still there


def model_options(name: str, settings: ServerSettings) -> dict[str, Any]:
    provider, _, model = name.partition("/")
    if model and provider in {s.name for s in specs()}:
        return {"provider": provider, "model": model}
    if name in DEFAULT_ALIASES:
        return {"provider": "faster_whisper", "model": settings.default_model}
    return {"provider": "faster_whisper", "model": name}


def verbose(transcript: Transcript, task: str, words: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "task": task,
        "language": transcript.language or "",
        "duration": round(transcript.duration, 3),
        "text": transcript.text,
        "segments": [
            {
                "id": i, "seek": 0, "start": round(s.start, 3), "end": round(s.end, 3),
                "text": s.text, "tokens": [], "temperature": 0.0,
                "avg_logprob": s.avg_logprob or 0.0, "compression_ratio": 0.0,
                "no_speech_prob": s.no_speech_prob or 0.0,
            }
            for i, s in enumerate(transcript.segments)
        ],
        "usage": {"type": "duration", "seconds": round(transcript.duration, 3)},
    }  # fmt: skip
    if words:
        out["words"] = [
            {"word": w.text, "start": round(w.start, 3), "end": round(w.end, 3)}
            for s in transcript.segments
            for w in s.words
        ]
    return out


def build_router(settings: ServerSettings) -> APIRouter:
    router = APIRouter(tags=["openai"])

    async def handle(
        request: Request,
        task: Literal["transcribe", "translate"],
        file: UploadFile,
        model: str,
        language: str | None,
        prompt: str | None,
        response_format: ResponseFormat,
        temperature: float | None,
        granularities: list[str],
        stream: bool,
    ) -> Response:
        words = "word" in granularities
        options = TranscribeOptions(
            **model_options(model, settings),
            device=settings.device,  # type: ignore[arg-type]
            language=(language or None) if task == "transcribe" else None,
            task=task,
            initial_prompt=prompt or None,
            # asked for, or the engine's default: its word times lay srt/vtt cues out at pauses
            word_timestamps=True if words else None,
            formats=("json",),
        )
        options = settings.configured(options)  # openai_api: the server's endpoint and key
        if temperature:  # OpenAI's 0 (its default) "increases automatically": the fallbacks
            options = options.with_changes(temperature=(temperature,))
        tmp: UploadStore = request.app.state.scratch
        stored = await run_in_threadpool(tmp.save, file.file, file.filename, file.content_type)
        try:  # a model that cannot serve these options answers 400 before any streaming
            await run_in_threadpool(request.app.state.models.check, options)
        except BaseException:
            tmp.delete(stored.file_id)
            raise
        if stream:
            return _ScratchStream(
                _stream(request, stored, options, tmp),
                lambda: tmp.delete(stored.file_id),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        started = time.monotonic()
        try:
            transcript = await _unless_gone(request, stored, options)
        finally:
            tmp.delete(stored.file_id)
        if transcript is None and request.app.state.jobs.stopping:
            raise HTTPProblem(503, "the server is stopping: send the file again")
        if transcript is None:
            return Response(status_code=499)  # nobody reads it: the client went away
        request.app.state.metrics.observe_direct(
            task, transcript.duration, time.monotonic() - started
        )
        if response_format == "json":
            return JSONResponse({"text": transcript.text})
        if response_format == "verbose_json":
            return JSONResponse(verbose(transcript, task, words))
        if response_format == "text":
            return PlainTextResponse(transcript.text + "\n")
        text = render(response_format, transcript, FormatOptions())
        media = "text/vtt" if response_format == "vtt" else "application/x-subrip"
        return PlainTextResponse(text, media_type=media)

    @router.post("/v1/audio/transcriptions")
    async def transcriptions(
        request: Request,
        file: UploadFile = File(...),
        model: str = Form("whisper-1"),
        language: str | None = Form(None),
        prompt: str | None = Form(None),
        response_format: ResponseFormat = Form("json"),
        temperature: float | None = Form(None),  # range: the library's
        timestamp_granularities: list[Literal["word", "segment"]] = Form(
            [], alias="timestamp_granularities[]"
        ),
        stream: bool = Form(False),
    ) -> Response:
        return await handle(
            request, "transcribe", file, model, language, prompt, response_format,
            temperature, list(timestamp_granularities), stream,
        )  # fmt: skip

    @router.post("/v1/audio/translations")
    async def translations(
        request: Request,
        file: UploadFile = File(...),
        model: str = Form("whisper-1"),
        prompt: str | None = Form(None),
        response_format: ResponseFormat = Form("json"),
        temperature: float | None = Form(None),  # range: the library's
    ) -> Response:
        """Speech in any language to English text (needs a multilingual model)."""
        return await handle(
            request, "translate", file, model, None, prompt, response_format,
            temperature, [], False,
        )  # fmt: skip

    @router.get("/v1/models")
    async def models(request: Request) -> dict[str, Any]:
        from woasr_cli.models.resolve import offline_model_names

        names = ["whisper-1", *offline_model_names()]
        names += [p.model_name for p in request.app.state.models.loaded()]
        return {
            "object": "list",
            "data": [
                {"id": n, "object": "model", "created": 0, "owned_by": "woasr"}
                for n in dict.fromkeys(names)
            ],
        }

    return router


async def _unless_gone(
    request: Request, stored: StoredFile, options: TranscribeOptions
) -> Transcript | None:
    """The transcript; None when the client went away (or the server is stopping) first: the
    work stops after the segment in hand, instead of going on to the end of the file for
    nobody (and again for each retry of a client that timed out)."""
    stop = threading.Event()
    jobs = request.app.state.jobs

    def gone() -> bool:
        return stop.is_set() or jobs.stopping

    work = asyncio.ensure_future(
        run_in_threadpool(
            transcribe_now, request.app.state.models, Path(stored.path), options, should_stop=gone
        )
    )
    while not work.done():
        await asyncio.wait({work}, timeout=DISCONNECT_POLL_S)
        if not work.done() and (jobs.stopping or await request.is_disconnected()):
            stop.set()
    try:
        return work.result()
    except Interrupted:
        if stop.is_set() or jobs.stopping:
            return None
        raise


async def _stream(
    request: Request, stored: StoredFile, options: TranscribeOptions, tmp: UploadStore
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[list[Segment] | Transcript | WoasrError] = asyncio.Queue()
    stop = threading.Event()
    started = time.monotonic()
    jobs = request.app.state.jobs

    def work() -> None:
        try:
            result: Transcript | WoasrError = transcribe_now(
                request.app.state.models, Path(stored.path), options,
                on_segments=lambda segs: _put(loop, queue, segs),
                should_stop=lambda: stop.is_set() or jobs.stopping, window_s=STREAM_WINDOW_S,
            )  # fmt: skip
        except WoasrError as exc:
            result = exc
        finally:
            tmp.delete(stored.file_id)
        _put(loop, queue, result)

    task = loop.run_in_executor(None, work)
    first = True
    try:
        while True:
            item = await queue.get()
            if isinstance(item, list):
                text = " ".join(s.text for s in item)
                yield sse(None, {"type": "transcript.text.delta",
                                 "delta": text if first else " " + text})  # fmt: skip
                first = False
            elif isinstance(item, Transcript):
                request.app.state.metrics.observe_direct(
                    options.task, item.duration, time.monotonic() - started
                )
                yield sse(None, {"type": "transcript.text.done", "text": item.text})
                return
            else:
                yield sse("error", {"error": {"message": reason(item), "code": status_for(item)}})
                return
    finally:
        stop.set()  # the client went away: the worker stops after its current segment
        with contextlib.suppress(WoasrError):
            await task


class _ScratchStream(StreamingResponse):
    """A streamed answer whose upload is deleted when the response ends, however it ends.
    The stream's own ``finally`` deletes it once the stream has started; a client that went
    away before it started (the response cancelled before its first event) left the upload
    in ``<data>/tmp`` for good, one file per such request."""

    def __init__(
        self, content: AsyncIterator[str], cleanup: Callable[[], None], **kwargs: Any
    ) -> None:
        super().__init__(content, **kwargs)
        self._content = content
        self._cleanup = cleanup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            aclose = getattr(self._content, "aclose", None)
            if aclose is not None:  # a stream left at an event stops its work first
                with contextlib.suppress(Exception):
                    await aclose()
            await run_in_threadpool(self._cleanup)


def _put(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any], item: object) -> None:
    loop.call_soon_threadsafe(queue.put_nowait, item)

"""The FastAPI application: ``create_app(settings)`` wires the stores, the job service, the
routers and the middleware; uvicorn (``woasr serve``) or a test client runs it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from woasr_cli import __version__
from woasr_cli.live.stream_set import LiveStreams
from woasr_cli.live.ws import stream_router
from woasr_cli.model_pool import ModelPool
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import Provider
from woasr_cli.server import api_docs, errors, page, routes_openai, routes_original
from woasr_cli.server.auth import BearerAuth
from woasr_cli.server.jobs import JobService
from woasr_cli.server.limits import BodyLimit
from woasr_cli.server.metrics import ServerMetrics
from woasr_cli.server.settings import ServerSettings
from woasr_cli.server.uploads import UploadStore

TITLE = "woasr"
STOP_WAIT_S = 60.0  # on shutdown, after the job threads' own 30 s, for batches in the engine


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    settings = settings or ServerSettings()
    data = settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    models = ModelPool(settings.max_models, settings.model_idle_s)
    uploads = UploadStore(data / "uploads")
    scratch = UploadStore(data / "tmp")  # the OpenAI routes' files, while they are answered
    jobs = JobService(settings, models, uploads, scratch)
    metrics = ServerMetrics(jobs)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(jobs.start)
        try:
            yield
        finally:
            await run_in_threadpool(jobs.stop)
            # Files stop after the batch in hand (a slow model's can take a minute).
            await run_in_threadpool(models.close, STOP_WAIT_S)

    app = FastAPI(
        title=TITLE,
        version=__version__,
        description="World-of-ASR job API and an OpenAI-compatible API on woasr (docs/server.md)",
        lifespan=lifespan,
        docs_url=None,  # api_docs: from this machine's files, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.models = models
    app.state.uploads = uploads
    app.state.scratch = scratch
    app.state.jobs = jobs
    app.state.metrics = metrics
    errors.install(app)
    app.include_router(routes_original.build_router(settings))
    app.include_router(routes_openai.build_router(settings))
    app.state.streams = streams = LiveStreams()  # ended, their tails sent, when serve stops
    # the server's provider settings too: a stream for openai_api uses its endpoint and key
    base = TranscribeOptions(model=settings.default_model, device=settings.device)  # type: ignore[arg-type]
    app.include_router(stream_router(
        settings.complete(base), api_key=settings.api_key, max_streams=settings.max_streams,
        models=models, streams=streams,
    ))  # fmt: skip

    @app.get("/", tags=["service"])
    async def root(request: Request) -> Response:
        """The web page for browsers; the original's JSON for clients that ask for JSON."""
        info = {"message": "World-of-ASR API (woasr)", "version": __version__, "status": "running"}
        response: Response = page.root_response(request.headers.get("accept", ""), info)
        return response

    page.mount_static(app)
    api_docs.install(app, TITLE, bearer=bool(settings.api_key))

    @app.get("/health", tags=["service"], response_class=JSONResponse)
    async def health() -> JSONResponse:
        """Liveness, open without the API key; answered from memory on the event loop (no
        database, no lock a job thread holds for long, no thread pool hop, no response
        validation). ``degraded`` when the manifest's last operation failed or a worker thread
        died."""
        ok = jobs.healthy()
        return JSONResponse({
            "status": "healthy" if ok else "degraded",
            "database": "connected" if ok else "unavailable",
            "queue_length": jobs.queue_length(),
            # one model a provider, as before (scripts read it so); ``models``: all of them
            "providers": {p.name: p.model_name for p in models.loaded()},
            "models": loaded_models(models.loaded()),
        })  # fmt: skip

    # HEAD too: uptime monitors and load balancers probe with it (405 otherwise); kept out of
    # the OpenAPI schema, where a second operation of the same function repeats its id
    for path, endpoint in (("/", root), ("/health", health)):
        app.add_api_route(path, endpoint, methods=["HEAD"], include_in_schema=False)

    @app.get("/metrics", tags=["service"])
    async def prometheus() -> Response:
        body, content_type = await run_in_threadpool(metrics.render)
        return Response(body, media_type=content_type)

    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes)
    if settings.api_key:
        app.add_middleware(BearerAuth, api_key=settings.api_key)
    # Outermost: a browser's preflight carries no Authorization header.
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
        )
    return app


def loaded_models(providers: Iterable[Provider]) -> dict[str, list[str]]:
    """``/health``'s ``models``: each provider's loaded models, in the order they loaded.
    ``providers``, keyed by provider alone with one model each, hid the others: ``tiny.en``
    and ``base`` both loaded showed as ``{"faster_whisper": "base"}``. The same model loaded
    for another compute type or batch size is listed once."""
    models: dict[str, list[str]] = {}
    for provider in providers:
        names = models.setdefault(provider.name, [])
        if provider.model_name not in names:
            names.append(provider.model_name)
    return models

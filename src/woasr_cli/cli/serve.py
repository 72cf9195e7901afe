"""``woasr serve``: the HTTP job API and OpenAI-compatible API (docs/server.md)."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from woasr_cli.cli.engine_flags import OpenAIApiKeyFlag, OpenAIBaseUrlFlag
from woasr_cli.cli.exit_codes import exit_code_for
from woasr_cli.errors import ProviderUnavailable, WoasrError
from woasr_cli.model_pool import DEFAULT_MAX_MODELS


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir",
            envvar="WOASR_DATA_DIR",
            help="Uploads, results and the job manifest (jobs survive restarts).",
        ),
    ] = Path("woasr-data"),
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            envvar="WOASR_API_KEY",
            help="Require 'Authorization: Bearer KEY' on every route but /health.",
        ),
    ] = None,
    max_upload_mb: Annotated[
        float, typer.Option("--max-upload-mb", help="Largest request body (413 past it).")
    ] = 500.0,
    keep_days: Annotated[
        float | None,
        typer.Option("--keep-days", help="Delete finished jobs and uploads older than this."),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Allow a non-loopback address without an API key.")
    ] = False,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option("--cors-origin", help="Allow browser calls from this origin (repeatable)."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Default model (whisper-1, omitted model_size)."),
    ] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    max_queue: Annotated[
        int, typer.Option("--max-queue", help="Files queued or running before 503.")
    ] = 256,
    max_streams: Annotated[
        int,
        typer.Option(
            "--max-streams", min=1, help="Live /v1/stream connections at once; more get 1013."
        ),
    ] = 2,
    workers: Annotated[
        int, typer.Option("--workers", help="Files transcribed at once (0: automatic).")
    ] = 0,
    max_models: Annotated[
        int,
        typer.Option(
            "--max-models",
            min=1,
            envvar="WOASR_MAX_MODELS",
            help="Models kept loaded at once (each model, compute type, batch size...); the "
            "least recently used idle one is unloaded to load another.",
        ),
    ] = DEFAULT_MAX_MODELS,
    model_ttl: Annotated[
        float | None,
        typer.Option(
            "--model-ttl",
            min=0,
            envvar="WOASR_MODEL_TTL",
            help="Unload a model unused for this many seconds (default: keep it).",
        ),
    ] = None,
    openai_base_url: OpenAIBaseUrlFlag = None,
    openai_api_key: OpenAIApiKeyFlag = None,
) -> None:
    """Serve the job API (upload, transcribe, poll, download) and an OpenAI-compatible API."""
    from woasr_cli.cli.retry import env_settings
    from woasr_cli.server.settings import ServerSettings

    # External providers' settings as `woasr transcribe` reads them; the flags win.
    flags = {"openai_base_url": openai_base_url, "openai_api_key": openai_api_key}
    provider_settings = {**env_settings(), **{k: v for k, v in flags.items() if v}}
    settings = ServerSettings(
        data_dir=data_dir, host=host, port=port, api_key=api_key or None,
        max_upload_mb=max_upload_mb, keep_days=keep_days, insecure=insecure,
        cors_origins=tuple(cors_origin or ()), max_queue=max_queue, max_streams=max_streams,
        workers=workers,
        default_model=model, device=device, provider_settings=provider_settings,
        max_models=max_models, model_idle_s=model_ttl,
    )  # fmt: skip
    try:
        settings.check()
        try:
            import uvicorn

            from woasr_cli.server.app import create_app
        except ImportError as exc:
            raise ProviderUnavailable(
                "serve", "serve", f"missing {exc.name}", what="woasr serve"
            ) from None
        app = create_app(settings)
    except WoasrError as exc:
        typer.echo(f"woasr: error: {exc}", err=True)
        raise typer.Exit(exit_code_for(exc)) from None
    typer.echo(f"woasr serve: http://{host}:{port}/docs  (data: {data_dir})", err=True)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=10
    )
    jobs = app.state.jobs
    streams = app.state.streams

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # Work stops at the signal, not when the last connection (a progress stream, a
            # long direct request) has closed: those end with it.
            jobs.begin_stop()
            super().handle_exit(sig, frame)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # Live streams end as at their clients' "end" (their tails sent) before uvicorn
            # closes every connection with 1012.
            for server in self.servers:
                server.close()
            await streams.end_all(give_up=lambda: self.force_exit)
            await super().shutdown(sockets)

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C re-raised at the end: as uvicorn.run
        Server(config).run()

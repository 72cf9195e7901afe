"""Attach every command module to the app (imports stay light: no engines)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from woasr_cli.cli import convert, doctor, providers, retry, serve, status, transcribe

    app.command("transcribe", no_args_is_help=True)(transcribe.transcribe)
    app.command("convert", no_args_is_help=True)(convert.convert)
    app.command("status")(status.status)
    app.command("retry")(retry.retry)
    app.command("providers")(providers.providers)
    app.command("doctor")(doctor.doctor)
    app.command("serve")(serve.serve)

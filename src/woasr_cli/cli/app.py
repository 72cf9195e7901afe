"""The Typer application; each command lives in its own module."""

from __future__ import annotations

import sys

import typer

from woasr_cli import __version__
from woasr_cli.cli import commands
from woasr_cli.cli.exit_codes import exit_code_for
from woasr_cli.errors import WoasrError
from woasr_cli.runtime import limit_blas_threads, tune_allocator

app = typer.Typer(
    name="woasr",
    help="Offline-first batch transcription: audio and video files to subtitles and transcripts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
commands.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"woasr {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """woasr: files and folders in, vtt/srt/json/txt/tsv out; resumable batches."""


def main() -> None:
    tune_allocator()  # before any thread exists: see woasr_cli.runtime
    limit_blas_threads()  # before NumPy is imported: see woasr_cli.runtime
    try:
        app(standalone_mode=True)
    except WoasrError as exc:  # errors raised outside a command's own handling
        typer.echo(f"woasr: error: {exc}", err=True)
        sys.exit(exit_code_for(exc))

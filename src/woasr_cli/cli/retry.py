"""``woasr retry``: run the failed (and interrupted) jobs of a batch again."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from woasr_cli.cli.executor_flags import (
    ExecutorFlag,
    RayAddressFlag,
    RayGpusFlag,
    RaySharedFsFlag,
    RayWorkersFlag,
    make_executor,
)
from woasr_cli.cli.exit_codes import OK, exit_code_for
from woasr_cli.cli.manifest_option import BatchArg, find_manifest
from woasr_cli.errors import WoasrError


def env_settings() -> dict[str, str]:
    """External providers' settings from the environment (``WOASR_OPENAI_API_KEY``, ...), as
    ``woasr transcribe`` reads them: the manifest never stores a key."""
    import os

    from woasr_cli.providers import specs

    return {
        s.option: os.environ[s.env]
        for spec in specs()
        for s in spec.settings
        if os.environ.get(s.env)
    }


def retry(
    batch: BatchArg = None,
    output_dir: Annotated[
        Path,
        typer.Option("--output-dir", "-o", envvar="WOASR_OUTPUT_DIR", help="Batch output dir."),
    ] = Path("."),
    manifest: Annotated[Path | None, typer.Option("--manifest", envvar="WOASR_MANIFEST")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            envvar="WOASR_WORKERS",
            min=0,
            help="Worker processes, each with its own model  \\[default: as the batch was run]",
            show_default=False,
        ),
    ] = None,
    executor: ExecutorFlag = "local",
    ray_address: RayAddressFlag = None,
    ray_workers: RayWorkersFlag = 0,
    ray_gpus_per_worker: RayGpusFlag = 0.0,
    ray_shared_fs: RaySharedFsFlag = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    json_events: Annotated[bool, typer.Option("--json", help="JSON event lines.")] = False,
) -> None:
    """Re-run failed and interrupted jobs, and those a stopped batch never started, with the
    options they were started with."""
    from woasr_cli.cli.interrupts import StopFlag
    from woasr_cli.cli.progress import make_reporter
    from woasr_cli.cli.transcribe import report_result
    from woasr_cli.jobs.batch import retry_batch

    try:
        cluster = make_executor(
            executor, workers=workers, ray_address=ray_address, ray_workers=ray_workers,
            ray_gpus_per_worker=ray_gpus_per_worker, ray_shared_fs=ray_shared_fs,
        )  # fmt: skip
        path = find_manifest(output_dir, manifest, batch)
        stop = StopFlag()
        stop.install()
        reporter = make_reporter(json_lines=json_events, quiet=quiet, tty=sys.stderr.isatty())
        result = retry_batch(
            path, workers=workers, reporter=reporter, should_stop=stop, settings=env_settings(),
            executor=cluster,
        )  # fmt: skip
    except WoasrError as exc:
        typer.echo(f"woasr: error: {exc}", err=True)
        raise typer.Exit(exit_code_for(exc)) from None
    if not (result.done or result.failed or result.interrupted or result.skipped):
        running = (
            f" ({result.held} still running in another process: woasr status follows it)"
            if result.held
            else ""
        )
        typer.echo(f"woasr: nothing to retry{running}", err=True)
        raise typer.Exit(OK)
    raise typer.Exit(
        report_result(result, quiet=quiet, json_events=json_events, interrupted_code=stop.exit_code)
    )

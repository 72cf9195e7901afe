"""``woasr retry``: run the failed (and interrupted) jobs of a batch again."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from woasr_cli.cli.exit_codes import INTERRUPTED, OK, SOME_FAILED, exit_code_for
from woasr_cli.cli.manifest_option import find_manifest
from woasr_cli.errors import WoasrError
from woasr_cli.options import TranscribeOptions


def with_env_settings(options: TranscribeOptions) -> TranscribeOptions:
    """Settings kept out of the manifest (an external provider's key) come from the environment
    again, as ``woasr transcribe`` read them."""
    from woasr_cli.providers import get_spec

    unset = get_spec(options.provider).unset(options)
    found = {s.option: os.environ[s.env] for s in unset if os.environ.get(s.env)}
    return options.with_changes(**found) if found else options


def retry(
    output_dir: Annotated[
        Path,
        typer.Option("--output-dir", "-o", envvar="WOASR_OUTPUT_DIR", help="Batch output dir."),
    ] = Path("."),
    manifest: Annotated[Path | None, typer.Option("--manifest", envvar="WOASR_MANIFEST")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    json_events: Annotated[bool, typer.Option("--json", help="JSON event lines.")] = False,
) -> None:
    """Re-run failed and interrupted jobs with the options they were started with."""
    from woasr_cli.cli.interrupts import StopFlag
    from woasr_cli.cli.progress import make_reporter
    from woasr_cli.jobs.manifest import Manifest
    from woasr_cli.jobs.runner import BatchRunner, PlannedJob
    from woasr_cli.jobs.states import JobState
    from woasr_cli.media.discover import InputFile

    stop = StopFlag()
    stop.install()
    reporter = make_reporter(json_lines=json_events, quiet=quiet, tty=sys.stderr.isatty())
    failed = 0
    try:
        with Manifest.open(find_manifest(output_dir, manifest)) as m:
            todo = m.jobs([JobState.FAILED, JobState.INTERRUPTED])
            if not todo:
                typer.echo("woasr: nothing to retry", err=True)
                raise typer.Exit(OK)
            groups: dict[str, list[PlannedJob]] = {}
            for job in todo:
                meta = m.meta(job.id)
                path = Path(job.input_path)
                stem = Path(meta["stem"]) if "stem" in meta else path.with_suffix("")
                groups.setdefault(meta.get("options", "{}"), []).append(
                    PlannedJob(InputFile(path, path.parent), stem)
                )
            for options_json, planned in groups.items():
                options = with_env_settings(
                    TranscribeOptions.from_mapping(json.loads(options_json))
                )
                runner = BatchRunner(m, options, reporter=reporter, should_stop=stop)
                result = runner.run(planned)
                failed += result.failed
                for name, reason in result.failures:
                    typer.echo(f"woasr: failed: {name}: {reason}", err=True)
                if result.interrupted:
                    raise typer.Exit(INTERRUPTED)
    except WoasrError as exc:
        typer.echo(f"woasr: error: {exc}", err=True)
        raise typer.Exit(exit_code_for(exc)) from None
    raise typer.Exit(SOME_FAILED if failed else OK)

"""The library entry point for a batch: inputs + options -> outputs on disk + manifest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from woasr_cli.events import Reporter, null_reporter
from woasr_cli.jobs.manifest import Manifest
from woasr_cli.jobs.runner import BatchResult, BatchRunner, plan
from woasr_cli.media.discover import InputFile
from woasr_cli.options import TranscribeOptions


def run_batch(
    inputs: list[InputFile],
    options: TranscribeOptions,
    output_dir: Path,
    manifest_path: Path,
    *,
    reporter: Reporter = null_reporter,
    should_stop: Callable[[], bool] = lambda: False,
    force: bool = False,
) -> BatchResult:
    jobs = plan(inputs, output_dir.absolute())
    with Manifest.open(manifest_path) as manifest:
        runner = BatchRunner(manifest, options, reporter=reporter, should_stop=should_stop)
        return runner.run(jobs, force=force)

"""The library entry point for a batch: inputs + options -> outputs on disk + manifest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from woasr_cli.events import Reporter, null_reporter
from woasr_cli.jobs.manifest import Manifest
from woasr_cli.jobs.runner import BatchResult, BatchRunner, plan
from woasr_cli.jobs.workers import run_in_workers
from woasr_cli.media.discover import InputFile
from woasr_cli.options import TranscribeOptions
from woasr_cli.runtime import usable_cores

if TYPE_CHECKING:
    from woasr_cli.jobs.ray_executor import RayExecutor

MAX_DEFAULT_WORKERS = 8


def default_workers(options: TranscribeOptions) -> int:
    """Worker processes when the user did not say.

    Batched faster-whisper (the default) runs one process: its batches run side by side on one
    copy of the model, one CTranslate2 worker per core (faster_whisper_engine.cpu_layout).
    Sequential faster-whisper (``--batch-size 1``) on CPU gets a process per core: CTranslate2
    decodes one stream far better with one thread per process than with many threads in one
    process (2 cores: 1.9x the files per second, docs/performance.md). A GPU is shared by one
    process; the torch engines parallelise inside their own process.
    """
    if options.provider != "faster_whisper" or options.device == "cuda":
        return 1
    if options.batch_size != 1:
        return 1
    if options.device == "auto":
        import ctranslate2

        if ctranslate2.get_cuda_device_count() > 0:
            return 1
    return min(usable_cores(), MAX_DEFAULT_WORKERS)


def run_batch(
    inputs: list[InputFile],
    options: TranscribeOptions,
    output_dir: Path,
    manifest_path: Path,
    *,
    reporter: Reporter = null_reporter,
    should_stop: Callable[[], bool] = lambda: False,
    force: bool = False,
    executor: RayExecutor | None = None,
) -> BatchResult:
    jobs = plan(inputs, output_dir.absolute())
    if executor is not None:  # a Ray cluster runs the files; this process keeps the manifest
        return executor.run_batch(jobs, options, manifest_path, reporter=reporter,
                                  should_stop=should_stop, force=force)  # fmt: skip
    workers = options.workers or default_workers(options)
    with Manifest.open(manifest_path) as manifest:
        runner = BatchRunner(manifest, options, reporter=reporter, should_stop=should_stop)
        if workers <= 1 or len(jobs) <= 1:
            return runner.run(jobs, force=force)
        return run_in_workers(
            runner, jobs, manifest_path.absolute(), workers,
            force=force, reporter=reporter, should_stop=should_stop,
        )  # fmt: skip

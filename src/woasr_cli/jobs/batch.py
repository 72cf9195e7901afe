"""The library's batch entry points: inputs + options -> outputs on disk, recorded in a manifest.

:func:`run_batch` is what ``woasr transcribe`` runs and :func:`retry_batch` what ``woasr retry``
runs; both check the options against the provider before any work, choose the worker
processes, and return a :class:`~woasr_cli.jobs.runner.BatchResult`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from woasr_cli.events import Reporter, null_reporter
from woasr_cli.jobs.input_names import naming
from woasr_cli.jobs.manifest import Manifest
from woasr_cli.jobs.manifest_path import default_manifest
from woasr_cli.jobs.runner import BatchResult, BatchRunner, PlannedJob, plan
from woasr_cli.jobs.states import JobState
from woasr_cli.jobs.workers import run_in_workers
from woasr_cli.media.discover import InputFile, discover_inputs
from woasr_cli.options import TranscribeOptions
from woasr_cli.policy import prepare
from woasr_cli.providers.registry import get_spec
from woasr_cli.transcriber import Transcriber

if TYPE_CHECKING:
    from woasr_cli.jobs.ray_executor import RayExecutor


def default_workers(options: TranscribeOptions) -> int:
    """Worker processes when the user did not say: the provider's own choice (one process
    unless its engine decodes better with a process per core)."""
    return max(1, get_spec(options.provider).default_workers(options))


def run_batch(
    inputs: Iterable[str | Path | InputFile] | str | Path,
    options: TranscribeOptions,
    output_dir: Path | str,
    *,
    manifest_path: Path | str | None = None,
    reporter: Reporter | None = None,
    should_stop: Callable[[], bool] | None = None,
    force: bool = False,
    transcriber: Transcriber | None = None,
    executor: RayExecutor | None = None,
) -> BatchResult:
    """Transcribe files, folders (recursive) and globs into ``output_dir``.

    Finished inputs with unchanged content, options and outputs are skipped; interrupted ones
    resume from their last checkpoint. Inputs that match nothing are listed in
    ``result.missing``; an input that fails is recorded with its reason and the batch goes on.
    ``transcriber`` shares engines a caller already loaded (a server, a notebook); its options
    must be the batch's. ``executor`` (a :class:`~woasr_cli.jobs.ray_executor.RayExecutor`)
    runs the files on a Ray cluster instead, this process still keeping the manifest. Raises
    ``UsageError`` and friends before any work when the options cannot run.
    """
    options = prepare(options)
    # one path is one input, not its characters ("/" among them: the whole disk); an iterator
    # is read once (it was read three times, the first file lost to the first pass)
    inputs = [inputs] if isinstance(inputs, (str, os.PathLike, InputFile)) else list(inputs)
    output_dir = Path(output_dir)
    manifest = Path(manifest_path) if manifest_path else default_manifest(output_dir)
    found = discover_inputs(
        [str(i) for i in inputs if not isinstance(i, InputFile)]
    ) if any(not isinstance(i, InputFile) for i in inputs) else None  # fmt: skip
    files = [i for i in inputs if isinstance(i, InputFile)] + (found.inputs if found else [])
    missing = found.missing if found else []
    ignored = found.skipped if found else []
    if not files:
        return BatchResult(missing=missing, ignored=ignored)
    jobs = plan(files, output_dir.absolute())
    reporter = naming(reporter or null_reporter, [j.item.path for j in jobs])
    if executor is not None:
        result = executor.run_batch(
            jobs, options, manifest, reporter=reporter,
            should_stop=should_stop or (lambda: False), force=force,
        )  # fmt: skip
        result.missing, result.ignored = missing, ignored
        return result
    result = _run_planned(
        jobs, options, manifest, reporter, should_stop or (lambda: False),
        force=force, transcriber=transcriber,
    )  # fmt: skip
    result.missing, result.ignored = missing, ignored
    return result


def retry_batch(
    manifest_path: Path | str,
    *,
    workers: int | None = None,
    reporter: Reporter | None = None,
    should_stop: Callable[[], bool] | None = None,
    settings: Mapping[str, str] | None = None,
    executor: RayExecutor | None = None,
) -> BatchResult:
    """Run a manifest's failed and interrupted jobs again, and those a batch registered but
    never started (it stopped first: a model that did not load), each with the options it was
    started with (``workers`` overrides the worker processes). ``settings`` gives back what the
    manifest never stores (an external provider's key: option name -> value) to jobs that
    need it. ``executor`` runs them on a Ray cluster, as :func:`run_batch`."""
    reporter = reporter or null_reporter
    stop = should_stop or (lambda: False)
    total = BatchResult()
    with Manifest.open(manifest_path) as manifest:
        # running under a live owner (a dead one's job reads as interrupted): not ours to retry
        total.held = len(manifest.jobs([JobState.RUNNING]))
        groups: dict[str, list[PlannedJob]] = {}
        for job in manifest.jobs([JobState.FAILED, JobState.INTERRUPTED, JobState.PENDING]):
            meta = manifest.meta(job.id)
            if job.state == JobState.PENDING and "options" not in meta:
                continue  # being registered by a batch right now
            path = Path(job.input_path)
            stem = Path(meta["stem"]) if "stem" in meta else path.with_suffix("")
            groups.setdefault(meta.get("options", "{}"), []).append(
                PlannedJob(InputFile(path, path.parent), stem)
            )
    plans = []
    for options_json, planned in groups.items():
        options = TranscribeOptions.from_mapping(json.loads(options_json))
        missing = {k: v for k, v in (settings or {}).items() if getattr(options, k) is None}
        if missing:
            options = options.with_changes(**missing)
        if workers is not None:
            options = replace(options, workers=workers)
        plans.append((prepare(options), planned))  # every group checked before any work
    reporter = naming(reporter, [p.item.path for _, group in plans for p in group])
    path = Path(manifest_path)
    for options, planned in plans:
        if executor is not None:
            result = executor.run_batch(planned, options, path, reporter=reporter, should_stop=stop)
        else:
            result = _run_planned(planned, options, path, reporter, stop, force=False)
        _add(total, result)
        if result.interrupted:
            break
    return total


def _run_planned(
    jobs: list[PlannedJob],
    options: TranscribeOptions,
    manifest_path: Path,
    reporter: Reporter,
    should_stop: Callable[[], bool],
    *,
    force: bool,
    transcriber: Transcriber | None = None,
) -> BatchResult:
    workers = options.workers or default_workers(options)
    with Manifest.open(manifest_path) as manifest:
        runner = BatchRunner(
            manifest, options, reporter=reporter, should_stop=should_stop, transcriber=transcriber
        )
        try:
            if workers <= 1 or len(jobs) <= 1 or transcriber is not None:
                return runner.run(jobs, force=force)
            return run_in_workers(
                runner, jobs, manifest_path.absolute(), workers,
                force=force, reporter=reporter, should_stop=should_stop,
            )  # fmt: skip
        finally:
            runner.close()


def _add(into: BatchResult, other: BatchResult) -> None:
    into.done += other.done
    into.skipped += other.skipped
    into.failed += other.failed
    into.elsewhere += other.elsewhere
    into.lost += other.lost
    into.interrupted = into.interrupted or other.interrupted
    into.failures += other.failures

"""``woasr transcribe FILE -o -``: one input's transcript on stdout, for pipes and scripts.

The file runs as any batch does (same pipeline, events on stderr, exit codes), in a temporary
folder with its own manifest; the one format asked (txt unless ``-f``) is then printed and the
folder removed. Nothing resumes: stdout keeps no state between runs.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from woasr_cli.cli.manifest_option import MANIFEST_NAME
from woasr_cli.errors import UsageError

if TYPE_CHECKING:
    from woasr_cli.jobs.ray_executor import RayExecutor
    from woasr_cli.options import TranscribeOptions

STDOUT = "-"


def transcribe_to_stdout(
    args: list[str],
    options: TranscribeOptions,
    *,
    quiet: bool,
    json_events: bool,
    executor: RayExecutor | None = None,
) -> int:
    from woasr_cli.cli.transcribe import run_transcribe

    fmt = _one_format(args, options, json_events)
    with tempfile.TemporaryDirectory(prefix="woasr-stdout-") as tmp:
        folder = Path(tmp)
        code = run_transcribe(
            args, options, folder, folder / MANIFEST_NAME, force=True, quiet=quiet,
            json_events=False, executor=executor,
        )  # fmt: skip
        for path in sorted(folder.rglob(f"*.{fmt}")):
            sys.stdout.write(path.read_text(encoding="utf-8"))
        sys.stdout.flush()
    return code


def _one_format(args: list[str], options: TranscribeOptions, json_events: bool) -> str:
    """The one format to print, or UsageError before any model loads."""
    from woasr_cli.media.discover import discover_inputs

    if json_events:
        raise UsageError("--json prints events on stdout, where -o - writes the transcript")
    if len(options.formats) != 1:
        raise UsageError(
            "-o - writes one format to stdout: choose it with -f (txt, srt, vtt, json, tsv)"
        )
    count = len(discover_inputs(args).inputs)
    if count > 1:
        raise UsageError(
            f"-o - writes one input's transcript to stdout, and {count} inputs were given:"
            " write them to a folder with -o DIR"
        )
    return options.formats[0]

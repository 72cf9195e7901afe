"""Locating the manifest for commands that read it (status, retry): the batch's output
directory as an argument (``woasr status subs/``) or ``-o``, or the manifest file itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from woasr_cli.errors import UsageError
from woasr_cli.jobs.manifest_path import MANIFEST_NAME

__all__ = ["MANIFEST_NAME", "BatchArg", "find_manifest"]

BatchArg = Annotated[
    Path | None,
    typer.Argument(
        help="The batch's output directory (as -o), or its manifest file.", show_default=False
    ),
]
_SQLITE = b"SQLite format 3\x00"


def find_manifest(output_dir: Path, manifest: Path | None, batch: Path | None = None) -> Path:
    """The manifest of the batch named by ``batch`` (a directory or a manifest file), else by
    ``manifest``, else the one in ``output_dir``."""
    if batch is not None:
        if manifest is not None:
            raise UsageError(f"{batch} and --manifest {manifest} both name the batch: give one")
        if batch.is_file():
            try:
                with batch.open("rb") as head:
                    start = head.read(len(_SQLITE))
            except OSError as exc:
                raise UsageError(f"cannot read {batch}: {exc.strerror or exc}") from None
            if start != _SQLITE:
                raise UsageError(f"{batch} is not a woasr manifest: name a batch's output folder")
            manifest = batch
        else:
            output_dir = batch
    path = manifest or output_dir / MANIFEST_NAME
    if not path.is_file():
        raise UsageError(
            f"no manifest at {path}: name the output folder of a batch (DIR, or -o DIR), "
            "or its --manifest"
        )
    return path

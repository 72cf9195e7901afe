"""Locating the manifest for commands that read it (status, retry)."""

from __future__ import annotations

from pathlib import Path

from woasr_cli.errors import UsageError
from woasr_cli.jobs.manifest_path import MANIFEST_NAME

__all__ = ["MANIFEST_NAME", "find_manifest"]


def find_manifest(output_dir: Path, manifest: Path | None) -> Path:
    path = manifest or output_dir / MANIFEST_NAME
    if not path.is_file():
        raise UsageError(
            f"no manifest at {path}: pass the output directory of a batch with -o, or --manifest"
        )
    return path

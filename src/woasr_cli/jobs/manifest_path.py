"""Where a batch's manifest lives unless a path is given: in its output directory."""

from __future__ import annotations

from pathlib import Path

MANIFEST_NAME = ".woasr-manifest.db"


def default_manifest(output_dir: Path) -> Path:
    return output_dir / MANIFEST_NAME

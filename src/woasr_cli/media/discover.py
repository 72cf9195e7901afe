"""Expand the command line's inputs (files, directories, globs, lists) into media files.

Order is deterministic (arguments in order, directory contents sorted), duplicates are dropped,
directory walks keep only known media extensions, and an explicitly named file is always tried.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MEDIA_EXTENSIONS = frozenset(
    {
        ".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wma", ".aif",
        ".aiff", ".amr", ".ac3", ".mka", ".mp2", ".caf", ".au", ".spx", ".webm", ".mp4",
        ".m4v", ".mkv", ".mov", ".avi", ".wmv", ".flv", ".mpg", ".mpeg", ".ts", ".mts",
        ".m2ts", ".3gp", ".ogv",
    }
)  # fmt: skip

_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class InputFile:
    path: Path  # as the user can find it (absolute)
    root: Path  # the directory its output path is made relative to

    @property
    def relative(self) -> Path:
        return self.path.relative_to(self.root)


@dataclass(frozen=True)
class Discovery:
    inputs: list[InputFile]
    missing: list[str]  # arguments that matched nothing


def read_list(lines: Iterable[str]) -> list[str]:
    """Entries of a ``--files-from`` list: one path per line; blank lines and ``#`` skipped."""
    return [ln.rstrip("\r\n") for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def _walk(directory: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if Path(name).suffix.lower() in MEDIA_EXTENSIONS and not name.startswith("."):
                found.append(Path(dirpath) / name)
    return found


def _expand(arg: str) -> tuple[list[InputFile], bool]:
    path = Path(arg).expanduser()
    if path.is_dir() and not (path.suffix.lower() in MEDIA_EXTENSIONS and not any(path.iterdir())):
        root = path.resolve()
        files = [InputFile(p.resolve(), root) for p in _walk(path)]
        return files, bool(files)
    if path.exists() or path.is_symlink():
        resolved = path.resolve() if path.exists() else path.absolute()
        return [InputFile(resolved, resolved.parent)], True
    if _GLOB_CHARS & set(arg):
        matches = sorted(glob.glob(str(path), recursive=True))
        out: list[InputFile] = []
        base = _glob_base(path)
        for m in matches:
            p = Path(m)
            if p.is_dir():
                out += [InputFile(q.resolve(), base) for q in _walk(p)]
            else:
                out.append(InputFile(p.resolve(), base))
        return out, bool(matches)
    # A path that does not exist is still an input: the batch reports it as failed.
    return [InputFile(path.absolute(), path.absolute().parent)], True


def _glob_base(pattern: Path) -> Path:
    parts: list[str] = []
    for part in pattern.parts:
        if _GLOB_CHARS & set(part):
            break
        parts.append(part)
    return Path(*parts).resolve() if parts else Path.cwd()


def discover_inputs(args: Iterable[str]) -> Discovery:
    seen: set[Path] = set()
    inputs: list[InputFile] = []
    missing: list[str] = []
    for arg in args:
        expanded, matched = _expand(arg)
        if not matched:
            missing.append(arg)
        for item in expanded:
            if item.path not in seen:
                seen.add(item.path)
                inputs.append(item)
    return Discovery(inputs, missing)

"""Render a transcript's formats, and write them to disk atomically.

Each file is written to a temporary name in its final directory, flushed, then renamed over the
final name, so a crash or Ctrl-C never leaves a partial file under a name a user will open.
The file gets the mode an ordinary ``open(path, "w")`` would give it under the caller's umask
(0644 under 022), not the private 0600 of a temporary file: a web server or a colleague reads
what a CI job wrote.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from woasr_cli.errors import OutputError
from woasr_cli.formats import FormatOptions, parse_formats
from woasr_cli.formats import render as render_format
from woasr_cli.options import TranscribeOptions
from woasr_cli.transcript import Transcript


def atomic_write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(_describe(path.parent, exc)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            os.fchmod(fd, 0o666 & ~current_umask())
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(_describe(path, exc)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def drop_partial_writes(paths: Iterable[Path]) -> list[Path]:
    """Delete the temporaries (``.NAME.XXXXXXXX.part``) that a write of these files left when
    its process was killed (SIGKILL, OOM, power loss) between creating and renaming them: a
    rerun wrote the files anew, and the dead writer's parts stayed in the output folders for
    good, one more after each kill. Only for files the caller alone writes now (a job it has
    claimed); returns what was deleted."""
    wanted: dict[Path, set[str]] = {}
    for path in paths:
        wanted.setdefault(path.parent, set()).add(path.name)
    dropped: list[Path] = []
    for folder, names in wanted.items():
        try:
            entries = [e.name for e in os.scandir(folder)]
        except OSError:
            continue
        for entry in entries:
            name, dot, tag = entry.removesuffix(".part").rpartition(".")
            if not (entry.endswith(".part") and dot and len(tag) == 8 and name[:1] == "."):
                continue
            if name[1:] in names:
                with contextlib.suppress(OSError):
                    os.unlink(folder / entry)
                    dropped.append(folder / entry)
    return dropped


NAME_MAX = 255  # bytes in one file name: ext4, XFS, Btrfs, tmpfs, ZFS, APFS


def _temp_prefix(path: Path) -> str:
    """``.NAME.`` (mkstemp adds 8 characters and ``.part``), or a short prefix where that
    would make the temporary name longer than a name may be, though the final name fits."""
    prefix = f".{path.name}."
    if len(os.fsencode(prefix)) + 8 + len(".part") > NAME_MAX:
        return ".woasr."
    return prefix


def current_umask() -> int:
    """The process umask, read without changing it (``os.umask`` can only be read by setting
    it, a race with any thread creating files meanwhile)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass  # not Linux, or a kernel before 4.7: fall back to setting it back at once
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _describe(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return f"cannot write {path}: no space left on device"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {path}: permission denied"
    return f"cannot write {path}: {exc.strerror or exc}"


def output_paths(stem: Path, formats: Iterable[str]) -> list[Path]:
    return [stem.with_name(f"{stem.name}.{fmt}") for fmt in formats]


def render(
    transcript: Transcript,
    formats: Iterable[str] | str = "all",
    options: FormatOptions | None = None,
    **format_options: Any,
) -> dict[str, str]:
    """Each format's text, by name (pure: nothing is written). ``formats`` takes what ``-f``
    takes (``"srt,vtt"``, ``["all"]``: rttm too for a transcript with speakers);
    ``format_options`` are :class:`FormatOptions` fields (``max_line_width=42``, ...).
    ``InputError`` for rttm of a transcript without speakers."""
    if not isinstance(transcript, Transcript):  # a JSON transcript loaded by json.load
        hint = ": read it with Transcript.from_dict" if isinstance(transcript, dict) else ""
        raise TypeError(f"render takes a Transcript, not {type(transcript).__name__}{hint}")
    shape = replace(options or FormatOptions(), **format_options)
    names = parse_formats(formats, diarize=transcript.diarized)
    return {name: render_format(name, transcript, shape) for name in names}


def write_outputs(
    transcript: Transcript,
    stem: Path,
    formats: Iterable[str] | str = "all",
    options: FormatOptions | None = None,
    **format_options: Any,
) -> list[Path]:
    """Write ``stem.<format>`` for each format: every text is rendered first (so a writer's
    error leaves nothing half-done), then each file is written atomically."""
    texts = render(transcript, formats, options, **format_options)
    paths = output_paths(Path(stem), texts)
    for path, text in zip(paths, texts.values(), strict=True):
        atomic_write_text(path, text)
    return paths


def format_options_for(options: TranscribeOptions) -> FormatOptions:
    """The output-shaping part of a run's options (fields of the same names)."""
    shared = [f.name for f in fields(FormatOptions) if hasattr(options, f.name)]
    return FormatOptions(**{name: getattr(options, name) for name in shared})

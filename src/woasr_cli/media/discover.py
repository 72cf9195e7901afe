"""Expand the command line's inputs (files, directories, globs, lists) into media files.

Order is deterministic (arguments in order, directory contents sorted), duplicates are dropped,
directory walks keep only known media extensions (as does a glob that names no extension of its
own: ``media/**/*``), and an explicitly named file is always tried.
FIFOs, sockets and devices found by a walk or a glob are skipped with a reason (opening one for
reading can block forever); one named explicitly is kept, and fails with that reason.
A symlink is named by itself, not by its target; a walk does not enter a linked directory.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from woasr_cli.media.filekind import not_regular_reason

MEDIA_EXTENSIONS = frozenset(
    {
        ".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wma", ".aif",
        ".aiff", ".amr", ".ac3", ".mka", ".mp2", ".caf", ".au", ".spx", ".webm", ".mp4",
        ".m4v", ".mkv", ".mov", ".avi", ".wmv", ".flv", ".mpg", ".mpeg", ".ts", ".mts",
        ".m2ts", ".3gp", ".ogv",
        # audiobooks, ringtones, browser recordings, lossless archives, broadcast, DVD and
        # camcorder files, older web and RealMedia files: a folder walk passed them over
        # without a word
        ".m4b", ".m4r", ".weba", ".mp4a", ".aifc", ".w64", ".rf64", ".wv", ".ape", ".tta",
        ".dts", ".eac3", ".mpa", ".snd", ".voc", ".ra", ".rm", ".rmvb", ".mxf", ".vob",
        ".m2t", ".mod", ".tod", ".dv", ".3g2", ".asf", ".f4v", ".f4a", ".qt", ".divx",
        ".ogx", ".mk3d",
    }
)  # fmt: skip

_GLOB_CHARS = set("*?[")
UNREADABLE_FOLDER = "cannot read the folder"  # a skipped entry that may hold media
_LINKED_DIRECTORY = "a symlink to a directory, not walked: name it to include it"
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")


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
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why): FIFOs and such


def unreadable(skipped: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The folders among ``skipped`` that could not be listed: media a batch did not reach,
    unlike a FIFO's or a link's entry."""
    return [(path, why) for path, why in skipped if why.startswith(UNREADABLE_FOLDER)]


def read_list(data: bytes) -> list[str]:
    """Entries of a ``--files-from`` list: one path per line, blank lines and ``#`` skipped; or,
    where the list holds a NUL (``find -print0``), one path per NUL-ended entry, taken as it
    is (a name may hold a newline). Names are the file system's bytes (``os.fsdecode``: one
    that is not UTF-8 is still found)."""
    data = data.removeprefix(b"\xef\xbb\xbf")  # a list saved by a Windows editor
    if b"\0" in data:
        return [os.fsdecode(entry) for entry in data.split(b"\0") if entry]
    lines = (os.fsdecode(line).rstrip("\r\n") for line in data.splitlines(keepends=True))
    return [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def _walk(directory: Path, skipped: list[tuple[str, str]]) -> list[Path]:
    """Media files under ``directory``. A symlink to a file is one of them, by its own name; a
    symlink to a directory is reported, not walked (a link back up would never end, and a
    second name for a folder would transcribe it twice); named, or matched by a glob, it is."""
    found: list[Path] = []

    def unlisted(exc: OSError) -> None:  # os.walk passed over such a folder without a word
        where = Path(exc.filename) if exc.filename else directory
        skipped.append((str(_located(where)), f"{UNREADABLE_FOLDER}: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(directory, onerror=unlisted):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in dirnames:
            if os.path.islink(os.path.join(dirpath, name)):
                skipped.append((str(_located(Path(dirpath) / name)), _LINKED_DIRECTORY))
        for name in sorted(filenames):
            if Path(name).suffix.lower() in MEDIA_EXTENSIONS and not name.startswith("."):
                _keep_regular(Path(dirpath) / name, found, skipped)
    return found


def _keep_regular(path: Path, found: list[Path], skipped: list[tuple[str, str]]) -> None:
    try:
        mode = path.stat().st_mode  # follows a symlink to what it names
    except OSError:
        found.append(path)  # a dangling link or unreadable entry: the batch says why
        return
    reason = not_regular_reason(mode)
    if reason is None or stat.S_ISDIR(mode):
        found.append(path)
    else:
        skipped.append((str(_located(path)), reason))


def _located(path: Path) -> Path:
    """The absolute path a user can find, by the name they see: a symlink is named by itself,
    not its target (``talk.mp4`` linked to ``/store/ab12.mp4`` is transcribed to talk.srt, and
    a target outside the folder has no place in the folder's tree of outputs)."""
    return path.parent.resolve() / path.name


def _expand(arg: str, skipped: list[tuple[str, str]]) -> tuple[list[InputFile], bool]:
    path = Path(arg).expanduser()
    try:
        path.is_symlink()
    except OSError:  # a name the system refuses (over 255 bytes): the batch says why
        given = Path(os.path.abspath(path))
        return [InputFile(given, given.parent)], True
    if path.is_dir() and not (path.suffix.lower() in MEDIA_EXTENSIONS and not any(path.iterdir())):
        root = path.resolve()
        files = [InputFile(_located(p), root) for p in _walk(path, skipped)]
        return files, bool(files)
    if path.exists() or path.is_symlink():
        # As given (absolute): a link by its own name, /dev/stdin of a pipe too (not the
        # /proc/PID/fd/pipe:[N] it links to, which names nothing).
        given = Path(os.path.abspath(path))
        return [InputFile(given, given.parent)], True
    if is_url(arg) or arg == "-":  # not a file here (a URL's path would read "http:/host/...")
        return [], False
    if _GLOB_CHARS & set(arg):
        matches = sorted(glob.glob(str(path), recursive=True))
        out: list[InputFile] = []
        base = _glob_base(path)
        chosen = _named_extension(path.name)
        for m in matches:
            # Paths as matched, not resolved: a pattern may pass through a linked directory,
            # whose files would resolve to somewhere outside ``base``.
            p = Path(os.path.abspath(m))
            kept: list[Path] = []
            if p.is_dir():
                kept = _walk(p, skipped)
            elif chosen or p.suffix.lower() in MEDIA_EXTENSIONS:
                _keep_regular(p, kept, skipped)
            out += [InputFile(q, base) for q in kept]
        return out, bool(out)  # matching only notes, or folders without media: as a walk
    # A path that does not exist is still an input: the batch reports it as failed.
    return [InputFile(path.absolute(), path.absolute().parent)], True


def _named_extension(pattern: str) -> bool:
    """A glob whose last part names its files' extension (``*.m4b``, ``talk_?.dat``) chooses
    them by it; one that does not (``*``, ``*.*``, ``talk.*``) keeps media as a walk does (the
    notes, images and woasr's own ``.srt``/``.json`` beside the media were each tried and
    failed, on every run)."""
    suffix = Path(pattern).suffix
    return bool(suffix) and not (_GLOB_CHARS & set(suffix))


def is_url(arg: str) -> bool:
    """``arg`` names something on a network (``https://...``, ``s3://...``), not a file."""
    return _URL.match(arg) is not None


def _glob_base(pattern: Path) -> Path:
    parts: list[str] = []
    for part in pattern.parts:
        if _GLOB_CHARS & set(part):
            break
        parts.append(part)
    return Path(os.path.abspath(Path(*parts))) if parts else Path.cwd()


def discover_inputs(args: Iterable[str]) -> Discovery:
    seen: set[Path] = set()
    inputs: list[InputFile] = []
    missing: list[str] = []
    skipped: list[tuple[str, str]] = []
    named: set[str] = set()  # folders given as arguments, as a walk names a link to one
    for arg in args:
        before = len(skipped)
        expanded, matched = _expand(arg, skipped)
        if not matched and len(skipped) == before:
            missing.append(arg)
        for item in expanded:
            if item.path not in seen:
                seen.add(item.path)
                inputs.append(item)
        with contextlib.suppress(OSError):
            if Path(arg).expanduser().is_dir():
                named.add(str(_located(Path(arg).expanduser())))
    # A linked folder named as well (`woasr transcribe media/ media/2024`, as the walk's own
    # message says to) was walked: "not walked: name it to include it" would be untrue.
    skipped = [(path, why) for path, why in skipped
               if why != _LINKED_DIRECTORY or path not in named]  # fmt: skip
    return Discovery(inputs, missing, skipped)

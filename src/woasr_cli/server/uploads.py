"""Uploaded media under ``<data>/uploads``: ``<file_id><ext>`` plus ``<file_id>.json``.

A client's file name is kept only as a display name: the stored path is a fresh uuid and, at
most, a short alphanumeric extension, so ``../../x.wav`` cannot become a path. Every upload is
probed as media (by content, not by its declared type) before it is accepted.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from woasr_cli.errors import InputError
from woasr_cli.media import probe
from woasr_cli.outputs import atomic_write_text

_SAFE_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")
_ID = re.compile(r"^[0-9a-f]{32}$|^[0-9a-f-]{36}$")
_FORM_ESCAPES = re.compile(r"%(22|0[dDaA])")


class NotMedia(InputError):
    """The upload is not audio or video that woasr can decode."""


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    filename: str  # display name only, never a path
    path: str
    size: int
    mime_type: str | None
    duration: float | None
    uploaded_at: float


def display_name(name: str | None) -> str:
    """The last component of a client's file name, for display and downloads only. Browsers
    and httpx send a name's double quote, CR and LF as %22, %0D and %0A (the HTML form
    encoding); those, like the characters themselves, are left out."""
    name = _FORM_ESCAPES.sub("", name or "")
    base = PurePosixPath(name.replace("\\", "/")).name.strip()
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"')
    return base[:200] or "unknown"


def safe_suffix(name: str) -> str:
    suffix = PurePosixPath(name).suffix
    return suffix.lower() if _SAFE_SUFFIX.match(suffix) else ""


def valid_id(value: str) -> bool:
    return bool(_ID.match(value))


class UploadStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def save(self, source: BinaryIO, filename: str | None, mime_type: str | None) -> StoredFile:
        """Copy an upload into the store and probe it; :class:`NotMedia` if it is not media."""
        name = display_name(filename)
        file_id = str(uuid.uuid4())
        path = self.root / f"{file_id}{safe_suffix(name)}"
        part = path.with_name(path.name + ".part")
        with open(part, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        size = part.stat().st_size
        try:
            info = probe(part)
        except InputError as exc:
            part.unlink(missing_ok=True)
            raise NotMedia(f"'{name}' is not audio or video woasr can read: {exc}") from None
        part.replace(path)
        stored = StoredFile(
            file_id, name, str(path), size, mime_type, info.duration, round(time.time(), 3)
        )
        atomic_write_text(self._meta(file_id), json.dumps(asdict(stored), ensure_ascii=False))
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        if not valid_id(file_id):
            return None
        try:
            data = json.loads(self._meta(file_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        stored = StoredFile(**data)
        return stored if Path(stored.path).is_file() else None

    def delete(self, file_id: str) -> None:
        stored = self.get(file_id)
        if stored is not None:
            Path(stored.path).unlink(missing_ok=True)
        self._meta(file_id).unlink(missing_ok=True)

    def older_than(self, cutoff: float) -> list[str]:
        ids = []
        for meta in self.root.glob("*.json"):
            if meta.stat().st_mtime < cutoff:
                ids.append(meta.stem)
        return ids

    def strays_older_than(self, cutoff: float) -> list[Path]:
        """Files older than ``cutoff`` that no upload's record names: an upload's ``.part``, or
        its media without the record, left by a server that died while it stored them."""
        strays = []
        for path in self.root.iterdir():
            stem = path.name.split(".", 1)[0]
            if path.name == f"{stem}.json" or self._meta(stem).exists():
                continue
            with contextlib.suppress(OSError):  # gone meanwhile
                if path.is_file() and path.stat().st_mtime < cutoff:
                    strays.append(path)
        return strays

    def _meta(self, file_id: str) -> Path:
        return self.root / f"{file_id}.json"

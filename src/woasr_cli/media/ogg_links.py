"""Chained Ogg: files that are several Ogg streams end to end (a saved internet radio stream,
Ogg files joined with ``cat``). FFmpeg reads a chain whose links share their codec parameters,
but stops with "not yet implemented" at a link whose sample rate or channels differ. Such a
link is opened on its own, as a file of its own that starts where the link starts.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from av.container import InputContainer

_CAPTURE = b"OggS"
_FIRST_PAGE = 0x02  # header-type flag of a stream's first page ("beginning of stream")
_SCAN = 1 << 16


def next_link(path: Path, after: int, until: int | None = None) -> int | None:
    """Byte offset of the first page that begins a new Ogg stream after byte ``after`` (and at
    or before ``until``)."""
    with path.open("rb") as f:
        f.seek(after + 1)
        at = after + 1
        carry = b""
        while True:
            data = f.read(_SCAN)
            if not data or (until is not None and at - len(carry) > until):
                return None
            buf = carry + data
            base = at - len(carry)
            found = buf.find(_CAPTURE)
            while found != -1 and found + 6 <= len(buf):
                if until is not None and base + found > until:
                    return None
                if buf[found + 4] == 0 and buf[found + 5] & _FIRST_PAGE:
                    return base + found
                found = buf.find(_CAPTURE, found + 1)
            carry = buf[-5:]
            at += len(data)


class FileFrom(io.RawIOBase):
    """The file from byte ``offset`` on, as a file of its own (FFmpeg seeks in it)."""

    def __init__(self, path: Path, offset: int) -> None:
        self._file = path.open("rb")
        self._offset = offset
        self._file.seek(offset)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        return self._file.readinto(buffer)

    def seek(self, position: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            position += self._offset
        return self._file.seek(position, whence) - self._offset

    def tell(self) -> int:
        return self._file.tell() - self._offset

    def close(self) -> None:
        self._file.close()
        super().close()


def open_next_link(
    container: InputContainer, path: Path, after: int, until: int | None = None
) -> Link | None:
    """A chained Ogg's next link starting after byte ``after`` (and at or before ``until``),
    opened on its own; None for other files and where no readable link follows."""
    import av

    if container.format.name != "ogg":
        return None
    offset = next_link(path, after, until)
    while offset is not None:
        source = FileFrom(path, offset)
        try:
            opened = av.open(source, "r", format="ogg", metadata_errors="ignore")
        except av.error.FFmpegError:
            source.close()
        else:
            if opened.streams.audio:
                return Link(offset, opened, source)
            opened.close()
            source.close()
        offset = next_link(path, offset, until)
    return None


class Link(NamedTuple):
    """An open link: where it starts in the file, its container, and the file view under it
    (PyAV does not close a file object it was given)."""

    offset: int
    container: InputContainer
    source: FileFrom

    def close(self) -> None:
        self.container.close()
        self.source.close()

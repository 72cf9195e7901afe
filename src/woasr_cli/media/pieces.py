"""``PieceFile``: bytes arriving in pieces (a pipe's reads, a WebSocket's frames) as the file
object FFmpeg reads front to back (:func:`woasr_cli.media.decode.iter_stream_audio`)."""

from __future__ import annotations

import io
from collections.abc import Iterator


class PieceFile(io.RawIOBase):
    """A readable, not seekable file of the pieces ``pieces`` yields (of any size; the file
    ends where the iterator does). A read blocks while the iterator waits for its next piece."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        super().__init__()
        self._pieces = pieces
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._left:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._left = piece
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size

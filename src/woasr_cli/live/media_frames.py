"""A media file arriving in pieces, decoded as they come: what a browser's ``MediaRecorder``
sends over the WebSocket stream (WebM/Opus, a piece every ``timeslice``).

The pieces go to FFmpeg (:func:`~woasr_cli.media.decode.iter_stream_audio`, reading front to
back) on a thread of its own, since the demuxer blocks until the next piece arrives; each
decoded block of 16 kHz mono audio is handed to ``deliver`` on that thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from woasr_cli.media.audio import SAMPLE_RATE, Audio

_BLOCK = SAMPLE_RATE // 10  # 100 ms


class MediaFrames:
    def __init__(
        self, kind: str, deliver: Callable[[Audio], None], ended: Callable[[], None]
    ) -> None:
        """``kind`` names the format for messages; ``ended`` is called on the decoder's thread
        when it stops, after the last block (:attr:`error` then says why, if it failed)."""
        self.kind = kind
        self.error: Exception | None = None
        self._pieces: queue.Queue[bytes | None] = queue.Queue()
        self._closed = False
        self._dropped = threading.Event()
        thread = threading.Thread(
            target=self._run, args=(deliver, ended), name="woasr-stream-decode", daemon=True
        )
        thread.start()

    def feed(self, data: bytes) -> None:
        if not self._closed:
            self._pieces.put(data)

    def close(self) -> None:
        """No more pieces: the decoder reads the end of the file and stops."""
        if not self._closed:
            self._closed = True
            self._pieces.put(None)

    def drop(self) -> None:
        """The stream is gone: the decoder stops at once, the pieces not read yet unread."""
        self._dropped.set()
        self.close()

    def _next_piece(self) -> bytes | None:
        return None if self._dropped.is_set() else self._pieces.get()

    def _run(self, deliver: Callable[[Audio], None], ended: Callable[[], None]) -> None:
        from woasr_cli.media.decode import iter_stream_audio
        from woasr_cli.media.pieces import PieceFile

        try:
            pieces = PieceFile(iter(self._next_piece, None))
            for block in iter_stream_audio(pieces, self.kind, _BLOCK):
                deliver(block)
        except Exception as exc:  # handed to the stream, which closes with the reason
            self.error = exc
        finally:
            ended()

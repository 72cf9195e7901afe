"""Whisper's encoder over less than 30 s of audio, for live passes over short buffers.

faster-whisper pads every window's log-Mel features to 3000 frames (30 s), so a pass over a
2 s buffer costs the encoder as much as one over 30 s: on tiny.en int8 that is ~0.5 of a
~0.7 CPU-s pass. CTranslate2's encoder takes fewer frames (its position embeddings are cut to
the input), and cost follows the frames. Inside :func:`encoder_window` (on this thread only)
the features are padded to what the audio holds plus ``pad`` seconds instead. Whisper was
trained on 30 s windows: with little padding after the speech, tiny.en tends to go on with
words nobody said ("Thank you." after the last word) or to loop on overlapping talk, so the
live processor uses it only mid-utterance, where agreement between passes and the words heard
after a word guard what is committed, and redoes a pass that loops with the full window
(docs/live.md, docs/performance.md "u15").
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from woasr_cli.providers.thread_setting import thread_setting

_FRAMES_PER_SECOND = 100
_local = threading.local()
_installed = threading.Lock()
_done: list[bool] = []


@contextmanager
def encoder_window(pad: float | None) -> Iterator[None]:
    """faster-whisper's sequential decoding on this thread, within the block, encodes each
    window's content plus ``pad`` seconds of padding (at most 30 s); ``None``: 30 s."""
    _install()
    with thread_setting(_local, "pad", pad):
        yield


def _install() -> None:
    with _installed:
        if _done:
            return
        import faster_whisper.transcribe as fwt

        whole = fwt.pad_or_trim

        def pad_or_trim(array: Any, length: int = 3000, *, axis: int = -1) -> Any:
            pad = getattr(_local, "pad", None)
            if pad is not None:
                length = min(length, array.shape[axis] + round(pad * _FRAMES_PER_SECOND))
            return whole(array, length, axis=axis)

        fwt.pad_or_trim = pad_or_trim
        _done.append(True)

"""Decode any FFmpeg-readable container to 16 kHz mono float32 with PyAV (no ffmpeg binary).

Decoding streams: :func:`iter_audio` yields blocks as they are decoded, so a long file is never
held twice (compressed + PCM) or at its original rate; callers decide how much to keep.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

from woasr_cli.errors import MediaError
from woasr_cli.media.audio import SAMPLE_RATE

if TYPE_CHECKING:
    from av.audio.frame import AudioFrame
    from av.audio.stream import AudioStream
    from av.container import InputContainer

_BLOCK = SAMPLE_RATE * 30  # yield ~30 s at a time


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float | None  # seconds, None if the container does not say
    codec: str
    sample_rate: int
    channels: int
    container: str


def _open(path: Path) -> InputContainer:
    import av

    if path.is_dir():
        raise MediaError("is a directory, not a media file")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise MediaError("no such file") from None
    except PermissionError:
        raise MediaError("permission denied") from None
    if size == 0:
        raise MediaError("empty file (0 bytes)")
    if not os.access(path, os.R_OK):
        raise MediaError("permission denied")
    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.InvalidDataError:
        raise MediaError("not a media file FFmpeg can read") from None
    except av.error.FFmpegError as exc:
        raise MediaError(f"cannot open media: {_ffmpeg_reason(exc)}") from None


def _ffmpeg_reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(";")[0].strip() or type(exc).__name__


def _audio_stream(container: InputContainer) -> AudioStream:
    if not container.streams.audio:
        kinds = ", ".join(sorted({str(s.type) for s in container.streams})) or "none"
        raise MediaError(f"no audio stream (streams: {kinds})")
    return container.streams.audio[0]


def probe(path: Path) -> MediaInfo:
    """Read container metadata without decoding; raises MediaError for unusable files."""
    with _open(path) as container:
        stream = _audio_stream(container)
        duration: float | None = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        return MediaInfo(
            path=path,
            duration=duration,
            codec=stream.codec_context.name,
            sample_rate=stream.codec_context.sample_rate or 0,
            channels=stream.codec_context.channels or 0,
            container=container.format.name,
        )


def iter_audio(path: Path, start: float = 0.0) -> Iterator[npt.NDArray[np.float32]]:
    """Yield 16 kHz mono float32 blocks from ``start`` seconds to the end of the first audio
    stream. Raises MediaError when nothing decodable is found."""
    import av

    container = _open(path)
    try:
        stream = _audio_stream(container)
        stream.codec_context.thread_type = "AUTO"
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        if start > 0:
            # Seek lands on a packet at or before ``start``; exact trimming happens below.
            container.seek(int(start * 1_000_000), any_frame=False, backward=True)
        pending: list[npt.NDArray[np.float32]] = []
        pending_len = 0
        position: float | None = None  # seconds of the next sample to emit
        produced = 0
        for frame in _decode_frames(container, stream):
            if position is None:
                position = float(frame.time) if frame.time is not None else 0.0
            for out in resampler.resample(frame):
                block = _samples(out)
                if start > 0 and position < start:
                    skip = min(len(block), round((start - position) * SAMPLE_RATE))
                    position += skip / SAMPLE_RATE
                    block = block[skip:]
                pending.append(block)
                pending_len += len(block)
            if pending_len >= _BLOCK:
                produced += pending_len
                yield np.concatenate(pending)
                pending, pending_len = [], 0
        for out in resampler.resample(None):
            pending.append(_samples(out))
            pending_len += len(pending[-1])
        if pending_len:
            produced += pending_len
            yield np.concatenate(pending)
        if produced == 0 and start == 0:
            raise MediaError("no decodable audio (truncated or corrupt file)")
    finally:
        container.close()


def _decode_frames(container: InputContainer, stream: AudioStream) -> Iterator[AudioFrame]:
    """Decode frames, tolerating damage in the middle of a file as FFmpeg's CLI does, but
    failing when the very first packets are unreadable."""
    import av

    decoded = 0
    errors = 0
    for packet in container.demux(stream):
        try:
            for frame in packet.decode():
                decoded += 1
                yield frame
        except av.error.FFmpegError as exc:
            errors += 1
            if decoded == 0 and errors > 50:
                raise MediaError(f"cannot decode audio: {_ffmpeg_reason(exc)}") from None


def _samples(frame: AudioFrame) -> npt.NDArray[np.float32]:
    return cast("npt.NDArray[np.float32]", frame.to_ndarray().reshape(-1))


def decode_audio(path: Path, start: float = 0.0) -> npt.NDArray[np.float32]:
    """The whole (remaining) audio as one array; use :func:`iter_audio` for long media."""
    blocks = list(iter_audio(path, start))
    if not blocks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]

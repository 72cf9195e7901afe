"""A RIFF WAV holding more audio than its 32-bit sizes can say (over 4 GiB: 37 hours of 16 kHz
mono, 6 hours of 48 kHz 24-bit stereo), as ``ffmpeg`` (``-rf64`` unset) and other recorders
write it: its ``data`` size is the real one less a multiple of 4 GiB. FFmpeg believes that
size - a 4 GiB + 3 s file was read as 3 s of audio, the rest silently lost - or, where zeros
follow the size's end, walks them 8 bytes at a time looking for a chunk (over 4 minutes before
it opened). Such a file is read instead as raw PCM from its ``data`` chunk to its end."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

_MOST_CHUNKS = 64  # chunks before ``data`` looked at (fmt, LIST, bext, JUNK, ...)
_LIMIT = 0xFFFFFFFF  # the most bytes a RIFF chunk's size can say
# (format tag, bits per sample) -> FFmpeg's raw demuxer for those samples
_RAW = {
    (1, 8): "u8",
    (1, 16): "s16le",
    (1, 24): "s24le",
    (1, 32): "s32le",
    (3, 32): "f32le",
    (3, 64): "f64le",
    (6, 8): "alaw",
    (7, 8): "mulaw",
}
_LAYOUTS = {1: "mono", 2: "stereo"}


@dataclass(frozen=True)
class RawPcm:
    """Where a WAV's samples start and how FFmpeg reads them as raw PCM."""

    offset: int
    format: str
    rate: int
    channels: int

    def options(self) -> dict[str, str]:
        layout = _LAYOUTS.get(self.channels, f"{self.channels}c")
        return {
            "sample_rate": str(self.rate),
            "ch_layout": layout,
            "skip_initial_bytes": str(self.offset),
        }


@dataclass(frozen=True)
class WavData:
    """A RIFF WAV's ``fmt `` (:func:`_format`; None where missing or short), its bytes a
    second as the ``fmt `` chunk states them, and where its ``data`` chunk's samples start and
    how many bytes its 32-bit size says they are."""

    fmt: tuple[int, int, int, int] | None
    byte_rate: int
    offset: int
    size: int


def wav_data(path: Path) -> WavData | None:
    """``path``'s WavData, where it is a RIFF WAV with a ``data`` chunk among its first
    ``_MOST_CHUNKS``; None otherwise (RF64, W64, not a WAV, unreadable)."""
    fmt: tuple[int, int, int, int] | None = None
    byte_rate = 0
    try:
        with path.open("rb") as file:
            head = file.read(12)
            if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            at = 12
            for _ in range(_MOST_CHUNKS):
                file.seek(at)
                header = file.read(8)
                if len(header) < 8:
                    return None
                kind, length = struct.unpack("<4sI", header)
                if kind == b"fmt ":
                    body = file.read(min(length, 40))
                    fmt = _format(body)
                    byte_rate = struct.unpack_from("<I", body, 8)[0] if len(body) >= 12 else 0
                elif kind == b"data":
                    return WavData(fmt, byte_rate, at + 8, length)
                at += 8 + length + (length & 1)
    except OSError:
        return None
    return None


def oversized_wav(path: Path, size: int) -> RawPcm | None:
    """The raw PCM of ``path`` (``size`` bytes), a RIFF WAV whose audio runs past what its
    ``data`` chunk's 32-bit size can say; None for any other file, a WAV not in plain PCM,
    A-law or mu-law, or one whose audio fits its sizes."""
    if size <= _LIMIT:
        return None
    data = wav_data(path)
    if data is None or data.fmt is None or size - data.offset <= _LIMIT:
        return None
    tag, channels, rate, bits = data.fmt
    raw = _RAW.get((tag, bits))
    return RawPcm(data.offset, raw, rate, channels) if raw and channels else None


def _format(body: bytes) -> tuple[int, int, int, int] | None:
    """(format tag, channels, sample rate, bits per sample) of a ``fmt `` chunk's ``body``;
    WAVE_FORMAT_EXTENSIBLE's sub-format tag in place of its own."""
    if len(body) < 16:
        return None
    tag, channels, rate = struct.unpack_from("<HHI", body)
    (bits,) = struct.unpack_from("<H", body, 14)
    if tag == 0xFFFE and len(body) >= 26:
        (tag,) = struct.unpack_from("<H", body, 24)
    return tag, channels, rate, bits

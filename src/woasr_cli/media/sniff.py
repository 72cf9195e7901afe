"""Which media container a byte stream starts with, from its first bytes (``woasr listen
--stdin`` takes raw PCM unless the stream is a file of a format named here)."""

from __future__ import annotations

import struct
from typing import BinaryIO

HEAD = 12  # bytes needed to tell every format below

# (offset, signature, name); RIFF and FORM files are told apart by their form type at 8.
_SIGNATURES = (
    (0, b"fLaC", "FLAC"),
    (0, b"OggS", "Ogg"),
    (0, b"ID3", "MP3"),
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
    (0, b"caff", "CAF"),
    (0, b"#!AMR", "AMR"),
    (4, b"ftyp", "MP4"),
)
_FORMS = {
    (b"RIFF", b"WAVE"): "WAV",
    (b"RF64", b"WAVE"): "WAV",
    (b"FORM", b"AIFF"): "AIFF",
    (b"FORM", b"AIFC"): "AIFF",
}


def container_at_start(head: bytes) -> str | None:
    """The format whose signature ``head`` (the stream's first :data:`HEAD` bytes, or all of
    a shorter stream) starts with; None for anything else, e.g. raw PCM. Bare MPEG audio
    frames and ADTS AAC have no signature raw PCM could not start with, so they are not
    recognised (an MP3 from most tools starts with an ID3 tag)."""
    for offset, signature, name in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return name
    return _FORMS.get((head[:4], head[8:12]))


TS_PACKET = 188
TS_HEAD = 2 * TS_PACKET + 1  # bytes needed to tell an MPEG transport stream


def mpegts_at_start(data: bytes) -> bool:
    """Whether ``data`` (a stream's first :data:`TS_HEAD` bytes or more) starts as an MPEG
    transport stream (a TV channel, a camera, an IPTV feed: ``curl .../live.ts | woasr listen
    --stdin``): three packets in a row, each starting with the sync byte. Its bytes were taken
    for samples (no text, exit 0). Raw PCM does so by chance once in ~16 million streams."""
    return len(data) >= TS_HEAD and all(data[i * TS_PACKET] == 0x47 for i in range(3))


def wav_samples(data: bytes) -> tuple[int, bool] | None:
    """Where a WAV file's samples start in ``data`` (its first bytes), and whether they are
    already s16le 16 kHz mono (the raw PCM ``--stdin`` takes, so no decoder need read ahead);
    None until ``data`` holds the header of the ``data`` chunk."""
    pos, plain = 12, False
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = pos + 8
        if chunk == b"data":
            return body, plain
        if chunk == b"fmt ":
            if body + 16 > len(data):
                return None
            tag, channels, rate = struct.unpack_from("<HHI", data, body)
            (bits,) = struct.unpack_from("<H", data, body + 14)
            if tag == 0xFFFE and size >= 40 and body + 26 <= len(data):  # WAVE_FORMAT_EXTENSIBLE
                (tag,) = struct.unpack_from("<H", data, body + 24)
            plain = (tag, channels, rate, bits) == (1, 1, 16000, 16)
        pos = body + size + (size & 1)
    return None


RF64_HEAD = 36  # bytes needed to tell :func:`rf64_unsized`


def rf64_unsized(head: bytes) -> bool:
    """Whether ``head`` (a file's first :data:`RF64_HEAD` bytes) starts an RF64/BW64 WAV whose
    ``ds64`` chunk says its audio is 0 bytes long: the placeholder a recorder writes first and
    fills in when it stops (``ffmpeg -rf64 always``, broadcast recorders), left there when it
    was killed. FFmpeg believes it and reads no audio at all."""
    return (
        head[:4] in (b"RF64", b"BW64")
        and head[8:16] == b"WAVEds64"
        and len(head) >= RF64_HEAD
        and head[28:36] == bytes(8)
    )


def mp4_boxes(file: BinaryIO, most: int = 64) -> list[bytes]:
    """The types of an MP4/MOV file's top-level boxes, in order (``ftyp``, ``mdat``, ``moov``,
    ...), read from their headers alone; the walk stops at the end, at a size that cannot be
    right, or after ``most`` boxes."""
    kinds: list[bytes] = []
    at = 0
    while len(kinds) < most:
        file.seek(at)
        header = file.read(16)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header[:8])
        if size == 1 and len(header) == 16:  # a 64-bit size follows
            (size,) = struct.unpack(">Q", header[8:])
        kinds.append(kind)
        if size == 0:  # to the end of the file
            break
        if size < 8:
            break
        at += size
    return kinds

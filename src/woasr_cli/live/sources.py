"""Where live audio comes from: the microphone, raw PCM (or a media file) on stdin, or a file.

Every source yields 16 kHz mono float32 blocks. ``live`` sources deliver at the pace of real
time whatever the reader does, so the session reads them on a thread and hands over everything
that has arrived since the last pass; a file read as fast as possible is driven block by block.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from woasr_cli.errors import MediaError, NeedsWholeFile, UsageError
from woasr_cli.live.pcm import PcmConverter
from woasr_cli.media.audio import SAMPLE_RATE, Audio

BLOCK = 1600  # 100 ms
_WAV_HEADER_MAX = 1 << 16  # a longer WAV header (tags, cue points) goes to FFmpeg as it is


class AudioSource(Protocol):
    live: bool
    name: str

    def blocks(self) -> Iterator[Audio]: ...


class PcmStream:
    """Raw s16le 16 kHz mono from a binary stream (``--stdin``), 100 ms at a time. A stream
    that starts as a media file (WAV, FLAC, Ogg, MP3 with its ID3 tag, WebM/Matroska, AIFF,
    CAF, AMR, MP4: :func:`~woasr_cli.media.sniff.container_at_start`; MPEG-TS) is decoded as one, at
    whatever rate and channels it has: ``cat talk.mp3 | woasr listen --stdin`` gave no text
    and exit 0 (its bytes taken for samples), as did a 44.1 kHz stereo WAV."""

    live = True

    def __init__(
        self, stream: BinaryIO, name: str = "stdin", rate: int = SAMPLE_RATE, channels: int = 1
    ) -> None:
        self._stream = stream
        self.name = name
        self.rate = rate  # of raw PCM (``--sample-rate``, ``--channels``); a file says its own
        self.channels = channels

    def blocks(self) -> Iterator[Audio]:
        from woasr_cli.media.sniff import (
            HEAD,
            TS_HEAD,
            container_at_start,
            mpegts_at_start,
            wav_samples,
        )

        read = _unbuffered_read(self._stream)
        head = _read_up_to(read, HEAD)
        if len(head) < 2 * self.channels:  # the whole stream (fewer bytes only at its end)
            raise MediaError(f"no audio on {self.name} ({_bytes(len(head))})")
        kind = container_at_start(head)
        if kind is None and head[:1] == b"\x47":
            head += _read_up_to(read, TS_HEAD - len(head))
            kind = "MPEG-TS" if mpegts_at_start(head) else None
        convert, carry = PcmConverter(self.rate, self.channels), head
        if kind == "WAV":  # `arecord` writes one: its header is skipped where that is all
            found = wav_samples(head)
            while found is None and len(head) < _WAV_HEADER_MAX:
                more = _read_up_to(read, 512)
                if not more:
                    break
                head += more
                found = wav_samples(head)
            if found is not None and found[1]:
                kind, carry, convert = None, head[found[0] :], PcmConverter()
        if kind is not None:
            from woasr_cli.media.decode import iter_stream_audio
            from woasr_cli.media.pieces import PieceFile

            rest = iter(lambda: read(1 << 16), b"")
            try:
                yield from iter_stream_audio(PieceFile(chain([head], rest)), kind, BLOCK)
            except NeedsWholeFile as exc:
                raise NeedsWholeFile(f"{exc}; pass the file with --file") from None
            return
        size = convert.rate // 10 * 2 * convert.channels  # 100 ms
        data = carry
        while True:
            more = read(max(size - len(data), 2))
            if not more:
                tail = np.concatenate([convert(data), convert.flush()])
                if len(tail):
                    yield tail
                return
            audio = convert(data + more)
            data = b""
            if len(audio):
                yield audio


def _bytes(count: int) -> str:
    return "0 bytes" if count == 0 else f"{count} byte{'s' if count > 1 else ''}: not one sample"


def _read_up_to(read: Callable[[int], bytes], size: int) -> bytes:
    """``size`` bytes, fewer only at the end of the stream."""
    data = b""
    while len(data) < size:
        more = read(size - len(data))
        if not more:
            break
        data += more
    return data


def _unbuffered_read(stream: BinaryIO) -> Callable[[int], bytes]:
    """``os.read`` on the stream's file descriptor where it has one. The reader thread blocks in
    it while the producer (``arecord``, a device) keeps the pipe open; blocked in
    ``sys.stdin.buffer.read`` it held the buffered reader's lock when Ctrl-C ended the program,
    and the interpreter aborted at exit ("could not acquire lock for <_io.BufferedReader
    name='<stdin>'> at interpreter shutdown", exit 134) after the files were written."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return stream.read
    return lambda n: os.read(fd, n)


class FileSource:
    """A media file decoded to 16 kHz, in 100 ms blocks; at real-time pace with ``realtime``.
    Its channels are mixed as ``woasr transcribe`` mixes them (a stereo call's quiet side left
    out where only the other talks: media/mixdown.py, the VAD handed in), from audio track
    ``track`` (as ``woasr transcribe --audio-track`` takes it; None: the one players play)."""

    def __init__(self, path: Path, realtime: bool = False, track: int | str | None = None) -> None:
        self.path = path
        self.live = realtime
        self.name = path.stem
        self.track = track

    def blocks(self) -> Iterator[Audio]:
        from woasr_cli.media.decode import iter_audio
        from woasr_cli.providers.speech_presence import speech_spans

        start = time.monotonic()
        sent = 0
        chunks = iter_audio(self.path, speech=speech_spans, track=self.track)
        while True:
            try:
                chunk = next(chunks, None)
            except MediaError as exc:  # the name, as `woasr transcribe` gives it
                raise MediaError(f"{self.path}: {exc}") from None
            if chunk is None:
                return
            for i in range(0, len(chunk), BLOCK):
                block = chunk[i : i + BLOCK]
                if self.live:
                    delay = start + sent / SAMPLE_RATE - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                sent += len(block)
                yield block


class Microphone:
    """The default input device through sounddevice (``pip install 'woasr[live]'``)."""

    live = True
    name = "microphone"

    def __init__(self, device: str | int | None = None) -> None:
        try:
            import sounddevice  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError:
            raise UsageError(
                "microphone input needs: pip install 'woasr[live]'; or use --stdin / --file"
            ) from None
        except OSError as exc:  # sounddevice is there, the PortAudio library is not
            raise UsageError(
                f"microphone input needs PortAudio ({exc}: e.g. apt install libportaudio2); "
                "or use --stdin / --file"
            ) from None
        self._sd = sounddevice
        self._device = device

    def blocks(self) -> Iterator[Audio]:
        arrived: queue.Queue[Audio] = queue.Queue()

        def callback(indata: Audio, frames: int, when: object, status: object) -> None:
            del frames, when, status
            arrived.put(indata[:, 0].copy())

        try:
            stream = self._sd.InputStream(
                samplerate=SAMPLE_RATE, channels=1, dtype="float32", blocksize=BLOCK,
                device=self._device, callback=callback,
            )  # fmt: skip
        except Exception as exc:  # PortAudioError and friends: no device, bad rate
            raise UsageError(f"cannot open the microphone: {exc}") from None
        with stream:
            while True:
                yield arrived.get()

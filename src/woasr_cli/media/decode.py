"""Decode any FFmpeg-readable container to 16 kHz mono float32 with PyAV (no ffmpeg binary).

Decoding streams: :func:`iter_audio` yields blocks as they are decoded, so a long file is never
held twice (compressed + PCM) or at its original rate; callers decide how much to keep.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import numpy.typing as npt

from woasr_cli.errors import MediaError, NeedsWholeFile
from woasr_cli.media.audio import SAMPLE_RATE
from woasr_cli.media.cutoff import stated_length
from woasr_cli.media.filekind import not_regular_reason
from woasr_cli.media.mixdown import Converter, Mix, Planar, SpeechSpans, mixer
from woasr_cli.media.ogg_links import Link, open_next_link
from woasr_cli.media.oversized_wav import oversized_wav
from woasr_cli.media.tracks import pick_track

if TYPE_CHECKING:
    from av.audio.frame import AudioFrame
    from av.audio.stream import AudioStream
    from av.container import InputContainer

_BLOCK = SAMPLE_RATE * 30  # yield ~30 s at a time
# One block decoded at a time in the process. PyAV comes back to Python for every packet (~20
# a second of audio), and decoders on several threads at once spent their time handing the GIL
# to each other: a folder's 36 files on 8 threads took 4.6-5.0 s on a 16-core machine against
# 1.1 s one after the other, and its GPU waited for them (docs/performance.md, session 21).
_DECODING = threading.Lock()
# A stream that starts later than this after the file's start, or whose timestamps jump ahead
# by more, is taken for broken timestamps (no silence put there) - unless the file's header
# says its timeline runs that long (:func:`_timeline_end`): a recording that lost its sound
# for 12 minutes had every later subtitle 12 minutes early.
_MAX_LEAD_S = 600.0
# Formats whose timestamps restart or jump at a broadcast's discontinuities, and whose duration
# FFmpeg estimates from those timestamps: a long lead or gap there is not believed.
_RESTARTING = frozenset({"mpegts", "mpeg", "mpegtsraw"})
# A jump ahead in the audio's timestamps longer than this is a gap, filled with silence;
# shorter ones are the timing jitter of encoders and containers.
_GAP_S = 0.2


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float | None  # seconds, None if the container does not say
    codec: str
    sample_rate: int
    channels: int
    container: str
    # Of a file with several audio tracks, the one transcribed (:func:`_audio_stream`): its
    # place among the audio tracks (0-based, as ffmpeg's ``-map 0:a:N``) and its language tag
    audio_tracks: int = 1
    track: int = 0
    track_language: str | None = None
    # the track's length as its file's header states it, where it does (media/cutoff.py)
    stated: float | None = None


def _open(path: Path) -> InputContainer:
    import av

    if path.is_dir():
        raise MediaError("is a directory, not a media file")
    try:
        info = path.stat()
    except FileNotFoundError:
        raise MediaError("no such file") from None
    except PermissionError:
        raise MediaError("permission denied") from None
    special = not_regular_reason(info.st_mode)
    if special is not None:  # FFmpeg would block forever opening a FIFO
        raise MediaError(special)
    size = info.st_size
    if size == 0:
        raise MediaError("empty file (0 bytes)")
    if not os.access(path, os.R_OK):
        raise MediaError("permission denied")
    raw = oversized_wav(path, size)
    try:
        if raw is not None:
            return av.open(str(path), format=raw.format, options=raw.options())
        return av.open(str(path), metadata_errors="ignore", options=_demuxer_options(path))
    except av.error.InvalidDataError:
        raise MediaError(_unreadable_reason(path)) from None
    except av.error.FFmpegError as exc:
        raise MediaError(f"cannot open media: {_ffmpeg_reason(exc)}") from None


def _demuxer_options(path: Path) -> dict[str, str]:
    """FFmpeg options that read all of ``path``'s audio: an RF64 WAV whose recorder was killed
    before it wrote its length (:func:`~woasr_cli.media.sniff.rf64_unsized`) is read to the
    file's end, as FFmpeg reads a plain WAV whose length says 0; without it, 11 s of speech
    came out as "0.0 s audio, no speech found", exit 0."""
    from woasr_cli.media.sniff import RF64_HEAD, rf64_unsized

    try:
        with path.open("rb") as file:
            head = file.read(RF64_HEAD)
    except OSError:
        return {}
    return {"ignore_length": "1"} if rf64_unsized(head) else {}


def _unreadable_reason(path: Path) -> str:
    """Why FFmpeg could not open ``path``: an MP4 or MOV whose recording never finished (the
    camera's battery, a crashed recorder) lacks its index, which such files write last; that
    is not "not media" to the user who recorded it."""
    from woasr_cli.media.sniff import mp4_boxes

    try:
        with path.open("rb") as file:
            boxes = mp4_boxes(file)
    except OSError:
        boxes = []
    if boxes and boxes[0] == b"ftyp" and b"moov" not in boxes:
        return (
            "an MP4/MOV without its index ('moov' atom): a recording cut off before it was "
            "finished; a repair tool (untrunc) can rebuild it from a good file of the same camera"
        )
    return "not a media file FFmpeg can read"


def _ffmpeg_reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(";")[0].strip() or type(exc).__name__


def _audio_stream(container: InputContainer, track: int | str | None = None) -> AudioStream:
    """The audio track ``track`` (a number or a language tag), or (None) the one players play
    (:func:`~woasr_cli.media.tracks.pick_track`)."""
    tracks = container.streams.audio
    if not tracks:
        kinds = ", ".join(sorted({str(s.type) for s in container.streams})) or "none"
        raise MediaError(f"no audio stream (streams: {kinds})")
    return pick_track(tracks, track)


def probe(path: Path, track: int | str | None = None) -> MediaInfo:
    """Read container metadata without decoding; raises MediaError for unusable files, and
    for a ``track`` (as :func:`iter_audio` takes it) the file lacks."""
    with _open(path) as container:
        stream = _audio_stream(container, track)
        duration: float | None = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        tracks = list(container.streams.audio)
        return MediaInfo(
            path=path,
            duration=duration,
            codec=stream.codec_context.name,
            sample_rate=stream.codec_context.sample_rate or 0,
            channels=stream.codec_context.channels or 0,
            container=container.format.name,
            audio_tracks=len(tracks),
            track=tracks.index(stream),
            track_language=stream.metadata.get("language") or None,
            stated=stated_length(container, stream, path),
        )


def iter_audio(
    path: Path,
    start: float = 0.0,
    speech: SpeechSpans | None = None,
    track: int | str | None = None,
) -> Iterator[npt.NDArray[np.float32]]:
    """Yield 16 kHz mono float32 blocks from ``start`` seconds to the end of audio track
    ``track`` (its place among the audio tracks, 0-based, or its language tag), by default the
    one players play (:func:`_audio_stream`). Raises MediaError when nothing decodable is found.
    Blocks are decoded one at a time across the process (:data:`_DECODING`). ``speech``: a
    VAD, which lets a stereo track with a talker on one side and noise on the other be heard
    from the talker's side where it talks alone (:class:`~woasr_cli.media.mixdown.StereoMix`);
    without it, such a track is summed."""
    container = _open(path)
    try:
        stream = _audio_stream(container, track)
        # Times count from the file's start (its first stream's), as players show them.
        origin = container.start_time / 1_000_000 if container.start_time is not None else 0.0
        if start > 0:
            # Seek lands on a packet at or before ``start``; exact trimming happens below.
            container.seek(int((origin + start) * 1_000_000), any_frame=False, backward=True)
        blocks = _blocks(container, stream, path, origin + start, speech=speech)
        produced = 0
        while True:
            with _DECODING:
                block = next(blocks, None)
            if block is None:
                break
            produced += len(block)
            yield block
        if produced == 0 and start == 0 and not _empty_pcm(stream) and not _no_packets(path, track):
            raise MediaError("no decodable audio (truncated or corrupt file)")
    finally:
        container.close()


def iter_stream_audio(
    stream: io.RawIOBase | BinaryIO, kind: str, block: int = SAMPLE_RATE // 10
) -> Iterator[npt.NDArray[np.float32]]:
    """16 kHz mono float32 blocks of about ``block`` samples from a media file read front to
    back, never seeking (a pipe: ``cat talk.mp3 | woasr listen --stdin``), as soon as they are
    decoded. ``kind`` names the format for messages. Raises NeedsWholeFile where FFmpeg cannot
    read it that way (an MP4 whose index is at its end), MediaError for other faults."""
    import av

    try:
        # A pipe at the pace of real time: read no further than needed to start decoding.
        container = av.open(
            stream, mode="r", metadata_errors="ignore", buffer_size=4096,
            options={"probesize": "4096", "analyzeduration": "100000"},
        )  # fmt: skip
    except av.error.FFmpegError as exc:
        raise MediaError(f"cannot read {kind} from a pipe: {_ffmpeg_reason(exc)}") from None
    started = False
    try:
        try:
            track = _audio_stream(container)
        except MediaError as exc:  # the file itself was read: --file would not help
            raise MediaError(f"{kind} on a pipe: {exc}") from None
        origin = container.start_time / 1_000_000 if container.start_time is not None else 0.0
        for audio in _blocks(container, track, None, origin, block):
            started = True
            yield audio
    except MediaError as exc:
        if started or str(exc).startswith(f"{kind} on a pipe: "):
            raise
        raise NeedsWholeFile(f"cannot read {kind} from a pipe ({exc})") from None
    finally:
        container.close()


def _blocks(
    container: InputContainer,
    stream: AudioStream,
    path: Path | None,
    start: float,
    size: int = _BLOCK,
    speech: SpeechSpans | None = None,
) -> Iterator[npt.NDArray[np.float32]]:
    """The stream's audio from ``start`` (seconds of the container's timeline) in blocks of
    about ``size`` samples, each mixed to mono as its channels call for (:class:`Converter`).
    Audio that starts after ``start`` (a video whose sound starts 2 s in, a clip cut without
    re-encoding) is preceded by silence up to it, so transcript times are the video's: without
    it every subtitle came that much early. So is a gap in the middle, where the audio's
    timestamps jump ahead (a recording that dropped its sound for a while: players play
    silence there, and every subtitle after it came early by the gap). Where the sample rate,
    sample format or channels change in the middle (MP3s joined end to end, a TV recording
    whose sound goes from stereo to 5.1 at an advert) the audio goes on, converted from the
    new format."""
    mixes: dict[str, Mix | None] = {}  # by channel layout, a stereo mix's judgement kept

    def converter_for(frame: AudioFrame) -> Converter:
        layout = frame.layout.name
        if layout not in mixes:
            mixes[layout] = mixer(frame.layout, speech)
        return Converter(frame, mixes[layout])

    converter: Converter | None = None
    end = _timeline_end(container)
    pending: list[Planar] = []  # channels x samples each, all in ``converter``'s channels
    pending_len = 0
    position: float | None = None  # seconds of the next sample to emit, until ``start``
    expected: float | None = None  # where the next frame starts if the audio runs on unbroken
    for frame in _decode_frames(container, stream, path):
        if converter is None:
            converter = converter_for(frame)
        elif not converter.takes(frame):  # the format changed here
            following = converter_for(frame)
            pending += converter.flush()
            if following.channels != converter.channels and pending:
                yield converter.mixed(pending)
                pending = []
            pending_len = sum(p.shape[1] for p in pending)
            converter = following
        when = float(frame.time) if frame.time is not None else None
        silence = 0  # samples of silence that go before this frame
        if position is None:
            position = when if when is not None else start
            silence = round((position - start) * SAMPLE_RATE)
        elif when is not None and expected is not None:
            gap = round((when - expected) * SAMPLE_RATE)
            silence = gap if gap > _GAP_S * SAMPLE_RATE else 0
        if silence > _MAX_LEAD_S * SAMPLE_RATE and (end is None or when is None or when > end):
            silence = 0
        expected = when + frame.samples / frame.sample_rate if when is not None else None
        blocks = chain(
            (
                np.zeros((converter.channels, min(size, silence - at)), np.float32)
                for at in range(0, silence, size)
            ),
            converter.resample(frame),
        )
        for block in blocks:
            if position < start:
                skip = min(block.shape[1], round((start - position) * SAMPLE_RATE))
                position += skip / SAMPLE_RATE
                block = block[:, skip:]
            pending.append(block)
            pending_len += block.shape[1]
            if pending_len >= size:
                yield converter.mixed(pending)
                pending, pending_len = [], 0
    if converter is not None:
        pending += converter.flush()
        if sum(p.shape[1] for p in pending):
            yield converter.mixed(pending)


def _timeline_end(container: InputContainer) -> float | None:
    """Where the file's header says its timeline ends (seconds, on its streams' clock; one
    second of slack), if it says so in a way timestamps cannot bend (not MPEG-TS/PS)."""
    if container.duration is None or container.format.name in _RESTARTING:
        return None
    origin = container.start_time / 1_000_000 if container.start_time is not None else 0.0
    return origin + container.duration / 1_000_000 + 1.0


def _no_packets(path: Path, track: int | str | None) -> bool:
    """Whether the audio track transcribed holds no packets at all (a video muxed with an
    empty sound track): players play it as silence, so it is a recording without speech,
    not a corrupt file."""
    import av

    try:
        with _open(path) as container:
            stream = _audio_stream(container, track)
            return not any(packet.size for packet in container.demux(stream))
    except (MediaError, av.error.FFmpegError):
        return False


def _empty_pcm(stream: AudioStream) -> bool:
    """A PCM stream (WAV, AIFF, ...) whose header declares no samples: a valid recording of
    nothing, finished like silence, unlike a compressed stream that decoded to nothing."""
    return stream.codec_context.name.startswith("pcm_") and not stream.frames


def _decode_frames(
    container: InputContainer, stream: AudioStream, path: Path | None
) -> Iterator[AudioFrame]:
    """Decode frames, tolerating damage in the middle of a file as FFmpeg's CLI does, but
    failing when the very first packets are unreadable. A chained Ogg's next link whose codec
    parameters differ (FFmpeg stops reading there, or reads its packets into the last link's
    decoder, which fails on each) is read as a file of its own (:mod:`ogg_links`). Other files
    end where reading stops, as FFmpeg's CLI ends them, and so does a stream read from a pipe
    (``path`` None), which cannot be opened again at a later link."""
    import av

    decoded = 0
    errors = 0
    base = 0  # where ``container`` starts in the file (a later Ogg link)
    good = 0  # the file's byte offset of the last packet that decoded
    links: list[Link] = []
    try:
        while True:
            link = None
            try:
                for packet in container.demux(stream):
                    at = base + packet.pos if packet.pos is not None and packet.pos >= 0 else None
                    try:
                        frames = packet.decode()
                    except av.error.FFmpegError as exc:
                        errors += 1
                        if decoded == 0 and errors > 50:
                            reason = _ffmpeg_reason(exc)
                            raise MediaError(f"cannot decode audio: {reason}") from None
                        if decoded and at is not None and path is not None:
                            link = open_next_link(container, path, good, at)
                            if link is not None:
                                break
                        continue
                    for frame in frames:
                        decoded += 1
                        yield frame
                    if at is not None:
                        good = at
            except av.error.FFmpegError as exc:
                if decoded == 0:
                    raise MediaError(f"cannot read audio: {_ffmpeg_reason(exc)}") from None
                link = open_next_link(container, path, good) if path is not None else None
            if link is None:
                return
            base, container = link.offset, link.container
            links.append(link)
            stream = container.streams.audio[0]
    finally:
        for opened in links:
            opened.close()


def decode_audio(
    path: Path,
    start: float = 0.0,
    speech: SpeechSpans | None = None,
    track: int | str | None = None,
) -> npt.NDArray[np.float32]:
    """The whole (remaining) audio as one array; use :func:`iter_audio` for long media."""
    blocks = list(iter_audio(path, start, speech, track))
    if not blocks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]

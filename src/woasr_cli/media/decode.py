"""Decode any FFmpeg-readable container to 16 kHz mono float32 with PyAV (no ffmpeg binary).

Decoding streams: :func:`iter_audio` yields blocks as they are decoded, so a long file is never
held twice (compressed + PCM) or at its original rate; callers decide how much to keep.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

from woasr_cli.errors import MediaError
from woasr_cli.media.audio import SAMPLE_RATE
from woasr_cli.media.filekind import not_regular_reason

if TYPE_CHECKING:
    from av.audio.frame import AudioFrame
    from av.audio.resampler import AudioResampler
    from av.audio.stream import AudioStream
    from av.container import InputContainer

_BLOCK = SAMPLE_RATE * 30  # yield ~30 s at a time
# One block decoded at a time in the process. PyAV comes back to Python for every packet (~20
# a second of audio), and decoders on several threads at once spent their time handing the GIL
# to each other: a folder's 36 files on 8 threads took 4.6-5.0 s on a 16-core machine against
# 1.1 s one after the other, and its GPU waited for them (docs/performance.md, session 21).
_DECODING = threading.Lock()
# A stream that starts later than this after the file's start is taken for broken timestamps
# and decoded from its first sample, with no silence before it.
_MAX_LEAD_S = 600.0


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
    """The audio track players play: the first one marked default, else the first (a film
    with a dub or a commentary track put first plays its default track)."""
    from av.stream import Disposition

    tracks = container.streams.audio
    if not tracks:
        kinds = ", ".join(sorted({str(s.type) for s in container.streams})) or "none"
        raise MediaError(f"no audio stream (streams: {kinds})")
    return next((t for t in tracks if t.disposition & Disposition.default), tracks[0])


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
    """Yield 16 kHz mono float32 blocks from ``start`` seconds to the end of the audio track
    players play (:func:`_audio_stream`). Raises MediaError when nothing decodable is found.
    Blocks are decoded one at a time across the process (:data:`_DECODING`)."""
    import av

    container = _open(path)
    try:
        stream = _audio_stream(container)
        mix = mixer(stream)
        if mix is None:
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        else:  # each channel kept, mixed to mono here a block at a time (_blocks)
            resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=SAMPLE_RATE)
        # Times count from the file's start (its first stream's), as players show them.
        origin = container.start_time / 1_000_000 if container.start_time is not None else 0.0
        if start > 0:
            # Seek lands on a packet at or before ``start``; exact trimming happens below.
            container.seek(int((origin + start) * 1_000_000), any_frame=False, backward=True)
        blocks = _blocks(container, stream, resampler, origin + start, mix)
        produced = 0
        while True:
            with _DECODING:
                block = next(blocks, None)
            if block is None:
                break
            produced += len(block)
            yield block
        if produced == 0 and start == 0 and not _empty_pcm(stream):
            raise MediaError("no decodable audio (truncated or corrupt file)")
    finally:
        container.close()


def _blocks(
    container: InputContainer,
    stream: AudioStream,
    resampler: AudioResampler,
    start: float,
    mix: Mix | None = None,
) -> Iterator[npt.NDArray[np.float32]]:
    """The stream's audio from ``start`` (seconds of the container's timeline) in blocks of
    about ``_BLOCK`` samples, ``mix``ed to mono a block at a time (per resampled frame, its
    numpy calls cost as much as resampling the channels). Audio that starts after ``start`` (a
    video whose sound starts 2 s in, a clip cut without re-encoding) is preceded by silence up
    to it, so transcript times are the video's: without it every subtitle came that much
    early."""
    channels = 1 if mix is None else len(stream.layout.channels)
    pending: list[Planar] = []  # channels x samples each
    pending_len = 0
    position: float | None = None  # seconds of the next sample to emit
    for frame in _decode_frames(container, stream):
        if position is None:
            position = float(frame.time) if frame.time is not None else start
            lead = round((position - start) * SAMPLE_RATE)
            if 0 < lead <= _MAX_LEAD_S * SAMPLE_RATE:
                for at in range(0, lead, _BLOCK):
                    pending.append(np.zeros((channels, min(_BLOCK, lead - at)), dtype=np.float32))
                    pending_len += pending[-1].shape[1]
                    if pending_len >= _BLOCK:
                        yield _mixed(pending, mix)
                        pending, pending_len = [], 0
        for out in resampler.resample(frame):
            block = _planar(out, channels)
            if position < start:
                skip = min(block.shape[1], round((start - position) * SAMPLE_RATE))
                position += skip / SAMPLE_RATE
                block = block[:, skip:]
            pending.append(block)
            pending_len += block.shape[1]
        if pending_len >= _BLOCK:
            yield _mixed(pending, mix)
            pending, pending_len = [], 0
    for out in resampler.resample(None):
        pending.append(_planar(out, channels))
        pending_len += pending[-1].shape[1]
    if pending_len:
        yield _mixed(pending, mix)


def _mixed(pending: list[Planar], mix: Mix | None) -> npt.NDArray[np.float32]:
    block = np.concatenate(pending, axis=1) if len(pending) > 1 else pending[0]
    return block[0] if mix is None else mix(block)


def _empty_pcm(stream: AudioStream) -> bool:
    """A PCM stream (WAV, AIFF, ...) whose header declares no samples: a valid recording of
    nothing, finished like silence, unlike a compressed stream that decoded to nothing."""
    return stream.codec_context.name.startswith("pcm_") and not stream.frames


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


def _planar(frame: AudioFrame, channels: int) -> Planar:
    """A resampled frame as channels x samples (mono: its one packed channel)."""
    return cast("Planar", frame.to_ndarray().reshape(channels, -1))


Planar = npt.NDArray[np.float32]  # channels x samples
Mix = Callable[[Planar], npt.NDArray[np.float32]]


def mixer(stream: AudioStream) -> Mix | None:
    """How the stream's channels become mono where FFmpeg's own downmix would lose the speech
    (surround: :func:`dialogue_weights`; stereo: :class:`StereoMix`); None where it does not."""
    if stream.codec_context.channels == 2:
        return StereoMix()
    weights = dialogue_weights(stream)
    if weights is None:
        return None
    # A weighted sum, not a matrix product: BLAS would start its threads for a 30 s block.
    column = weights[:, None]
    return lambda planar: np.asarray((planar * column).sum(axis=0), dtype=np.float32)


class StereoMix:
    """Left plus right, as FFmpeg mixes them (each at -3 dB) - unless one side is the other
    turned upside down (a miswired microphone, a "wide" effect): the sum then cancels the
    speech, and a recording that plays fine was transcribed as nothing. Where the difference
    of the sides has carried four times the energy of their sum so far (sides that agree
    give the opposite; unrelated sides, equal), the difference is taken instead."""

    def __init__(self) -> None:
        self.same = 0.0
        self.opposite = 0.0

    def __call__(self, planar: Planar) -> npt.NDArray[np.float32]:
        left, right = planar[0], planar[1]
        same, opposite = left + right, left - right
        self.same += float(same @ same)
        self.opposite += float(opposite @ opposite)
        out = opposite if self.opposite > 4 * self.same else same
        return np.asarray(out * np.float32(0.70710677), dtype=np.float32)


# Surround mixes carry the dialogue in the centre channel and music and effects around it.
# FFmpeg's mono downmix (PyAV's, ``ffmpeg -ac 1``) weighs the front pair at twice the centre,
# so music in front drowned the words: a film-like 5.1 mix lost a whole sentence under music
# in front and garbled one under loud effects. Mixed for speech: the centre at full, the front
# pair at half (speech panned off centre, or a stereo source spread to 5.1, is still heard),
# the rest at a quarter, the LFE left out (no speech in it). Speech in the centre keeps its own
# level.
_DIALOGUE = {"FC": 1.0, "FL": 0.5, "FR": 0.5, "LFE": 0.0, "LFE2": 0.0}
_AROUND = 0.25


def dialogue_weights(stream: AudioStream) -> npt.NDArray[np.float32] | None:
    """Per-channel weights of a mono mix for speech, for a layout with a centre channel and
    others beside it (5.1, 7.1, 3.0, ...); None for mono, stereo and layouts without a
    centre, which FFmpeg's own downmix handles."""
    try:
        names = [channel.name for channel in stream.layout.channels]
    except (AttributeError, ValueError):
        return None
    if "FC" not in names or len(names) < 3:
        return None
    return np.array([_DIALOGUE.get(name, _AROUND) for name in names], dtype=np.float32)


def decode_audio(path: Path, start: float = 0.0) -> npt.NDArray[np.float32]:
    """The whole (remaining) audio as one array; use :func:`iter_audio` for long media."""
    blocks = list(iter_audio(path, start))
    if not blocks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]

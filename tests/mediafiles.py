"""Build real media files for tests with PyAV: any container/codec, channels, video or not."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def encode_audio(
    path: Path,
    audio: np.ndarray,
    rate: int,
    *,
    codec: str,
    channels: int = 1,
    out_rate: int | None = None,
    video: bool = False,
    faststart: bool = False,
) -> Path:
    """Write ``audio`` (mono float32) with ``codec`` into ``path`` (container from the suffix).

    With ``channels > 1`` the mono signal goes to the first channel and silence to the others,
    so a correct downmix still contains the speech. ``video`` adds a small moving-picture stream.
    ``faststart``: an MP4's index before its media, as files made for the web have it (a copy
    cut off midway keeps it).
    """
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[channels]
    out_rate = out_rate or rate
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as container:
        vstream = None
        if video:
            vcodec = "libvpx" if path.suffix == ".webm" else "mpeg4"
            vstream = container.add_stream(vcodec, rate=10)
            vstream.width, vstream.height, vstream.pix_fmt = 64, 48, "yuv420p"
        astream = container.add_stream(codec, rate=out_rate, layout=layout)
        planar = np.zeros((channels, len(audio)), dtype=np.float32)
        planar[0] = audio
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=layout)
        frame.sample_rate = rate
        target_fmt = astream.codec_context.codec.audio_formats[0].name
        resampler = av.AudioResampler(format=target_fmt, layout=layout, rate=out_rate)
        frame_size = astream.codec_context.frame_size or 1024
        fifo = av.AudioFifo()
        for r in resampler.resample(frame):
            fifo.write(r)
        for r in resampler.resample(None):
            fifo.write(r)
        while fifo.samples:
            chunk = fifo.read(min(frame_size, fifo.samples))
            if chunk is None:
                break
            for packet in astream.encode(chunk):
                container.mux(packet)
        for packet in astream.encode(None):
            container.mux(packet)
        if vstream is not None:
            _write_video(container, vstream, seconds=len(audio) / rate)
    return path


def _write_video(container: av.container.OutputContainer, stream: av.VideoStream,
                 seconds: float) -> None:  # fmt: skip
    for i in range(max(1, int(seconds * 10))):
        img = np.full((48, 64, 3), (i * 7) % 255, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = i
        frame.time_base = Fraction(1, 10)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def late_audio(path: Path, audio: np.ndarray, rate: int, lead: float, codec: str = "flac") -> Path:
    """A video whose sound (``audio``, mono) starts ``lead`` seconds after its picture, as in a
    clip cut without re-encoding or a capture whose audio came late."""
    return timed_audio(path, [(lead, audio)], rate, codec)


def timed_audio(
    path: Path,
    pieces: list[tuple[float, np.ndarray]],
    rate: int,
    codec: str = "flac",
    video: bool = True,
) -> Path:
    """A video (or with ``video=False`` an audio file) whose sound is ``pieces`` of mono
    audio, each timestamped to start at its time (seconds) with nothing between them: a late
    start, or a recording that dropped its sound for a while."""
    with av.open(str(path), "w") as container:
        if video:
            vstream = container.add_stream("mpeg4", rate=10)
            vstream.width, vstream.height, vstream.pix_fmt = 64, 48, "yuv420p"
        astream = container.add_stream(codec, rate=rate, layout="mono")
        end = max(start + len(audio) / rate for start, audio in pieces)
        if video:
            _write_video(container, vstream, seconds=end)
        step = astream.codec_context.frame_size or 1024
        target = astream.codec_context.codec.audio_formats[0].name
        for start, audio in pieces:
            for at in range(0, len(audio), step):
                frame = av.AudioFrame.from_ndarray(
                    audio[at : at + step].reshape(1, -1), format="flt", layout="mono"
                )
                frame.sample_rate = rate
                frame.pts = round(start * rate) + at
                frame.time_base = Fraction(1, rate)
                resampler = av.AudioResampler(format=target, layout="mono", rate=rate)
                for converted in resampler.resample(frame):
                    converted.pts = frame.pts
                    converted.time_base = frame.time_base
                    for packet in astream.encode(converted):
                        container.mux(packet)
        for packet in astream.encode(None):
            container.mux(packet)
    return path


def two_tracks(
    path: Path,
    first: np.ndarray,
    second: np.ndarray,
    rate: int,
    default: int,
    languages: tuple[str, str] | None = None,
) -> Path:
    """A file with two audio tracks (mono PCM; a dub, a commentary), track ``default`` (0 or 1)
    marked as the one to play; ``languages``: their language tags."""
    return audio_tracks(path, [first, second], rate, default, languages)


def audio_tracks(
    path: Path,
    tracks: list[np.ndarray],
    rate: int,
    default: int,
    languages: tuple[str, ...] | None = None,
) -> Path:
    """A file with these audio tracks (mono PCM), track ``default`` marked as the one to play;
    ``languages``: their language tags."""
    with av.open(str(path), "w") as container:
        streams = [container.add_stream("pcm_s16le", rate=rate, layout="mono") for _ in tracks]
        for k, stream in enumerate(streams):  # before the header is written
            stream.disposition = av.stream.Disposition.default if k == default else 0
            if languages:
                stream.metadata["language"] = languages[k]
        for stream, audio in zip(streams, tracks, strict=True):
            pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in [*stream.encode(frame), *stream.encode(None)]:
                container.mux(packet)
    return path


def surround(path: Path, channels: dict[str, np.ndarray], rate: int, layout: str = "5.1") -> Path:
    """A PCM file of ``layout`` (5.1: FL, FR, FC, LFE, BL, BR; 7.1: those and SL, SR; stereo:
    FL, FR) with the given signal in each named channel, silence in the others."""
    order = {
        "5.1": ["FL", "FR", "FC", "LFE", "BL", "BR"],
        "7.1": ["FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"],
        "stereo": ["FL", "FR"],
    }[layout]
    planar = np.zeros((len(order), max(len(a) for a in channels.values())), dtype=np.float32)
    for name, audio in channels.items():
        planar[order.index(name), : len(audio)] = audio
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout=layout)
        pcm = (np.clip(planar, -1, 1) * 32767).astype(np.int16).T.reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout=layout)
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path


def video_only(path: Path, seconds: float = 1.0, empty_sound: bool = False) -> Path:
    """A video without a sound track, or with ``empty_sound`` one that holds no packets."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        if empty_sound:
            container.add_stream("aac", rate=48000, layout="stereo")
        _write_video(container, stream, seconds)
    return path


def tone(seconds: float, rate: int = 16000, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)

"""Audio that ends well before its file says it should: a recording cut off (a copy stopped
midway, a download that broke) whose header still states the whole length.

FFmpeg decodes what is there and stops, as players do; the transcript then ends early with
nothing to say why. Where the file's header states the track's length - an MP4's index, a WAV's
data size (read here: FFmpeg trims it to the file's bytes), an AIFF's, a FLAC's sample count,
an MP3's Xing/Info/VBRI header - that length is believed, and audio ending well before it is
worth a warning. A length FFmpeg estimates (an MP3 without such a header: from its first
frame's bitrate, 125 s for 17 s of two joined parts; MPEG TS: from timestamps that restart) is
not, nor a Matroska file's, which states only the longest stream's (a video's sound may well
end before its picture).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from woasr_cli.media.oversized_wav import wav_data

if TYPE_CHECKING:
    from av.audio.stream import AudioStream
    from av.container import InputContainer

# FFmpeg's names of formats whose header states each track's length
_STATED = frozenset({"mov,mp4,m4a,3gp,3g2,mj2", "wav", "w64", "aiff", "flac", "caf", "ogg"})
# Short of the stated length by more than both of these: a file cut off. Encoders' priming and
# padding, and a last packet's rounding, stay within tens of milliseconds.
_SHORT_S = 1.0
_SHORT_SHARE = 0.02
_MP3_HEAD = 200  # the first frame's bytes where a Xing, Info or VBRI header sits
# A WAV data size this large is a placeholder (0x7FFFF000 from FFmpeg's pipe output,
# 0x80000000, 0xFFFFFFFF): no length stated (2 GiB: 9 hours of 16 kHz 16-bit stereo)
_WAV_PLACEHOLDER = 0x7FFF0000


def stated_length(container: InputContainer, stream: AudioStream, path: Path) -> float | None:
    """Seconds of ``stream`` its file's header states, where it states them (module doc)."""
    if stream.duration is None or stream.time_base is None:
        return None
    name = container.format.name
    if name not in _STATED and not (name == "mp3" and _mp3_states_length(path)):
        return None
    if name == "wav":
        stated = _wav_stated(path)
        if stated is not None:
            return stated
    return float(stream.duration * stream.time_base)


def cut_off_warning(decoded: float, stated: float | None) -> str | None:
    """The warning for audio that ends at ``decoded`` seconds where the file states ``stated``,
    or None where it ends about where stated (or no length is stated)."""
    if stated is None:
        return None
    short = stated - decoded
    if short <= _SHORT_S or short <= _SHORT_SHARE * stated:
        return None
    return (
        f"audio ends at {decoded:.1f} s, the container says {stated:.1f} s: the file may be cut off"
    )


def _wav_stated(path: Path) -> float | None:
    """Seconds a RIFF WAV's ``data`` size states at its ``fmt`` byte rate: FFmpeg trims that
    size to the bytes the file has, so a WAV cut midway read as whole. None where the size is
    a streaming writer's placeholder (0, or ``_WAV_PLACEHOLDER`` and up: FFmpeg and sox writing
    to a pipe, a recorder killed before it wrote the size) or the file is no plain RIFF WAV."""
    data = wav_data(path)
    if data is None or data.byte_rate <= 0 or not 0 < data.size < _WAV_PLACEHOLDER:
        return None
    return data.size / data.byte_rate


def _mp3_states_length(path: Path) -> bool:
    """Whether an MP3's first frame is a Xing, Info or VBRI header (which counts its frames),
    after any ID3v2 tag (its size: four 7-bit bytes; a footer adds 10)."""
    try:
        with path.open("rb") as file:
            head = file.read(10)
            start = 0
            if head[:3] == b"ID3" and len(head) == 10:
                size = 0
                for byte in head[6:10]:
                    size = size << 7 | (byte & 0x7F)
                start = 10 + size + (10 if head[5] & 0x10 else 0)
            file.seek(start)
            data = file.read(4096 + _MP3_HEAD)
    except OSError:
        return False
    sync = next(
        (i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] & 0xE0 == 0xE0), None
    )
    if sync is None:
        return False
    frame = data[sync : sync + _MP3_HEAD]
    return any(mark in frame for mark in (b"Xing", b"Info", b"VBRI"))

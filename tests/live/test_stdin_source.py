"""``woasr listen --stdin``'s source: raw PCM as documented, and media files piped in whole."""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mediafiles import encode_audio
from woasr_cli.errors import MediaError
from woasr_cli.live.pcm import PcmConverter, pcm16_to_float
from woasr_cli.live.sources import PcmStream
from woasr_cli.media.decode import decode_audio
from woasr_cli.media.sniff import container_at_start, mpegts_at_start, wav_samples


def piped(
    data: bytes, hold: threading.Event | None = None, after: int = 0, held: list[bool] | None = None
) -> PcmStream:
    """A PcmStream on the read end of a real pipe that a thread writes ``data`` into; with
    ``hold``, the writer stops after ``after`` bytes until the event is set (a live source),
    or for 10 s at most, and appends to ``held`` whether it was set in time."""
    read_fd, write_fd = os.pipe()

    def write() -> None:
        with os.fdopen(write_fd, "wb", buffering=0) as out:
            if hold is not None:
                out.write(data[:after])
                (held if held is not None else []).append(hold.wait(10))
                data_left = data[after:]
            else:
                data_left = data
            for i in range(0, len(data_left), 65536):
                out.write(data_left[i : i + 65536])

    threading.Thread(target=write, daemon=True).start()
    return PcmStream(os.fdopen(read_fd, "rb"))


def take(blocks: Iterator[np.ndarray]) -> np.ndarray:
    got = list(blocks)
    assert max(len(b) for b in got) <= 4800, "blocks longer than 0.3 s delay live captions"
    return np.concatenate(got)


@pytest.fixture
def speech(shared_audio: Path) -> tuple[np.ndarray, int]:
    return decode_audio(shared_audio / "jfk.flac")[: 16000 * 4], 16000


@pytest.mark.parametrize(
    ("name", "codec", "channels", "rate"),
    [
        ("talk.mp3", "libmp3lame", 2, 44100),
        ("talk.flac", "flac", 1, 16000),
        ("talk.wav", "pcm_s16le", 2, 44100),
        ("talk.wav", "pcm_f32le", 1, 16000),
        ("talk.ogg", "libopus", 1, 48000),
        ("talk.webm", "libopus", 2, 48000),
        ("talk.aiff", "pcm_s16be", 1, 22050),
        ("channel.ts", "mp2", 2, 48000),  # a TV channel (DVB), `curl .../live.ts |`
        ("iptv.ts", "aac", 2, 48000),
    ],
)
def test_a_media_file_piped_in_is_decoded_not_taken_for_samples(
    tmp_path: Path, speech: tuple[np.ndarray, int], name: str, codec: str, channels: int,
    rate: int,
) -> None:  # fmt: skip
    """`cat talk.mp3 | woasr listen --stdin` gave no text and exit 0: the file's bytes were
    read as s16le samples. Each is now decoded at its own rate and channels, to the same
    audio as the file decoded from disk, 100 ms or so at a time."""
    audio, sr = speech
    path = encode_audio(tmp_path / name, audio, sr, codec=codec, channels=channels, out_rate=rate)
    got = take(piped(path.read_bytes()).blocks())
    want = decode_audio(path)
    assert abs(len(got) - len(want)) <= 0.05 * sr
    n = min(len(got), len(want))
    assert np.corrcoef(got[:n], want[:n])[0, 1] > 0.99
    assert abs(len(got) - len(audio)) <= 0.1 * sr  # the clip's 4 s, not the byte count's


def test_a_16khz_mono_wav_is_read_as_it_arrives(tmp_path: Path) -> None:
    """`arecord -r 16000 -f S16_LE | woasr listen --stdin` pipes a WAV with the very samples
    --stdin takes: its header is skipped and the samples read as they come (FFmpeg's WAV
    reader waits for 64 KB first - 2 s of such audio - before the first sample)."""
    samples = (np.sin(np.arange(16000) / 5) * 8000).astype("<i2")
    path = encode_audio(tmp_path / "mic.wav", samples.astype(np.float32) / 32768, 16000,
                        codec="pcm_s16le")  # fmt: skip
    data = path.read_bytes()
    header = wav_samples(data)
    assert header is not None and header[1]
    hold, held = threading.Event(), []
    blocks = piped(data, hold, after=header[0] + 3200, held=held).blocks()  # header and 0.1 s
    first = next(blocks)
    hold.set()
    got = np.concatenate([first, *blocks])
    assert held == [True], "the first samples waited for more than the writer had sent"
    assert np.array_equal(got, pcm16_to_float(samples.tobytes()))


def test_raw_pcm_is_read_as_before() -> None:
    rng = np.random.default_rng(3)
    samples = rng.integers(-3000, 3000, 16000 * 2 + 7).astype("<i2")
    samples[:6] = (100, -200, 300, -400, 500, -600)  # no format's signature
    got = take(piped(samples.tobytes()).blocks())
    assert np.array_equal(got, pcm16_to_float(samples.tobytes()))


def test_nothing_on_stdin_is_an_error() -> None:
    with pytest.raises(MediaError, match=r"^no audio on stdin \(0 bytes\)$"):
        list(piped(b"").blocks())
    # one byte is not one sample: it ended with exit 0 and nothing said
    with pytest.raises(MediaError, match=r"^no audio on stdin \(1 byte: not one sample\)$"):
        list(piped(b"\x01").blocks())


def test_an_mp4_that_needs_seeking_says_to_pass_the_file(
    tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    """An MP4 written front to back keeps its index at the end, which a pipe cannot reach."""
    audio, sr = speech
    path = encode_audio(tmp_path / "talk.m4a", audio, sr, codec="aac")
    reason = "cannot read MP4 from a pipe .*pass the file with --file$"
    with pytest.raises(MediaError, match=reason):
        list(piped(path.read_bytes()).blocks())


def test_container_signatures() -> None:
    assert container_at_start(b"RIFF\x24\x00\x00\x00WAVEfmt ") == "WAV"
    assert container_at_start(b"FORM\x00\x00\x00\x00AIFC") == "AIFF"
    assert container_at_start(b"ID3\x04\x00\x00\x00\x00\x00\x00\x00\x00") == "MP3"
    assert container_at_start(b"\x00\x00\x00\x20ftypisom") == "MP4"
    assert container_at_start(b"RIFF\x24\x00\x00\x00AVI ") is None  # a video, RIFF but no WAVE
    assert container_at_start(np.zeros(6, "<i2").tobytes()) is None  # raw silence
    packets = (b"\x47" + bytes(187)) * 3
    assert mpegts_at_start(packets) and not mpegts_at_start(packets[:-188])
    assert not mpegts_at_start(b"\x47" + bytes(400))  # a sample that starts with 0x47


def test_wav_samples_walks_the_chunks_before_the_data() -> None:
    # WAVE_FORMAT_EXTENSIBLE: tag, channels, rate, byte rate, align, bits, ext size, valid
    # bits, channel mask, then the sub-format GUID whose first two bytes are the real tag.
    fmt = b"fmt " + struct.pack("<IHHIIHHHHI", 40, 0xFFFE, 1, 16000, 32000, 2, 16, 22, 16, 4)
    fmt += struct.pack("<H", 1) + bytes(14)
    tags = b"LIST" + (5).to_bytes(4, "little") + b"INFOx\x00"  # odd size: one pad byte
    head = b"RIFF\x00\x00\x00\x00WAVE" + fmt + tags + b"data\xff\xff\xff\xff"
    assert wav_samples(head) == (len(head), True)  # WAVE_FORMAT_EXTENSIBLE with PCM inside
    assert wav_samples(head[:-4]) is None  # more bytes needed
    stereo = head.replace((1).to_bytes(2, "little") + (16000).to_bytes(4, "little"),
                          (2).to_bytes(2, "little") + (16000).to_bytes(4, "little"))  # fmt: skip
    assert wav_samples(stereo) == (len(head), False)


@pytest.mark.parametrize(
    ("rate", "channels", "piece"),
    [(48000, 1, 128), (44100, 2, 1024), (22050, 1, 333), (16000, 2, 77)],
)
def test_pcm_cut_anywhere_converts_to_the_same_audio(rate: int, channels: int, piece: int) -> None:
    """Pieces as senders cut them (a browser's 128-sample render quantum at 48 kHz, a capture
    tool's 1024-frame period, cuts inside a sample): not one sample lost or added at a cut.
    Converting each piece on its own lost 2 of every 128 samples at 48 kHz (1.6 %: every word
    a second early after a minute of a WebSocket stream)."""
    seconds = 10
    t = np.arange(rate * seconds) / rate
    tone = (np.sin(2 * np.pi * 440 * t) * 10000).astype("<i2")
    data = np.repeat(tone, channels).tobytes()
    convert = PcmConverter(rate, channels)
    step = piece * 2 * channels + 1  # every other cut inside a sample
    out = np.concatenate([*(convert(data[i : i + step]) for i in range(0, len(data), step)),
                          convert.flush()])  # fmt: skip
    assert len(out) == 16000 * seconds
    want = np.sin(2 * np.pi * 440 * np.arange(len(out)) / 16000) * 10000 / 32768
    assert np.abs(out[100:-100] - want[100:-100]).max() < 0.01


def test_a_video_without_sound_says_so_and_a_bad_file_names_itself(
    tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    """Piped: a file FFmpeg read but found no sound in is not told to try --file. As --file:
    the error names the file, as `woasr transcribe` does (it said only "not a media file")."""
    from woasr_cli.live.sources import FileSource

    audio, sr = speech
    video = encode_audio(tmp_path / "clip.webm", audio[:8000], sr, codec="libopus", video=True)
    silent = video_only(video, tmp_path / "silent.webm")
    with pytest.raises(MediaError) as err:
        list(piped(silent.read_bytes()).blocks())
    assert str(err.value) == "Matroska/WebM on a pipe: no audio stream (streams: video)"
    junk = tmp_path / "notes.wav"
    junk.write_text("not audio at all\n" * 100)
    with pytest.raises(MediaError, match=f"^{junk}: not a media file FFmpeg can read$"):
        list(FileSource(junk).blocks())


def test_a_file_is_captioned_from_the_audio_track_asked(tmp_path: Path) -> None:
    """``woasr listen --file`` took the default track of a film, as ``woasr transcribe`` did:
    the other could not be asked. ``--audio-track`` asks it, as it does there."""
    from typer.testing import CliRunner

    from mediafiles import two_tracks
    from woasr_cli.cli.app import app
    from woasr_cli.live.sources import FileSource

    t = np.arange(2 * 16000) / 16000
    low, high = (0.3 * np.sin(2 * np.pi * f * t).astype(np.float32) for f in (440, 880))
    film = two_tracks(tmp_path / "film.mkv", low, high, 16000, default=0)

    def pitch(source: FileSource) -> int:
        audio = np.concatenate(list(source.blocks()))
        return int(np.argmax(np.abs(np.fft.rfft(audio[:16000]))))

    assert (pitch(FileSource(film)), pitch(FileSource(film, track=1))) == (440, 880)
    with pytest.raises(MediaError, match=r"film.mkv: audio track 2 asked, the file has 2 \(0-1\)"):
        list(FileSource(film, track=2).blocks())
    result = CliRunner().invoke(app, ["listen", "--audio-track", "1"])
    assert result.exit_code == 2 and "--audio-track picks one of a --file's" in result.output


def video_only(src: Path, dst: Path) -> Path:
    """A copy of ``src`` with its video stream only (remuxed, no re-encoding)."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        vout = out.add_stream_from_template(vin)
        for packet in inp.demux(vin):
            if packet.dts is not None:
                packet.stream = vout
                out.mux(packet)
    return dst

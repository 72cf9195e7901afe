"""Decoding real media files of many kinds, and one clear reason for each bad one."""

from __future__ import annotations

import gc
import shutil
import subprocess
import weakref
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from mediafiles import (
    audio_tracks,
    encode_audio,
    late_audio,
    surround,
    timed_audio,
    tone,
    two_tracks,
    video_only,
)
from woasr_cli.errors import MediaError
from woasr_cli.media import SAMPLE_RATE, decode_audio, iter_audio, iter_windows, probe
from woasr_cli.providers.speech_presence import speech_spans

CASES = [
    ("clip.mp4", "aac", 1, True),
    ("clip.mkv", "libopus", 2, True),
    ("clip.webm", "libopus", 2, True),
    ("clip.mov", "aac", 1, True),
    ("clip.mp3", "libmp3lame", 2, False),
    ("clip.m4a", "aac", 2, False),
    ("clip.flac", "flac", 6, False),
    ("clip.ogg", "libopus", 1, False),
    ("clip.wav", "pcm_s16le", 6, False),
]


@pytest.mark.parametrize(("name", "codec", "channels", "video"), CASES)
def test_any_container_decodes_to_16k_mono(
    tmp_path: Path, name: str, codec: str, channels: int, video: bool
) -> None:
    rate = 48000 if codec == "libopus" else 22050
    src = tone(2.0, rate, freq=300.0)
    path = encode_audio(tmp_path / name, src, rate, codec=codec, channels=channels, video=video)
    info = probe(path)
    assert info.channels == channels
    audio = decode_audio(path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) / SAMPLE_RATE - 2.0) < 0.1
    # The tone survives the downmix: its dominant frequency is still 300 Hz.
    spectrum = np.abs(np.fft.rfft(audio[:SAMPLE_RATE]))
    assert abs(np.argmax(spectrum) - 300) <= 2


def test_resume_offset_skips_exactly(tmp_path: Path) -> None:
    rate = 16000
    ramp = np.linspace(-0.5, 0.5, rate * 4, dtype=np.float32)
    path = encode_audio(tmp_path / "ramp.flac", ramp, rate, codec="flac")
    tail = decode_audio(path, start=2.5)
    assert abs(len(tail) - int(1.5 * rate)) <= 2
    assert abs(float(tail[0]) - float(ramp[int(2.5 * rate)])) < 1e-3


def test_windows_are_bounded_and_cover_everything(tmp_path: Path) -> None:
    rate = 16000
    # 50 s of tone bursts separated by silences, so each cut has a quiet spot to find.
    burst = np.concatenate([tone(4.0, rate), np.zeros(rate, dtype=np.float32)])
    audio = np.tile(burst, 10)
    path = encode_audio(tmp_path / "long.flac", audio, rate, codec="flac")
    windows = list(iter_windows(path, window_s=12.0))
    assert len(windows) >= 4
    total = 0
    for offset, samples in windows:
        assert abs(offset * rate - total) < 2  # contiguous
        assert len(samples) <= 13 * rate
        total += len(samples)
    assert total == len(audio)
    for offset, _ in windows[1:]:  # cuts fall in the silences, never inside a tone
        assert (offset % 5.0) >= 3.9


def test_streaming_never_materialises_the_whole_file(tmp_path: Path) -> None:
    rate = 16000
    path = encode_audio(tmp_path / "long.flac", tone(95.0, rate), rate, codec="flac")
    sizes = [len(block) for block in iter_audio(path)]
    assert len(sizes) >= 3 and max(sizes) <= 32 * rate
    # Windows are views of arrays of about a window plus one block, never of the whole file.
    held = [len(w if w.base is None else w.base) for _, w in iter_windows(path, window_s=12.0)]
    assert len(held) >= 7 and max(held) <= (12 + 1 + 32) * rate


def test_a_windows_memory_goes_when_its_reader_drops_it(tmp_path: Path) -> None:
    """While a window is out, the reader holds no other reference to its memory: a long
    file's pipeline drops each window once it is cut into speech chunks, and the 300 s window
    (20 MB) was held until the next one had been decoded."""
    rate = 16000
    path = encode_audio(tmp_path / "long.flac", tone(60.0, rate), rate, codec="flac")
    reader = iter_windows(path, window_s=12.0)
    for _ in range(3):
        _, samples = next(reader)
        memory = weakref.ref(samples if samples.base is None else samples.base)
        del samples
        gc.collect()
        assert memory() is None
    assert sum(1 for _ in reader) >= 1  # and the rest still comes


def _unfinished_mp4(path: Path) -> None:
    """A camera's recording cut off (battery, crash): an MP4 writes its index last. It was
    "not a media file FFmpeg can read" to the user who recorded it."""
    whole = encode_audio(path.with_suffix(".m4a"), tone(2.0), 16000, codec="aac")
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_bytes(b""), "empty file"),
        (lambda p: p.write_text("this is not audio\n" * 50), "not a media file"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: None, "no such file"),
        (
            lambda p: video_only(p.with_suffix(".mp4")) and p.with_suffix(".mp4").rename(p),
            "no audio stream",
        ),
        (_unfinished_mp4, "an MP4/MOV without its index ('moov' atom): a recording cut off"),
    ],
    ids=["empty", "text-as-mp3", "directory", "missing", "video-without-audio", "unfinished"],
)
def test_bad_inputs_give_one_line_reasons(tmp_path: Path, make: object, reason: str) -> None:
    path = tmp_path / "x.mp3"
    make(path)  # type: ignore[operator]
    with pytest.raises(MediaError) as err:
        decode_audio(path)
    assert reason in str(err.value)
    assert "\n" not in str(err.value)


def test_truncated_mp3(tmp_path: Path) -> None:
    rate = 22050
    full = encode_audio(tmp_path / "full.mp3", tone(6.0, rate), rate, codec="libmp3lame")
    data = full.read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: len(data) // 2])
    # What is there decodes (as FFmpeg does); the missing half is simply absent.
    audio = decode_audio(cut)
    assert 2.0 < len(audio) / SAMPLE_RATE < 4.0
    header_only = tmp_path / "header.mp3"
    header_only.write_bytes(data[:100])
    with pytest.raises(MediaError):
        decode_audio(header_only)


def test_a_wav_with_zero_samples_is_empty_audio_not_an_error(tmp_path: Path) -> None:
    import wave

    path = tmp_path / "empty.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"")
    assert len(decode_audio(path)) == 0
    # A compressed file that decodes to nothing is still a broken file.
    data = encode_audio(tmp_path / "full.mp3", tone(2.0, 22050), 22050, codec="libmp3lame")
    (tmp_path / "head.mp3").write_bytes(data.read_bytes()[:100])
    with pytest.raises(MediaError):
        decode_audio(tmp_path / "head.mp3")
    # A video muxed with a sound track that holds nothing: players play silence; it was
    # "no decodable audio (truncated or corrupt file)".
    assert len(decode_audio(video_only(tmp_path / "mute.mkv", empty_sound=True))) == 0


def _rf64(samples: np.ndarray, data_size: int, tail: bytes = b"") -> bytes:
    """An RF64 WAV of 16 kHz mono s16 ``samples`` whose ``ds64`` chunk says ``data_size``,
    ``tail`` (chunks) after its audio."""
    import struct

    pcm = samples.astype("<i2").tobytes()
    riff = 0 if data_size == 0 else len(pcm) + len(tail) + 72
    ds64 = b"ds64" + struct.pack("<IQQQ", 24, riff, data_size, data_size // 2)
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
    return b"RF64\xff\xff\xff\xffWAVE" + ds64 + fmt + b"data\xff\xff\xff\xff" + pcm + tail


def test_an_rf64_wav_whose_recorder_was_killed_is_read_to_its_end(tmp_path: Path) -> None:
    """``ffmpeg -rf64 always`` (and broadcast recorders) write the ``ds64`` chunk's sizes as
    0 and fill them in when they stop; killed, they leave 0 there, and FFmpeg reads no audio:
    11 s of speech came out as "0.0 s audio, no speech found", exit 0."""
    samples = (tone(3.0, 16000, freq=300.0) * 20000).astype(np.int16)
    (tmp_path / "whole.wav").write_bytes(_rf64(samples, 2 * len(samples)))
    (tmp_path / "killed.wav").write_bytes(_rf64(samples, 0))
    for name in ("whole.wav", "killed.wav"):
        audio = decode_audio(tmp_path / name)
        assert len(audio) == len(samples), name
        assert np.allclose(audio, samples / 32768, atol=1e-4), name
    assert len(decode_audio(tmp_path / "killed.wav", start=1.0)) == 2 * 16000
    # A whole RF64 file is still read to its length, not into a chunk after its audio.
    info = b"LIST" + (16).to_bytes(4, "little") + b"INFOINAM" + (4).to_bytes(4, "little") + b"abc\0"
    (tmp_path / "tail.wav").write_bytes(_rf64(samples, 2 * len(samples), info))
    assert len(decode_audio(tmp_path / "tail.wav")) == len(samples)


def test_a_wav_past_4_gib_is_read_to_its_end(tmp_path: Path) -> None:
    """A RIFF WAV with more than 4 GiB of audio (37 h of 16 kHz mono; ffmpeg without -rf64
    writes one) says its size less 4 GiB: 4 GiB + 3 s was read as 3.0 s, the rest lost. The
    file is sparse: 4 GiB of silence that takes no disk, then a 3 s tone."""
    import os
    import struct

    rate = 16000
    ending = (tone(3.0, rate, freq=440.0) * 16000).astype("<i2").tobytes()
    size = 2**32 + len(ending)  # bytes of audio
    path = tmp_path / "long.wav"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, 2 * rate, 2, 16)
    with path.open("wb") as file:
        file.write(b"RIFF" + struct.pack("<I", (36 + size) % 2**32) + b"WAVE" + fmt)
        file.write(b"data" + struct.pack("<I", size % 2**32))
        file.seek(44 + size % 2**32)  # audio where FFmpeg looks for a chunk after the data
        file.write(b"\x01\x02\x03\x04\xf0\xff\xff\xff")
        file.seek(44 + 2**32)
        file.write(ending)
    if os.stat(path).st_blocks * 512 > 2**26:
        pytest.skip("this filesystem has no sparse files: the test would write 4 GiB")
    hours = size / 2 / rate / 3600
    assert abs(probe(path).duration - hours * 3600) < 0.01  # type: ignore[operator]
    audio = decode_audio(path, start=2**31 / rate - 2.0)
    assert abs(len(audio) / rate - 5.0) < 0.01
    assert np.max(np.abs(audio[: 2 * rate])) == 0 and _pitch(audio[2 * rate :]) == 440


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "x.wav"
    os.mkfifo(fifo)  # opening it for reading would block: the tests would hang, not fail
    with pytest.raises(MediaError, match="a FIFO"):
        probe(fifo)
    with pytest.raises(MediaError, match="a FIFO"):
        decode_audio(fifo)


def test_files_decoded_on_several_threads_take_turns_a_block_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decoders on eight threads at once handed the GIL to each other for every packet: a
    folder's 36 files took 4.6-5.0 s on a 16-core machine against 1.1 s one after the other.
    One block is decoded at a time; a reader holding a block it has not finished with keeps no
    other file waiting; every thread gets the same audio as one thread alone."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import woasr_cli.media.decode as decode

    rate = 16000
    paths = [
        encode_audio(tmp_path / f"f{k}.flac", tone(40.0, rate, freq=200.0 + 50 * k), rate,
                     codec="flac")
        for k in range(4)
    ]  # fmt: skip
    alone = [decode_audio(p) for p in paths]

    inside, most = 0, 0
    count = threading.Lock()
    frames = decode._decode_frames

    def counted(*args: object) -> object:
        """The real frames, counting the threads inside a decode call at each moment."""
        nonlocal inside, most
        decoding = frames(*args)  # type: ignore[arg-type]
        while True:
            with count:
                inside += 1
                most = max(most, inside)
            frame = next(decoding, None)
            with count:
                inside -= 1
            if frame is None:
                return
            yield frame

    monkeypatch.setattr(decode, "_decode_frames", counted)
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(decode_audio, paths))
    assert most == 1
    for a, b in zip(alone, together, strict=True):
        assert np.array_equal(a, b)

    # a reader that holds its first block (40 s: two blocks) does not stop another file
    held = iter_audio(paths[0])
    first = next(held)
    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(decode_audio, paths[1]).result(timeout=30)
    assert np.array_equal(other, alone[1])
    assert np.array_equal(np.concatenate([first, *held]), alone[0])


def test_sound_that_starts_after_the_picture_keeps_the_videos_times(tmp_path: Path) -> None:
    """A video whose sound starts 2 s after its picture (a clip cut without re-encoding, a
    capture whose audio came late): the audio was decoded from its first sample, so every
    subtitle came 2 s early. Players place it 2 s in; so do the times now."""
    rate = 16000
    path = late_audio(tmp_path / "late.mkv", tone(3.0, rate), rate, lead=2.0)
    audio = decode_audio(path)
    assert abs(len(audio) / rate - 5.0) < 0.05
    assert np.abs(audio[: int(1.9 * rate)]).max() < 1e-4
    assert np.abs(audio[int(2.1 * rate) :]).max() > 0.2
    # a resume 1 s in: 1 s of silence, then the sound
    tail = decode_audio(path, start=1.0)
    assert abs(len(tail) / rate - 4.0) < 0.05
    assert np.abs(tail[: int(0.9 * rate)]).max() < 1e-4
    assert np.abs(tail[int(1.1 * rate) :]).max() > 0.2
    # and one that starts with its file is decoded as before
    plain = encode_audio(tmp_path / "plain.mp3", tone(3.0, rate), rate, codec="libmp3lame")
    assert abs(len(decode_audio(plain)) / rate - 3.0) < 0.1


@pytest.mark.parametrize("default", [0, 1])
def test_the_track_players_play_is_the_one_transcribed(tmp_path: Path, default: int) -> None:
    """A file with two audio tracks (a film's dub, a commentary): players play the one marked
    default; the first track was taken whichever it was."""
    rate = 16000
    tracks = (tone(2.0, rate, 440.0), tone(3.0, rate, 880.0))
    path = two_tracks(tmp_path / "tracks.mkv", *tracks, rate, default=default)
    audio = decode_audio(path)
    assert abs(len(audio) / rate - len(tracks[default]) / rate) < 0.05
    assert probe(path).codec == "pcm_s16le"


@pytest.mark.parametrize("layout", ["5.1", "7.1"])
def test_a_surround_mix_is_heard_for_its_dialogue(tmp_path: Path, layout: str) -> None:
    """Films carry the dialogue in the centre channel. FFmpeg's mono downmix weighed each
    front channel above the centre, so music in front drowned the words; now the centre is
    at full, the front pair at half, the back at a quarter and the LFE left out. A 7.1 track
    crashed the process (SIGSEGV in PyAV's planar to_ndarray of 8 channels), and with it the
    batch, every rerun too."""
    rate = 48000 if layout == "7.1" else 16000  # resampled, as a film's track is
    voice, left, right, rumble, back = (
        tone(2.0, rate, f) for f in (440.0, 1000.0, 1500.0, 60.0, 2500.0)
    )
    path = surround(
        tmp_path / "film.wav",
        {"FC": voice, "FL": left, "FR": right, "LFE": rumble, "BL": back},
        rate,
        layout,
    )
    rate = SAMPLE_RATE
    audio = decode_audio(path)
    assert abs(len(audio) / rate - 2.0) < 0.05

    def level(freq: float) -> float:
        spectrum = np.abs(np.fft.rfft(audio[rate // 2 : rate // 2 + rate]))  # 1 s: 1 Hz bins
        return float(spectrum[int(freq)])

    assert level(1000.0) == pytest.approx(level(440.0) / 2, rel=0.05)
    assert level(1500.0) == pytest.approx(level(440.0) / 2, rel=0.05)
    assert level(2500.0) == pytest.approx(level(440.0) / 4, rel=0.05)
    assert level(60.0) < level(440.0) / 100
    # a stereo file is left to FFmpeg's own downmix (a side at -3 dB)
    stereo = encode_audio(
        tmp_path / "stereo.wav", tone(2.0, rate), rate, codec="pcm_s16le", channels=2
    )
    assert np.max(np.abs(decode_audio(stereo))) == pytest.approx(0.3 / np.sqrt(2), rel=0.02)


def test_a_stereo_track_with_one_side_upside_down_is_still_heard(tmp_path: Path) -> None:
    """Left and right summed to mono cancel when one side is the other inverted (a miswired
    microphone): the file played fine and was transcribed as nothing."""
    rate = 16000
    voice = tone(2.0, rate)
    inverted = surround(tmp_path / "inv.wav", {"FL": voice, "FR": -voice}, rate, "stereo")
    upright = surround(tmp_path / "up.wav", {"FL": voice, "FR": voice}, rate, "stereo")
    heard, summed = decode_audio(inverted), decode_audio(upright)
    assert np.sqrt(np.mean(heard**2)) == pytest.approx(np.sqrt(np.mean(summed**2)), rel=0.01)
    assert np.max(np.abs(summed)) == pytest.approx(0.3 * np.sqrt(2), rel=0.01)  # FFmpeg's sum


def _pink_noise(samples: int, seed: int) -> np.ndarray:
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(samples))
    spectrum[1:] /= np.sqrt(np.arange(1, len(spectrum)))
    return np.asarray(np.fft.irfft(spectrum, samples), dtype=np.float32)


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


def test_speech_on_one_side_with_steady_noise_on_the_other_is_heard_from_the_speech(
    tmp_path: Path, shared_audio: Path, tiny_en: Path
) -> None:
    """A recorder's second input left open with its gain up, or a noisy camera microphone
    beside a lavalier: speech on the left, steady noise on the right 6 dB louder. FFmpeg's
    sum buried the words (tiny.en: "And so, my fellow..." lost whole phrases, 80% WER on
    benchmarks/degraded.py's 36 s); the left side alone reads as the clip does."""
    rate = SAMPLE_RATE
    voice = decode_audio(shared_audio / "jfk.wav")
    noise = _pink_noise(len(voice), seed=1)
    noise *= 2 * _rms(voice[np.abs(voice) > 1e-3]) / _rms(noise)
    path = surround(tmp_path / "one_side.wav", {"FL": voice, "FR": noise}, rate, "stereo")
    heard = decode_audio(path, speech=speech_spans)
    assert _correlation(heard, voice) > 0.99
    text = _transcribed(path, tiny_en, tmp_path / "out")
    assert "ask not what your country can do for you" in text, text


def test_listen_file_mixes_a_stereo_file_as_transcribe_does(
    tmp_path: Path, shared_audio: Path
) -> None:
    """``woasr listen --file`` decoded a stereo file with FFmpeg's plain sum while ``woasr
    transcribe`` left the noise-only side out: the same file gave live captions under the
    noise. The live file source hands the mix the same VAD."""
    from woasr_cli.live.sources import FileSource

    voice = decode_audio(shared_audio / "jfk.wav")
    noise = _pink_noise(len(voice), seed=1)
    noise *= 2 * _rms(voice[np.abs(voice) > 1e-3]) / _rms(noise)
    path = surround(tmp_path / "one_side.wav", {"FL": voice, "FR": noise}, SAMPLE_RATE, "stereo")
    live = np.concatenate(list(FileSource(path).blocks()))
    assert _correlation(live, decode_audio(path, speech=speech_spans)) > 0.999
    assert _correlation(live, voice) > 0.99


def _transcribed(path: Path, tiny_en: Path, out: Path) -> str:
    import json

    from typer.testing import CliRunner

    from woasr_cli.cli.app import app

    args = ["transcribe", str(path), "-o", str(out), "-m", str(tiny_en), "-f", "json", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    return str(json.loads((out / f"{path.stem}.json").read_text())["text"]).lower()


def _espeak(text: str) -> np.ndarray:
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng (apt install espeak-ng) to speak the caller's turn")
    raw = subprocess.run(
        ["espeak-ng", "-v", "en-us", "--stdout", text], capture_output=True, check=True
    ).stdout
    pcm = np.frombuffer(raw[44:], dtype="<i2").astype(np.float32) / 32768
    return np.asarray(resample_poly(pcm, 320, 441), dtype=np.float32)  # 22050 -> 16000 Hz


def test_a_call_with_a_caller_on_a_noisy_line_keeps_both_talkers(
    tmp_path: Path, shared_audio: Path, tiny_en: Path
) -> None:
    """A call recorded a side a talker: the agent clean on the left, then the caller on the
    right over a noisy line (compressed speech, white noise at 8 dB SNR all through). Summed,
    the line noise buried the agent's turn (tiny.en: "That's why I told him that it's fine.
    Thank you." x5); a rule on levels took the caller's noisy side for noise and left the
    caller's every word out. Both are heard: the caller's side is left out only where the
    agent talks and the caller does not."""
    agent = decode_audio(shared_audio / "jfk.wav") * 0.3
    words = "The quarterly number came in higher than we expected, and the team wants the "
    words += "contract signed before the end of the month."
    caller = _espeak(words)
    caller = np.tanh(8 * caller / np.max(np.abs(caller))) * 0.5  # a phone line's compression
    line = np.random.default_rng(0).normal(0, 0.35 * 10 ** (-8 / 20), len(agent) + len(caller))
    right = line.astype(np.float32)
    right[len(agent) :] += caller
    left = np.concatenate([agent, np.zeros(len(caller), np.float32)])
    path = surround(tmp_path / "call.wav", {"FL": left, "FR": right}, SAMPLE_RATE, "stereo")
    text = _transcribed(path, tiny_en, tmp_path / "out")
    assert "what your country can do for you" in text, text  # the agent
    assert "higher" in text and "before the end of the month" in text, text  # the caller


def test_a_lone_word_on_the_quiet_side_is_kept(tmp_path: Path, shared_audio: Path) -> None:
    """The other side says only "yeah" (0.35 s of speech, too little to count as a talker)
    while the agent talks: the word is kept, as the sum kept it; only the rest of that side
    is left out (a first cut of the VAD rule dropped the side whole)."""
    agent = decode_audio(shared_audio / "jfk.wav") * 0.3
    word = _espeak("yeah")
    at = 4 * SAMPLE_RATE
    right = np.zeros_like(agent)
    right[at : at + len(word)] = word * _rms(agent) / _rms(word)
    path = surround(tmp_path / "yeah.wav", {"FL": agent, "FR": right}, SAMPLE_RATE, "stereo")
    sides = _sides(path)
    heard = decode_audio(path, speech=speech_spans)
    there = slice(at, at + len(word))
    assert _correlation(heard[there] - sides[0][there] * np.float32(0.70710677), right[there]) > 0.9


def _sides(path: Path) -> np.ndarray:
    import av

    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=SAMPLE_RATE)
        frames = [f for frame in container.decode(audio=0) for f in resampler.resample(frame)]
    return np.concatenate([f.to_ndarray()[0] for f in frames]).reshape(-1, 2).T


def test_two_talkers_one_a_side_are_still_summed(shared_audio: Path) -> None:
    """Stereo whose sides are unrelated speech (an interview, a side each) keeps FFmpeg's sum:
    each side is heard speaking, and neither is left out where the other talks alone unless
    it is silent there."""
    stereo = shared_audio / "fw_stereo_diarization.wav"
    sides = _sides(stereo)
    assert _correlation(decode_audio(stereo, speech=speech_spans), sides[0] + sides[1]) > 0.999


def test_a_mono_file_and_agreeing_or_inverted_sides_ask_no_vad(
    tmp_path: Path, shared_audio: Path
) -> None:
    """The VAD costs nothing where no side can be left out: mono, sides that agree, sides that
    cancel (heard from their difference, as without it)."""
    asked: list[int] = []

    def counting(audio: np.ndarray) -> list[tuple[int, int]]:
        asked.append(len(audio))
        return speech_spans(audio)

    voice = decode_audio(shared_audio / "jfk.wav")
    inverted = surround(tmp_path / "inv.wav", {"FL": voice, "FR": -voice}, SAMPLE_RATE, "stereo")
    upright = surround(tmp_path / "up.wav", {"FL": voice, "FR": voice}, SAMPLE_RATE, "stereo")
    assert _correlation(decode_audio(inverted, speech=counting), voice) > 0.99
    assert _correlation(decode_audio(upright, speech=counting), voice) > 0.99
    decode_audio(shared_audio / "jfk.wav", speech=counting)
    assert asked == []


def _joined(path: Path, *parts: Path) -> Path:
    path.write_bytes(b"".join(part.read_bytes() for part in parts))
    return path


def _pitch(audio: np.ndarray) -> int:
    """The dominant frequency (Hz) of one second of 16 kHz audio."""
    return int(np.argmax(np.abs(np.fft.rfft(audio[:SAMPLE_RATE]))))


def test_mp3s_joined_end_to_end_decode_whole(tmp_path: Path) -> None:
    """MP3s joined with ``cat`` (an audiobook's chapters, a spliced podcast) change sample rate
    and channels in the middle: the whole file failed with "Frame does not match
    AudioResampler setup"."""
    first = encode_audio(tmp_path / "a.mp3", tone(2.0, 16000, 440.0), 16000, codec="libmp3lame")
    second = encode_audio(
        tmp_path / "b.mp3", tone(3.0, 44100, 880.0), 44100, codec="libmp3lame", channels=2
    )
    audio = decode_audio(_joined(tmp_path / "book.mp3", first, second, first))
    assert abs(len(audio) / SAMPLE_RATE - 7.0) < 0.2
    assert [_pitch(audio[int(at * SAMPLE_RATE) :]) for at in (0.5, 3.0, 5.5)] == [440, 880, 440]


@pytest.mark.parametrize("codec", ["flac", "libopus"])
def test_a_chained_ogg_whose_links_differ_decodes_whole(tmp_path: Path, codec: str) -> None:
    """Ogg streams end to end (a saved radio stream, Ogg files joined with ``cat``): where the
    next link's sample rate or channels differ, FFmpeg stops (Opus: "not yet implemented",
    the file failed) or feeds it to the last link's decoder (FLAC: every packet fails and
    the file came out 2 s long, exit 0). Each link is read in turn."""
    rates = (48000, 48000) if codec == "libopus" else (16000, 44100)
    first = encode_audio(
        tmp_path / "a.ogg", tone(2.0, rates[0], 440.0), rates[0], codec=codec, channels=1
    )
    second = encode_audio(
        tmp_path / "b.ogg", tone(3.0, rates[1], 880.0), rates[1], codec=codec, channels=2
    )
    audio = decode_audio(_joined(tmp_path / "radio.ogg", first, second, first))
    assert abs(len(audio) / SAMPLE_RATE - 7.0) < 0.1
    assert [_pitch(audio[int(at * SAMPLE_RATE) :]) for at in (0.5, 3.0, 5.5)] == [440, 880, 440]


def test_a_gap_in_the_sound_keeps_the_times_after_it(tmp_path: Path) -> None:
    """A recording that dropped its sound for 5 s (its audio timestamps jump ahead): players
    play silence there, and every subtitle after it came 5 s early."""
    rate = 16000
    before, after = tone(2.0, rate, 440.0), tone(3.0, rate, 880.0)
    path = timed_audio(tmp_path / "gap.mkv", [(0.0, before), (7.0, after)], rate)
    audio = decode_audio(path)
    assert abs(len(audio) / rate - 10.0) < 0.05
    level = [float(np.sqrt(np.mean(audio[s * rate : (s + 1) * rate] ** 2))) for s in range(10)]
    assert all(v > 0.1 for v in level[:2] + level[7:]) and all(v < 1e-3 for v in level[3:7])
    assert _pitch(audio[7 * rate :]) == 880
    # jitter in the timestamps (an encoder's few ms) is not a gap
    jitter = timed_audio(tmp_path / "jitter.mkv", [(0.0, before), (2.05, after)], rate)
    assert abs(len(decode_audio(jitter)) / rate - 5.0) < 0.01
    # A gap of 12 minutes (a lecture capture whose microphone was unplugged) is kept too, where
    # the file's own duration says its timeline runs that long: it was dropped as broken
    # timestamps past 10 minutes, and every later subtitle came 12 minutes early.
    long_gap = timed_audio(tmp_path / "gap.mka", [(0.0, before), (722.0, after)], rate, video=False)
    audio = decode_audio(long_gap)
    assert abs(len(audio) / rate - 725.0) < 0.05
    assert _pitch(audio[722 * rate :]) == 880 and np.max(np.abs(audio[3 * rate : 721 * rate])) == 0


def test_the_json_names_the_track_transcribed(tmp_path: Path, tiny_en: Path) -> None:
    """Of a film's dub and its original, which one the transcript is of was written nowhere."""
    import json

    from typer.testing import CliRunner

    from woasr_cli.cli.app import app

    rate = 16000
    tracks = (tone(2.0, rate, 440.0), tone(3.0, rate, 880.0))
    path = two_tracks(tmp_path / "film.mkv", *tracks, rate, default=1, languages=("eng", "deu"))
    info = probe(path)
    assert (info.audio_tracks, info.track, info.track_language) == (2, 1, "deu")
    single = encode_audio(tmp_path / "one.mkv", tracks[0], rate, codec="pcm_s16le")
    out = tmp_path / "out"
    args = ["transcribe", str(path), str(single), "-o", str(out), "-m", "tiny.en", "-f", "json"]
    result = CliRunner().invoke(app, [*args, "-q"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads((out / "film.json").read_text())
    assert doc["audio_track"] == {"index": 1, "language": "deu", "of": 2}
    assert doc["duration"] == 3.0  # the 3 s track's
    assert "audio_track" not in json.loads((out / "one.json").read_text())
    from woasr_cli.transcript import Transcript

    assert Transcript.from_dict(doc).to_dict() == doc  # kept through `woasr convert` and reruns


def test_a_track_is_asked_by_its_number_or_its_tag(tmp_path: Path) -> None:
    """A film whose default track is not the one wanted (silent, a dub) could only be
    transcribed from that one: there was no way to ask another."""
    rate = 16000
    tracks = [tone(2.0, rate, 440.0), tone(3.0, rate, 880.0), tone(4.0, rate, 660.0)]
    path = audio_tracks(tmp_path / "film.mkv", tracks, rate, 0, ("eng", "deu", "fra"))
    for asked, seconds, pitch in (
        (None, 2.0, 440),
        (1, 3.0, 880),
        (2, 4.0, 660),
        ("deu", 3.0, 880),
    ):
        audio = decode_audio(path, track=asked)
        assert abs(len(audio) / rate - seconds) < 0.05 and _pitch(audio) == pitch, asked
    info = probe(path, "fra")
    assert (info.track, info.track_language, info.audio_tracks) == (2, "fra", 3)
    assert abs((info.duration or 0) - 4.0) < 0.05
    with pytest.raises(MediaError, match=r"^audio track 3 asked, the file has 3 \(0-2\)$"):
        probe(path, 3)
    with pytest.raises(MediaError, match=r"^audio track 3 asked, the file has 3 \(0-2\)$"):
        decode_audio(path, track=3)
    with pytest.raises(MediaError, match=r"no audio track tagged 'de'; .* 0 \(eng\), 1 \(deu\)"):
        probe(path, "de")
    same = audio_tracks(tmp_path / "same.mkv", tracks[:2], rate, 0, ("eng", "eng"))
    with pytest.raises(MediaError, match="audio tracks 0, 1 are all tagged 'eng'"):
        probe(same, "eng")
    one = encode_audio(tmp_path / "one.wav", tracks[0], rate, codec="pcm_s16le")
    with pytest.raises(MediaError, match=r"^audio track 1 asked, the file has 1 \(0\)$"):
        probe(one, 1)
    assert abs(len(decode_audio(one, track=0)) / rate - 2.0) < 0.05


def _cut(path: Path, share: float) -> Path:
    """The first ``share`` of ``path``'s bytes, as a copy stopped midway leaves it."""
    data = path.read_bytes()
    cut = path.with_name(f"cut-{path.name}")
    cut.write_bytes(data[: int(len(data) * share)])
    return cut


def test_audio_cut_short_of_the_length_its_file_states_is_told(
    tmp_path: Path, shared_audio: Path
) -> None:
    """An MP4 cut off after its index, an MP3 whose Xing header counts 11 s, a FLAC whose
    STREAMINFO does, a WAV whose data size does (FFmpeg trims that to the file's bytes):
    "done (6.1 s audio)", with nothing to say the file said 11 s."""
    from woasr_cli.media.cutoff import cut_off_warning

    speech = decode_audio(shared_audio / "jfk.flac")
    mp4 = encode_audio(tmp_path / "talk.mp4", speech, SAMPLE_RATE, codec="aac", faststart=True)
    flac = encode_audio(tmp_path / "talk.flac", speech, SAMPLE_RATE, codec="flac")
    wav = encode_audio(tmp_path / "talk.wav", speech, SAMPLE_RATE, codec="pcm_s16le")
    shutil.copy(shared_audio / "jfk.mp3", tmp_path / "jfk.mp3")
    for whole in (mp4, flac, wav, tmp_path / "jfk.mp3"):
        cut = _cut(whole, 0.55)
        decoded = len(decode_audio(cut)) / SAMPLE_RATE
        stated = probe(cut).stated
        assert stated is not None and abs(stated - 11.0) < 0.1, whole.name
        assert 4.0 < decoded < 7.5, whole.name
        said = cut_off_warning(decoded, stated)
        assert said == (
            f"audio ends at {decoded:.1f} s, the container says {stated:.1f} s: "
            "the file may be cut off"
        )
        # the whole file: no warning
        assert cut_off_warning(len(decode_audio(whole)) / SAMPLE_RATE, probe(whole).stated) is None


@pytest.mark.parametrize(
    ("name", "codec", "extra"),
    [
        ("a.mp3", "libmp3lame", {}),
        ("a.m4a", "aac", {}),
        ("a.mp4", "aac", {"video": True}),
        ("a.webm", "libopus", {"video": True, "out_rate": 48000}),
        ("a.ogg", "libopus", {"out_rate": 48000}),
        ("a.flac", "flac", {}),
        ("a.aiff", "pcm_s16be", {}),
        ("a.mkv", "aac", {}),
        ("a.wav", "pcm_s16le", {"out_rate": 44100}),
    ],
)
def test_whole_files_are_never_told_they_are_cut_off(
    tmp_path: Path, name: str, codec: str, extra: dict[str, object]
) -> None:
    """Encoders' priming and padding (AAC's 1024 samples, Opus's 312) leave a whole file a few
    milliseconds off the length it states: never a warning."""
    from woasr_cli.media.cutoff import cut_off_warning

    path = encode_audio(tmp_path / name, tone(4.0, SAMPLE_RATE), SAMPLE_RATE, codec=codec, **extra)  # type: ignore[arg-type]
    assert cut_off_warning(len(decode_audio(path)) / SAMPLE_RATE, probe(path).stated) is None


@pytest.mark.parametrize("size", [0, 0x7FFFF000, 0x80000000, 0xFFFFFFFF])
def test_a_wav_size_written_as_a_placeholder_is_no_length(tmp_path: Path, size: int) -> None:
    """FFmpeg and sox writing a WAV to a pipe, or a recorder killed before it wrote the size,
    leave a placeholder in the data size: no length stated, so no warning, however short."""
    from woasr_cli.media.cutoff import cut_off_warning
    from woasr_cli.media.oversized_wav import wav_data

    path = encode_audio(tmp_path / "a.wav", tone(4.0, SAMPLE_RATE), SAMPLE_RATE, codec="pcm_s16le")
    data = wav_data(path)
    assert data is not None and data.byte_rate == 2 * SAMPLE_RATE
    raw = bytearray(path.read_bytes())
    raw[data.offset - 4 : data.offset] = size.to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    decoded = len(decode_audio(path)) / SAMPLE_RATE
    assert abs(decoded - 4.0) < 0.05
    assert cut_off_warning(decoded, probe(path).stated) is None


def test_lengths_estimated_are_not_taken_for_stated(tmp_path: Path, shared_audio: Path) -> None:
    """An MP3 without a Xing header: FFmpeg estimates its length from its first frame's
    bitrate, and MP3s of two bitrates joined end to end (a low-bitrate intro) estimated 125 s
    for 17 s of sound. No length is stated there, so none is held against the audio; nor is a
    Matroska file's, its longest stream's (a video's picture may outlast its sound)."""
    from woasr_cli.media.cutoff import cut_off_warning

    parts = [
        _headerless_mp3(tone(5.0, 44100, 440.0), 44100, 32000),
        _headerless_mp3(tone(12.0, 44100, 880.0), 44100, 320000),
    ]
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(b"".join(parts))
    info = probe(joined)
    assert (info.duration or 0) > 60  # FFmpeg's estimate
    decoded = len(decode_audio(joined)) / SAMPLE_RATE
    assert abs(decoded - 17.0) < 0.2
    assert info.stated is None and cut_off_warning(decoded, info.stated) is None
    for path in sorted(shared_audio.rglob("*.*")):
        if path.suffix in (".wav", ".flac", ".mp3"):  # the shared clips: none is cut off
            decoded = len(decode_audio(path)) / SAMPLE_RATE
            assert cut_off_warning(decoded, probe(path).stated) is None, path.name


def _headerless_mp3(audio: np.ndarray, rate: int, bitrate: int) -> bytes:
    """MP3 frames as an encoder writes them to a pipe: no Xing header (written last, over the
    first frame, where the output can seek back)."""
    import io

    import av

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, chunk: bytes) -> int:  # type: ignore[override]
            self.data += chunk
            return len(chunk)

    pipe = Pipe()
    with av.open(pipe, "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=rate, layout="mono")
        stream.bit_rate = bitrate
        for at in range(0, len(audio), 1152):
            frame = av.AudioFrame.from_ndarray(
                audio[None, at : at + 1152], format="fltp", layout="mono"
            )
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return bytes(pipe.data)

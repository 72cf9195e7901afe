"""Quiet recordings: the VAD hears them brought up to a level it finds speech at, and noise
brought up stays no speech (providers/vad_level.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import write_wav
from woasr_cli.media import decode_audio
from woasr_cli.providers import vad_level

pytest.importorskip("faster_whisper", reason="needs the faster-whisper extra")


def recorded_at(audio: np.ndarray, peak_dbfs: float, tmp_path: Path, name: str) -> np.ndarray:
    """``audio`` scaled to a peak of ``peak_dbfs`` and read back from a 16-bit WAV, as a
    recorder with its gain set low would have written it."""
    scaled = audio / np.abs(audio).max() * 10 ** (peak_dbfs / 20)
    return decode_audio(write_wav(tmp_path / name, scaled, 16000))


def test_ordinary_levels_are_left_as_they_are(shared_audio: Path) -> None:
    for name in ("jfk.wav", "pyannote_sample.wav", "negative/room_tone_8s.wav"):
        audio = decode_audio(shared_audio / name)
        assert vad_level.for_vad(audio) is audio, name


def test_a_quiet_recording_is_brought_up_to_the_target(shared_audio: Path) -> None:
    jfk = decode_audio(shared_audio / "jfk.wav")
    quiet = (jfk * 10 ** (-50 / 20)).astype(np.float32)
    louder = vad_level.for_vad(quiet)
    assert vad_level.loudness(louder) == pytest.approx(vad_level.TARGET, rel=1e-3)
    # A DC offset (a cheap interface's) is not level, and is left out of the louder copy.
    offset = vad_level.for_vad(quiet + np.float32(0.05))
    assert vad_level.loudness(offset) == pytest.approx(vad_level.TARGET, rel=1e-3)
    assert abs(float(np.mean(offset))) < 1e-3
    # A click as loud as full scale does not set the level; the boost clips it.
    clicked = quiet.copy()
    clicked[1000:1010] = 1.0
    assert vad_level.loudness(clicked) == pytest.approx(vad_level.loudness(quiet), rel=0.01)
    assert np.abs(vad_level.for_vad(clicked)).max() == 1.0
    # Near silence is brought up by MAX_GAIN at most.
    hiss = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 1e-5
    assert np.abs(vad_level.for_vad(hiss)).max() == pytest.approx(
        np.abs(hiss).max() * vad_level.MAX_GAIN,
        rel=0.01,  # about the hiss's own mean
    )


def test_quiet_speech_is_cut_for_decoding_and_quiet_noise_is_not(
    shared_audio: Path, tmp_path: Path
) -> None:
    # jfk.wav at a peak of -55 dBFS: no speech at all was found, and the transcript was empty.
    from woasr_cli.providers.speech_chunks import speech_spans

    jfk = recorded_at(decode_audio(shared_audio / "jfk.wav"), -55, tmp_path, "jfk.wav")
    spans, _ = speech_spans(jfk)
    assert sum(e - s for s, e in spans) / 16000 > 9.5  # of its 11 s, as at its own level
    room = decode_audio(shared_audio / "negative" / "room_tone_8s.wav")
    hiss = np.random.default_rng(1).standard_normal(10 * 16000) * 10 ** (-70 / 20)
    for name, noise in (("room", room), ("hiss", hiss)):
        for peak in (-50.0, -70.0):
            quiet = recorded_at(np.asarray(noise, np.float32), peak, tmp_path, f"{name}.wav")
            assert speech_spans(quiet)[0] == [], (name, peak)


def test_a_quiet_microphone_is_heard_live(shared_audio: Path, tmp_path: Path) -> None:
    from woasr_cli.live.vad import FRAME, StreamingVad

    jfk = decode_audio(shared_audio / "jfk.wav")
    jfk = jfk[: len(jfk) // FRAME * FRAME]
    frames, own = jfk.reshape(-1, FRAME), StreamingVad()
    heard = np.concatenate([own(frames[i : i + 5]) for i in range(0, len(frames), 5)])
    quiet = recorded_at(jfk, -55, tmp_path, "quiet.wav").reshape(-1, FRAME)
    vad = StreamingVad()
    probabilities = np.concatenate([vad(quiet[i : i + 5]) for i in range(0, len(quiet), 5)])
    speech = heard > 0.5
    assert speech.sum() > 200
    assert (probabilities[speech] > 0.5).mean() > 0.9  # before: none of them
    assert (probabilities[~speech] > 0.5).mean() < 0.3


def test_a_cough_deafens_a_quiet_microphone_for_two_seconds_not_ten(
    shared_audio: Path, tmp_path: Path
) -> None:
    # A quiet microphone, then a second of noise at -12 dBFS (a cough into it), then quiet
    # speech again: the last 10 s were loud, so the stream was heard as it is for 10 s after.
    from woasr_cli.live.vad import FRAME, StreamingVad

    jfk = decode_audio(shared_audio / "jfk.wav")
    jfk = jfk[: len(jfk) // FRAME * FRAME]
    own = StreamingVad()
    heard = np.concatenate([own(f) for f in np.array_split(jfk.reshape(-1, FRAME), 70)]) > 0.5
    quiet = jfk / np.abs(jfk).max() * 10 ** (-55 / 20)
    cough = np.random.default_rng(5).standard_normal(16000) * 10 ** (-12 / 20) / 3
    gap = np.zeros(16000)
    stream = np.concatenate([quiet, gap, cough, gap, quiet])
    stream = recorded_at(stream, -12, tmp_path, "stream.wav")  # the cough's peak, as written
    stream = stream[: len(stream) // FRAME * FRAME].reshape(-1, FRAME)
    vad = StreamingVad()
    probabilities = np.concatenate([vad(f) for f in np.array_split(stream, len(stream) // 3)])
    after = probabilities[-len(heard) :]  # jfk again, from 1 s after the cough
    assert (after[heard] > 0.5).mean() > 0.8


def test_a_bump_before_quiet_speech_does_not_set_its_level(
    shared_audio: Path, tmp_path: Path
) -> None:
    # A 0.2 s burst at -10 dBFS (the microphone knocked, a door) before jfk.wav at -55 dBFS:
    # the loudest 0.1 % of the file's samples were the burst's, and no speech was found.
    from woasr_cli.providers.speech_chunks import speech_spans

    jfk = decode_audio(shared_audio / "jfk.wav")
    quiet = jfk / np.abs(jfk).max() * 10 ** (-55 / 20)
    burst = np.random.default_rng(2).standard_normal(3200) * 0.3 * np.exp(-np.linspace(0, 5, 3200))
    silence = np.zeros(16000)
    audio = np.concatenate([silence, burst, silence, quiet, silence]).astype(np.float32)
    recorded = decode_audio(write_wav(tmp_path / "bump.wav", audio, 16000))
    spans, _ = speech_spans(recorded)
    start = int(2.2 * 16000)  # where jfk starts
    assert (
        sum(min(e, start + len(jfk)) - max(s, start) for s, e in spans if e > start) > 9.5 * 16000
    )


def test_a_loud_moment_in_a_quiet_recording_sets_the_level_of_its_own_seconds_only(
    shared_audio: Path, tmp_path: Path
) -> None:
    # A second of applause at -12 dBFS before jfk.wav twice at -55 dBFS (a quiet lecture
    # recording): the applause set the whole file's loudness, and speech went unfound.
    from woasr_cli.providers.speech_chunks import speech_spans

    jfk = decode_audio(shared_audio / "jfk.wav")
    quiet = jfk / np.abs(jfk).max() * 10 ** (-55 / 20)
    applause = np.random.default_rng(3).standard_normal(16000) * 10 ** (-12 / 20) / 3
    gap = np.zeros(2 * 16000)
    audio = np.concatenate([applause, gap, quiet, gap, quiet, gap]).astype(np.float32)
    recorded = decode_audio(write_wav(tmp_path / "lecture.wav", audio, 16000))
    assert vad_level.loudness(recorded) > vad_level.QUIET  # the applause's
    spans, _ = speech_spans(recorded)
    assert sum(e - s for s, e in spans) / 16000 > 19.0  # of jfk's 2 x 11 s


def test_a_loud_recordings_quiet_pauses_are_left_as_they_are(shared_audio: Path) -> None:
    # Speech at its own level with two minutes of room tone at -60 dBFS, or of dither, between:
    # most of the file is quiet, but steady noise does not sound like speech: not brought up.
    jfk = decode_audio(shared_audio / "jfk.wav")
    room = decode_audio(shared_audio / "negative" / "room_tone_8s.wav")
    room = np.tile(room / np.abs(room).max() * 10 ** (-60 / 20), 15)
    dither = np.random.default_rng(4).standard_normal(120 * 16000) * 10 ** (-80 / 20)
    for noise in (room, dither):
        audio = np.concatenate([jfk, noise, jfk]).astype(np.float32)
        audio = audio[: len(audio) // 512 * 512]
        assert vad_level.for_vad(audio) is audio

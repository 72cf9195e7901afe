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

"""Speech a reverberant room hides from the VAD: found in a dereverberated copy, kept only where
the VAD's own scores were steady (reverb_speech.py)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import chords, in_room, room
from woasr_cli.providers import speech_chunks
from woasr_cli.providers.faint_speech import VAD_FRAME
from woasr_cli.providers.reverb_speech import STEADY, dereverberated, reverberant_spans

RATE = 16000


def _energy(audio: np.ndarray, start: float, end: float) -> float:
    return float(np.sum(audio[int(start * RATE) : int(end * RATE)] ** 2))


def test_a_halls_tail_is_taken_out_and_the_sound_itself_kept() -> None:
    burst = np.zeros(3 * RATE, np.float32)
    burst[RATE // 2 : RATE] = np.random.default_rng(0).standard_normal(RATE // 2) * 0.1
    wet = in_room(burst, room(1.2, 1))
    dry = dereverberated(wet)
    assert dry.dtype == np.float32 and len(dry) == len(wet)
    # The tail after the burst (1.2-3.0 s) loses 4-5 dB; the burst's onset (0.1 s) under 1 dB.
    assert _energy(dry, 1.2, 3.0) < _energy(wet, 1.2, 3.0) / 2.5
    assert _energy(dry, 0.5, 0.6) > _energy(wet, 0.5, 0.6) / 1.26


def _scores(seconds: float, *runs: tuple[float, float, float]) -> np.ndarray:
    scores = np.full(int(seconds * RATE) // VAD_FRAME, 0.01, np.float32)
    for start, end, p in runs:
        scores[int(start * RATE) // VAD_FRAME : int(end * RATE) // VAD_FRAME] = p
    return scores


def test_speech_found_again_is_kept_only_where_the_vad_scored_it_steadily() -> None:
    audio = np.zeros(8 * RATE, np.float32)
    spans = [(0, 2 * RATE), (6 * RATE, 8 * RATE)]
    asked: list[int] = []

    def find(heard: np.ndarray) -> list[tuple[int, int]]:
        asked.append(len(heard))
        return [(int(2.5 * RATE), int(5.5 * RATE))]

    # Reverberant speech: the VAD scored it 0.1, under its 0.5 but steadily.
    steady = _scores(8.0, (0, 2, 0.9), (2.5, 5.5, 2 * STEADY), (6, 8, 0.9))
    assert reverberant_spans(audio, spans, steady, find) == [(int(2.5 * RATE), int(5.5 * RATE))]
    # Music: the dereverberated copy heard speech, but the VAD's scores were spikes over 0.01.
    spiky = _scores(8.0, (0, 2, 0.9), (3.0, 3.1, 0.4), (4.0, 4.1, 0.4), (6, 8, 0.9))
    asked.clear()
    assert reverberant_spans(audio, spans, spiky, find) == []
    assert asked == []  # nothing looked steady: no copy was made or heard
    # No speech heard at all in the window: nothing is looked for.
    assert reverberant_spans(audio, [], steady, find) == []
    assert asked == []


def test_jfk_in_a_hall_is_cut_for_transcription(shared_audio) -> None:  # type: ignore[no-untyped-def]
    # jfk.wav in a hall of RT60 1.5 s: Silero scored all but "And so my fellow" 0.05-0.3, and
    # the speech cut held 20 % of the sentence (base wrote "And so my fellow Americans." only).
    pytest.importorskip("faster_whisper", reason="Silero VAD ships with faster-whisper")
    from woasr_cli.media import decode_audio

    wet = in_room(decode_audio(shared_audio / "jfk.wav"), room(1.5, 2))
    spans, _ = speech_chunks.speech_spans(wet)
    cut = np.zeros(len(wet), bool)
    for start, end in spans:
        cut[start:end] = True
    assert cut[int(0.3 * RATE) : int(10.5 * RATE)].mean() > 0.7, spans


def test_music_in_a_hall_gets_no_more_speech(monkeypatch: pytest.MonkeyPatch) -> None:
    # The dereverberated copy of music in a hall scores 0.5-0.85 here and there, where the
    # VAD scored it 0.00-0.02 (median): none of it may be added to the speech.
    pytest.importorskip("faster_whisper", reason="Silero VAD ships with faster-whisper")
    music = in_room(chords(20.0), room(1.5, 26))
    found, _ = speech_chunks.speech_spans(music)
    monkeypatch.setattr(speech_chunks, "reverberant_spans", lambda *_: [])
    assert found == speech_chunks.speech_spans(music)[0]


def test_a_call_behind_the_talker_is_not_taken_for_hidden_speech(  # type: ignore[no-untyped-def]
    shared_audio, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A phone call 18 dB under the talker, both in a room of RT60 0.6 s: Silero scored the
    # call steadily (median >= 0.05) in the 4 s pause after the last sentence, and the rule
    # added 41.8-42.7 s, where base then wrote words nobody in the room said.
    pytest.importorskip("faster_whisper", reason="Silero VAD ships with faster-whisper")
    from woasr_cli.media import decode_audio

    names = ("jfk.wav", "synth/hibari_en_1.wav", "synth/hibari_en_2.wav")
    pause = np.zeros(4 * RATE, np.float32)
    parts, talking, at = [pause], [], len(pause)
    for name in (*names, "librispeech_1272-128104-0000.wav"):
        voice = decode_audio(shared_audio / name)
        parts += [voice / np.sqrt(np.mean(voice**2)) * 0.05, pause]
        talking.append((at, at + len(voice)))
        at += len(voice) + len(pause)
    talker = np.concatenate(parts)
    call = decode_audio(shared_audio / "pyannote_sample.wav")
    call = np.tile(call, len(talker) // len(call) + 1)[: len(talker)]
    mixed = talker + call / np.sqrt(np.mean(call**2)) * 0.05 * 10 ** (-18 / 20)
    response = room(0.6, 1, 1.0)
    wet = np.convolve(mixed, response)[: len(mixed)]
    wet = np.asarray(wet / np.abs(wet).max() * 0.7, dtype=np.float32)
    spans, _ = speech_chunks.speech_spans(wet)
    monkeypatch.setattr(speech_chunks, "reverberant_spans", lambda *_: [])
    added = set(spans) - set(speech_chunks.speech_spans(wet)[0])
    tail = int(0.6 * RATE)  # the room's tail after each sentence: 60 dB down in RT60
    for start, end in added:  # mostly the talker (in the room), not the call alone
        heard = sum(max(0, min(end, e + tail) - max(start, s)) for s, e in talking)
        assert heard > (end - start) / 2, (start / RATE, end / RATE)


def test_speech_far_under_the_talker_is_not_kept() -> None:
    rng = np.random.default_rng(3)
    audio = np.zeros(8 * RATE, np.float32)
    audio[: 2 * RATE] = audio[6 * RATE :] = 0.1  # the talker, as the VAD heard it
    spans = [(0, 2 * RATE), (6 * RATE, 8 * RATE)]
    scores = _scores(8.0, (0, 2, 0.9), (2.5, 5.5, 2 * STEADY), (6, 8, 0.9))

    def find(heard: np.ndarray) -> list[tuple[int, int]]:
        return [(int(2.5 * RATE), int(5.5 * RATE))]

    between = slice(int(2.5 * RATE), int(5.5 * RATE))
    audio[between] = rng.standard_normal(3 * RATE).astype(np.float32) * 0.05  # -6 dB: a hall
    assert reverberant_spans(audio, spans, scores, find) == [(int(2.5 * RATE), int(5.5 * RATE))]
    audio[between] *= 10 ** (-12 / 20)  # -18 dB: someone else, further off
    assert reverberant_spans(audio, spans, scores, find) == []

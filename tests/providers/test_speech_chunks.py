"""Speech chunks: packing VAD spans into <= 30 s chunks and mapping chunk times to the window."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from woasr_cli.providers.faint_speech import FAINT, faint_spans
from woasr_cli.providers.speech_chunks import CHUNK_S, SpeechChunk, _pack, joined, speech_chunks

RATE = 16000


def test_times_map_back_across_removed_silence() -> None:
    audio = np.arange(10 * RATE, dtype=np.float32)
    # Speech at 1-3 s and 6-7 s: the chunk holds 3 s of audio, the 3 s of silence between cut.
    (chunk,) = _pack(audio, [(1 * RATE, 3 * RATE), (6 * RATE, 7 * RATE)])
    assert chunk.duration == pytest.approx(3.0)
    assert chunk.audio[0] == audio[RATE] and chunk.audio[2 * RATE] == audio[6 * RATE]
    assert chunk.window_time(0.0) == pytest.approx(1.0)
    assert chunk.window_time(1.5) == pytest.approx(2.5)
    assert chunk.window_time(2.5) == pytest.approx(6.5)
    # The seam at 2 s: a start opens the second span, an end closes the first.
    assert chunk.window_time(2.0) == pytest.approx(6.0)
    assert chunk.window_time(2.0, is_end=True) == pytest.approx(3.0)
    # Times past the chunk stay inside the last span.
    assert chunk.window_time(9.0) == pytest.approx(7.0)


def test_a_word_keeps_to_one_span() -> None:
    audio = np.zeros(10 * RATE, dtype=np.float32)
    (chunk,) = _pack(audio, [(1 * RATE, 3 * RATE), (6 * RATE, 7 * RATE)])
    span = chunk.span_index(1.9)
    assert span == 0
    assert chunk.window_time(2.2, span) == pytest.approx(3.0)  # clamped to its span's end


def test_spans_are_packed_into_chunks_of_at_most_30_s() -> None:
    audio = np.zeros(100 * RATE, dtype=np.float32)
    spans = [(s * RATE, (s + 12) * RATE) for s in range(0, 96, 16)]  # six 12 s stretches
    chunks = _pack(audio, spans)
    assert [c.duration for c in chunks] == [24.0, 24.0, 24.0]
    assert all(c.duration <= CHUNK_S for c in chunks)
    assert [s for c in chunks for s in c.spans] == spans


def test_tail_starts_where_decoding_stopped() -> None:
    audio = np.arange(20 * RATE, dtype=np.float32)
    (chunk,) = _pack(audio, [(2 * RATE, 6 * RATE), (10 * RATE, 14 * RATE)])
    rest = chunk.tail(3.0)
    assert rest.duration == pytest.approx(5.0)
    assert rest.spans == ((5 * RATE, 6 * RATE), (10 * RATE, 14 * RATE))
    assert rest.audio[0] == audio[5 * RATE]
    assert rest.window_time(1.5) == pytest.approx(10.5)


def test_rests_are_joined_into_as_few_chunks_as_hold_them() -> None:
    audio = np.arange(100 * RATE, dtype=np.float32)
    chunks = _pack(audio, [(0, 28 * RATE), (30 * RATE, 58 * RATE), (60 * RATE, 80 * RATE)])
    rests = [chunks[0].tail(25.0), chunks[1].tail(24.0), chunks[2], chunks[0].tail(20.0)]
    first, second = joined(rests[:3]), joined(rests[3:])
    # 3 s + 4 s + 20 s in one chunk; its times map back to each piece's place in the window
    assert [c.duration for c in first] == [27.0] and second[0].duration == 8.0
    (chunk,) = first
    assert chunk.spans == ((25 * RATE, 28 * RATE), (54 * RATE, 58 * RATE), (60 * RATE, 80 * RATE))
    assert chunk.audio[3 * RATE] == audio[54 * RATE]
    assert chunk.window_time(1.0) == pytest.approx(26.0)
    assert chunk.window_time(4.0) == pytest.approx(55.0)
    assert chunk.window_time(8.5) == pytest.approx(61.5)
    # pieces that do not fit together in 30 s stay apart, in order
    assert [c.duration for c in joined([chunks[0], chunks[1].tail(20.0), chunks[2]])] == [
        28.0,
        28.0,
    ]


def test_without_vad_the_window_is_cut_in_30_s_pieces() -> None:
    audio = np.ones(70 * RATE, dtype=np.float32)
    chunks = speech_chunks(audio, vad=False)
    assert [c.duration for c in chunks] == [30.0, 30.0, 10.0]
    assert chunks[2].window_time(1.0) == pytest.approx(61.0)


def test_vad_finds_no_speech_in_silence() -> None:
    pytest.importorskip("faster_whisper", reason="Silero VAD ships with faster-whisper")
    assert speech_chunks(np.zeros(5 * RATE, dtype=np.float32), vad=True) == []
    assert speech_chunks(np.zeros(0, dtype=np.float32), vad=True) == []


def test_chunk_is_typed_float32() -> None:
    (chunk,) = _pack(np.ones(RATE, dtype=np.float32), [(0, RATE)])
    assert isinstance(chunk, SpeechChunk) and chunk.audio.dtype == np.float32


def with_faint_speech(
    spans: list[tuple[int, int]], probabilities: np.ndarray, length: int
) -> list[tuple[int, int]]:
    """The spans with their faint speech, as speech_chunks pads and cuts it."""
    return sorted(
        spans + faint_spans(spans, probabilities, length, int(0.4 * RATE), int(CHUNK_S * RATE))
    )


def _probabilities(seconds: float, *runs: tuple[float, float, float]) -> np.ndarray:
    """VAD probabilities per 512-sample frame: 0.02, and ``p`` from ``a`` to ``b`` seconds."""
    p = np.full(int(seconds * RATE) // 512, 0.02, dtype=np.float32)
    for a, b, value in runs:
        p[int(a * RATE) // 512 : int(b * RATE) // 512] = value
    return p


def test_faint_speech_between_spans_becomes_a_span_of_its_own() -> None:
    spans = [(0, int(2.5 * RATE)), (int(3.6 * RATE), int(4.7 * RATE))]
    # a word scored 0.3-0.4 (under Silero's 0.5) at 3.3-3.6 s; a blip of 64 ms at 1.0 s inside
    # a span; a 64 ms run at 8 s, too short to be a word
    probs = _probabilities(10.0, (3.3, 3.58, 0.35), (1.0, 1.06, 0.3), (8.0, 8.06, 0.4))
    out = with_faint_speech(spans, probs, 10 * RATE)
    assert out[0] == spans[0] and out[2] == spans[1]
    start, end = out[1]
    assert start == pytest.approx(3.3 * RATE - 0.4 * RATE, abs=512)  # padded as speech is ...
    assert end == spans[1][0]  # ... but not into the span after it
    assert (
        with_faint_speech(spans, _probabilities(10.0, (3.3, 3.58, FAINT - 0.01)), 10 * RATE)
        == spans
    )


def test_faint_runs_close_together_become_one_span() -> None:
    # two runs 0.2 s apart in one gap: padded, each reached into the other (jfk at 0.8x tempo
    # had both, and its chunk held the audio of 4.08-4.62 s twice: "ask, ask not")
    spans = [(0, int(3.15 * RATE)), (int(4.62 * RATE), int(5.78 * RATE))]
    probs = _probabilities(8.0, (4.1, 4.25, 0.3), (4.45, 4.6, 0.3))
    out = with_faint_speech(spans, probs, 8 * RATE)
    assert len(out) == 3 and all(a[1] <= b[0] for a, b in itertools.pairwise(out)), out


def test_a_short_faint_run_that_only_trails_speech_is_left_out() -> None:
    # room tone starting right after speech scored 0.25-0.49 over 5 frames at its onset, and
    # Whisper guessed "Yeah." over it; the end of a phrase fading under noise lasts longer
    spans = [(0, int(10.9 * RATE))]
    onset = _probabilities(20.0, (10.98, 11.14, 0.35))
    assert with_faint_speech(spans, onset, 20 * RATE) == spans
    fading = _probabilities(20.0, (10.98, 11.5, 0.3))
    assert len(with_faint_speech(spans, fading, 20 * RATE)) == 2
    # the same short run reaching on to speech is kept (a soft word opening a phrase)
    ahead = [(0, int(10.9 * RATE)), (int(11.5 * RATE), int(14.0 * RATE))]
    assert len(with_faint_speech(ahead, onset, 20 * RATE)) == 3


def test_long_faint_sound_is_cut_into_chunk_sized_spans() -> None:
    probs = _probabilities(100.0, (5.0, 95.0, 0.3))  # 90 s of it (music under the VAD's bar)
    out = with_faint_speech([], probs, 100 * RATE)
    assert len(out) == 4 and all(e - s <= CHUNK_S * RATE for s, e in out)
    assert out[0][0] == pytest.approx(4.6 * RATE, abs=512) and out[-1][1] == pytest.approx(
        95.4 * RATE, abs=512
    )
    assert all(a[1] == b[0] for a, b in itertools.pairwise(out))


def test_a_soft_word_under_room_tone_is_cut_for_transcription(shared_audio) -> None:  # type: ignore[no-untyped-def]
    # jfk.wav under the shared room tone at 0 dB SNR: "ask" (3.3-3.6 s) scored 0.29-0.41, and
    # "And so my fellow Americans, not what your country can do for you" lost it.
    from woasr_cli.media import decode_audio

    jfk = decode_audio(shared_audio / "jfk.wav")
    room = np.resize(decode_audio(shared_audio / "negative" / "room_tone_8s.wav"), len(jfk))
    noisy = jfk + room * np.sqrt(np.mean(jfk**2) / np.mean(room**2))
    spans = [
        span for chunk in speech_chunks(noisy.astype(np.float32), True) for span in chunk.spans
    ]
    assert any(a <= 3.45 * RATE <= b for a, b in spans), spans

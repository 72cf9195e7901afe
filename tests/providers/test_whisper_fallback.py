"""Whisper's temperature fallback in batched decoding: a chunk whose text loops is decoded again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from woasr_cli.errors import UsageError
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.whisper_fallback import (
    FALLBACK_MAX_NEW_TOKENS,
    compression_ratio,
    fallback_max_new_tokens,
    loops,
    without_loop,
)
from woasr_cli.transcript import Segment, Word
from woasr_cli.word_loops import cut_loop

LOOP = "Thank you for watching, see you in the next video, " + "see you in the next video, " * 12
PLAIN = "The quick brown fox jumps over the lazy dog. Please send the report before Friday."


def seg(text: str, logprob: float = -0.2, no_speech: float = 0.01) -> Segment:
    return Segment(0.0, 5.0, text, avg_logprob=logprob, no_speech_prob=no_speech)


def test_a_loop_compresses_past_whispers_threshold_and_speech_does_not() -> None:
    assert compression_ratio(LOOP) > 2.4
    assert compression_ratio(PLAIN) < 2.4
    assert compression_ratio("") == 0.0


def test_a_decode_that_loops_is_decoded_again_when_a_temperature_is_left() -> None:
    options = TranscribeOptions()
    assert loops([seg(LOOP)], options)
    # the loop spread over several segments of one decode is still one text
    assert loops([seg(LOOP[:60]), seg(LOOP[60:])], options)
    # a sure loop over what may be silence ("I'm sorry, " 56 times over music, below)
    assert loops([seg(LOOP, logprob=-0.1, no_speech=0.8)], options)
    # unsure text that does not loop is left to sequential mode's full rule
    assert not loops([seg(PLAIN, logprob=-1.4)], options)
    assert not loops([seg(PLAIN)], options)
    assert not loops([], options)
    # --temperature 0: no temperature left to try; the check switched off
    assert not loops([seg(LOOP)], options.with_changes(temperature=(0.0,)))
    assert not loops([seg(LOOP)], options.with_changes(compression_ratio_threshold=None))


def test_a_sentence_said_twice_compresses_as_well_but_is_not_decoded_again() -> None:
    """jfk's sentence twice in one 28.5 s chunk of long_recording.py's hour: ratio 2.48, and
    sampled again at 0.2-0.6 it came back as "asked not" and "Memory Month" (3.7 s of 91)."""
    options = TranscribeOptions()
    jfk = (
        "And so, my fellow Americans ask not what your country can do for you "
        "ask what you can do for your country. "
    )
    twice = jfk * 2 + "Hello,"  # that chunk's text at temperature 0
    assert compression_ratio(twice) > 2.4
    assert not loops([seg(twice)], options)
    # the same sentence three times back to back is a loop
    assert loops([seg(jfk * 3)], options)


def test_a_loop_in_text_written_without_spaces_is_found() -> None:
    """Chinese text has no spaces to split words at: each character counts as a word."""
    options = TranscribeOptions()
    loop = "今天我们去公园。" + "谢谢大家。" * 20
    assert compression_ratio(loop) > 2.4
    assert loops([seg(loop)], options)
    assert not loops([seg("今天我们去公园散步吧。明天我们在家里看书。后天去海边游泳。")], options)


def test_a_fallback_decode_takes_at_most_whispers_own_token_limit() -> None:
    options = TranscribeOptions()
    assert fallback_max_new_tokens(options) == FALLBACK_MAX_NEW_TOKENS == 224
    assert fallback_max_new_tokens(options.with_changes(max_new_tokens=100)) == 100
    assert fallback_max_new_tokens(options.with_changes(max_new_tokens=220)) == 220
    with pytest.raises(UsageError, match="--max-new-tokens takes 1 to 220"):
        options.with_changes(max_new_tokens=400)  # past the window with its prompt


def test_a_decode_that_loops_at_every_temperature_keeps_one_copy_of_the_loop() -> None:
    options = TranscribeOptions()
    said = ["Bonjour", "à", "tous."]
    loop = ["būrdu", "ebianu,"] * 13
    words = [Word(i * 0.5, i * 0.5 + 0.4, t, 0.9) for i, t in enumerate(said + loop)]
    first = Segment(0.0, 1.4, "Bonjour à tous.", words=words[:3], avg_logprob=-0.3)
    second = Segment(1.5, 14.4, " ".join(loop), words=words[3:], avg_logprob=-0.3)
    third = Segment(14.5, 15.0, " ".join(loop[:4]), words=words[3:7], avg_logprob=-0.3)
    kept = without_loop([first, second, third], options)
    assert [s.text for s in kept] == ["Bonjour à tous.", "būrdu ebianu,"]
    assert kept[0] is first and kept[1].end == words[4].end
    assert [w.text for w in kept[1].words] == ["būrdu", "ebianu,"]
    # text that does not loop is left as it is
    assert without_loop([first], options) == [first]


def test_a_loop_inside_one_word_of_thai_is_found_and_cut() -> None:
    """An espeak-ng Korean clip after 5 s of a tone, taken for Thai by ``base``: Whisper's
    word timestamps gave the loop as one word of 150 characters, so a loop of words was never
    found, the chunk was not decoded again and the loop was written out."""
    options = TranscribeOptions()
    said = Word(4.95, 6.41, "อันย่อนฮะเสียว", 0.5)
    loop = Word(6.47, 9.45, "โอโอ" + "โว" * 70, 0.9)
    segment = Segment(4.95, 9.45, said.text + " " + loop.text, words=[said, loop], avg_logprob=-0.2)
    assert loops([segment], options)
    (kept,) = without_loop([segment], options)
    assert kept.text == "อันย่อนฮะเสียวโอโอโว"
    assert [w.text for w in kept.words] == [said.text, "โอโอโว"]
    assert kept.words[0] is said
    assert loop.start < kept.end == kept.words[1].end < loop.end / 2 + loop.start / 2
    # Thai that does not loop is left alone, a word of it with marks on its letters included
    plain = Segment(0.0, 2.0, "สวัสดีครับ", words=[Word(0.0, 2.0, "สวัสดีครับ", 0.9)])
    assert without_loop([plain], options) == [plain]


def test_a_loop_of_numbers_written_as_one_token_is_found_and_cut() -> None:
    """espeak-ng's Mandarin under ``base`` (taken for English): "In 1,1,1,1,..." 110 times,
    one token without spaces, was written out as it came."""
    options = TranscribeOptions()
    words = [Word(0.0, 0.4, "In", 0.9), Word(0.4, 8.4, "1," * 110, 0.9), Word(8.4, 9.0, "Shuffle")]
    segment = Segment(0.0, 9.0, " ".join(w.text for w in words), words=words, avg_logprob=-0.3)
    assert loops([segment], options)
    (kept,) = without_loop([segment], options)
    assert kept.text == "In 1"
    # numbers and words joined by punctuation that do not loop are left alone
    said = [Word(0.0, 1.0, "1,000,000,000"), Word(1.0, 2.0, "well-known"), Word(2.0, 3.0, "4-4-4")]
    assert cut_loop(said * 2) == said * 2


@pytest.mark.slow
def test_an_english_model_on_korean_speech_writes_no_loop(
    tiny_en: Path, shared_audio: Path, tmp_path: Path
) -> None:
    """tiny.en on Korean read speech three times over (the mixed folder of
    benchmarks/long_recording.py has this file): the batch decoded its one chunk at temperature
    0 into "see you in the next video" 30 times over, compression ratio 10.9, and wrote it."""
    import soundfile  # type: ignore[import-untyped]

    from woasr_cli import TranscribeOptions as Options
    from woasr_cli import Transcriber

    korean, rate = soundfile.read(shared_audio / "korean_read_1.wav", dtype="float32")
    assert rate == 16000
    pause = np.zeros(rate // 2, dtype=np.float32)
    audio = np.concatenate([korean, pause] * 3)
    options = Options(model=str(tiny_en), compute_type="int8", beam_size=5)
    with Transcriber(options) as transcriber:
        text = transcriber.transcribe(audio).text
    assert text.strip()
    assert compression_ratio(text) <= 2.4, text
    # and none of it is one phrase over and over
    words = text.lower().split()
    assert len(words) < 60, text


def _music(seconds: int, rate: int = 16000) -> np.ndarray:
    """Notes of 0.5 s (three harmonics, decaying) with a click on every other one: no words."""
    rng = np.random.default_rng(0)
    t = np.arange(rate // 2) / rate
    notes = [220, 247, 262, 294, 330, 349, 392, 440]
    out = []
    for k in range(seconds * 2):
        f = notes[rng.integers(len(notes))]
        tone = np.exp(-3 * t) * (
            np.sin(2 * np.pi * f * t)
            + 0.5 * np.sin(2 * np.pi * 2 * f * t)
            + 0.3 * np.sin(2 * np.pi * 1.5 * f * t)
        )
        if k % 2 == 0:
            tone[:800] += rng.normal(0, 0.5, 800) * np.exp(-np.arange(800) / 100)
        out.append(tone)
    music = np.concatenate(out)
    scaled: np.ndarray = (music / np.abs(music).max() * 0.5).astype(np.float32)
    return scaled


@pytest.mark.slow
def test_music_with_the_default_model_writes_no_loop(tmp_path: Path) -> None:
    """A minute of notes in a 16-bit WAV, which VAD takes for speech: multilingual ``base``
    decoded it at temperature 0 as "I'm sorry, " 56 times (sure of it: mean log-probability
    -0.1; no-speech probability 0.8), and that was the file's transcript."""
    import soundfile

    from woasr_cli import TranscribeOptions as Options
    from woasr_cli import Transcriber

    options = Options(model="base", offline=True)
    try:
        transcriber = Transcriber(options)
    except Exception as exc:  # the offline model packages are a test extra
        pytest.skip(f"multilingual base unavailable: {exc}")
    with transcriber:
        music = tmp_path / "music.wav"
        soundfile.write(music, _music(60), 16000, subtype="PCM_16")
        text = transcriber.transcribe(music).text
    assert compression_ratio(text) <= 2.4, text
    assert len(text.split()) < 20, text


def test_segments_read_from_the_padding_past_a_chunk_are_dropped() -> None:
    # A 10.5 s chunk decoded alone is padded to 30 s; at temperature 1.0 Whisper wrote 20
    # segments of "," timed 11.8-28.8 s over the padding, all laid onto the chunk's last instant.
    from woasr_cli.providers.faster_whisper_batch import _Part, _settle
    from woasr_cli.providers.speech_chunks import SpeechChunk

    rate = 16000
    chunk = SpeechChunk(np.zeros(int(10.5 * rate), np.float32), ((rate, int(11.5 * rate)),))
    said = Segment(2.0, 3.0, "Words.", [Word(2.0, 3.0, "Words.", 0.9)])
    padding = [Segment(t, t + 0.3, "Noise", [Word(t, t + 0.3, "Noise", 0.1)]) for t in (11.8, 20.0)]
    done = _settle(_Part(chunk, again=True), [said, *padding], TranscribeOptions())
    assert [s.text for s in done.segments] == ["Words."]
    assert done.segments[0].start == pytest.approx(3.0)  # window time: the chunk starts at 1 s

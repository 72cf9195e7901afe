"""The streaming processor on real clips with the offline tiny.en model."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import intro, normalise, wer
from woasr_cli.live import StreamEvent, StreamProcessor, open_processor
from woasr_cli.live.vad import FRAME, StreamingVad
from woasr_cli.media.decode import decode_audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.vad_level import QUIET, loudness

pytest.importorskip("faster_whisper", reason="needs faster-whisper (pip install woasr)")


class PassClock:
    """The processor's clock with every pass taking ``cost`` seconds (0.4: a quiet 2-core
    machine's pass): passes are paced by their cost, so on the real clock the text would
    depend on how loaded the machine running the tests is."""

    def __init__(self, cost: float = 0.4) -> None:
        self.cost, self.now, self.calls = cost, 0.0, 0

    def __call__(self) -> float:
        self.calls += 1
        if self.calls % 2 == 0:  # called at each pass's start and end
            self.now += self.cost
        return self.now


def stream(processor: StreamProcessor, audio: np.ndarray, block: int = 1600) -> list[StreamEvent]:
    processor.clock = PassClock()
    events: list[StreamEvent] = []
    for i in range(0, len(audio), block):
        events += processor.feed(audio[i : i + block])
    return events + processor.finish()


@pytest.fixture(scope="module")
def jfk_events(shared_audio: Path, tiny_en: Path) -> tuple[list[StreamEvent], StreamProcessor]:
    del tiny_en
    processor = open_processor(TranscribeOptions(model="tiny.en", offline=True))
    return stream(processor, decode_audio(shared_audio / "jfk.wav")), processor


def finals(events: list[StreamEvent]) -> list[StreamEvent]:
    return [e for e in events if e.type == "final"]


def test_jfk_committed_text_matches_the_reference(
    jfk_events: tuple[list[StreamEvent], StreamProcessor], references: dict[str, str]
) -> None:
    events, _ = jfk_events
    text = " ".join(e.text for e in finals(events))
    # At most two words wrong: "And so" is committed at once (the first partial), and passes
    # over the next second hear "my" as "am I" at some pass timings (0.3-0.4 s passes do,
    # 0.5 s ones do not); the 1 s pause after "fellow Americans" no longer cuts the buffer.
    assert wer(references["jfk.wav"], text) <= 0.1, text
    assert any(e.type == "partial" and e.text for e in events)  # partials came before the end


def test_committed_text_is_never_rewritten(
    jfk_events: tuple[list[StreamEvent], StreamProcessor],
) -> None:
    events, processor = jfk_events
    committed = [w for e in finals(events) for w in e.words]
    # Every final adds words after the last one; together they are exactly what was committed.
    assert committed == processor.agreement.committed
    ends = [w.end for w in committed]
    assert ends == sorted(ends)
    assert all(b.start >= a.end - 0.1 for a, b in itertools.pairwise(committed))
    # A partial only ever shows words after the committed ones.
    last_end = 0.0
    for event in events:
        if event.type == "final":
            last_end = event.end
        elif event.words:
            assert event.start >= last_end - 0.1


def test_no_word_sequence_is_repeated(
    jfk_events: tuple[list[StreamEvent], StreamProcessor], references: dict[str, str]
) -> None:
    events, _ = jfk_events
    hyp = normalise(" ".join(e.text for e in finals(events))).split()
    ref = normalise(references["jfk.wav"]).split()
    for n in (2, 3):
        grams = [tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1)]
        ref_grams = [tuple(ref[i : i + n]) for i in range(len(ref) - n + 1)]
        assert all(grams.count(g) <= max(1, ref_grams.count(g)) for g in grams), hyp
    assert hyp[-3:] == ["for", "your", "country"]  # the tail was flushed, once


def test_room_tone_gives_no_text_and_costs_no_pass(shared_audio: Path, tiny_en: Path) -> None:
    del tiny_en
    processor = open_processor(TranscribeOptions(model="tiny.en", offline=True))
    events = stream(processor, decode_audio(shared_audio / "negative" / "room_tone_8s.wav"))
    assert [e for e in events if e.text] == []
    assert processor.passes == 0


def test_streaming_vad_matches_the_whole_file(shared_audio: Path) -> None:
    from faster_whisper.vad import get_vad_model

    audio = decode_audio(shared_audio / "librispeech_1272-128104-0000.wav")
    audio = audio[: len(audio) // FRAME * FRAME]
    whole = np.asarray(get_vad_model()(audio)).reshape(-1)
    vad = StreamingVad()
    frames = audio.reshape(-1, FRAME)
    streamed = np.concatenate([vad(frames[i : i + 7]) for i in range(0, len(frames), 7)])
    # Until the stream has been loud, a louder hearing of it may score a frame higher, never
    # lower (providers/vad_level.py); from then on the scores are the whole file's.
    loud = next(i for i in range(len(frames)) if loudness(audio[: (i + 1) * FRAME]) >= QUIET)
    assert 0 < loud < 40  # the clip opens with faint sound, then speech within 1.3 s
    assert (streamed >= whole - 1e-4).all()
    np.testing.assert_allclose(streamed[loud:], whole[loud:], atol=1e-4)


@pytest.mark.parametrize("kind", ["tone", "room tone"])
def test_streaming_vad_hears_speech_after_a_long_sound(shared_audio: Path, kind: str) -> None:
    # `woasr listen --file` on 15 s of room tone then jfk.wav wrote "What your country can do
    # for you, ...": the state carried through the room tone deafened the VAD to the first words.
    sound = intro(kind, shared_audio)
    jfk = decode_audio(shared_audio / "jfk.wav")
    audio = np.concatenate([sound[: len(sound) // FRAME * FRAME], jfk[: len(jfk) // FRAME * FRAME]])
    frames = audio.reshape(-1, FRAME)
    vad = StreamingVad()
    probabilities = np.concatenate([vad(frames[i : i + 5]) for i in range(0, len(frames), 5)])
    first_second = probabilities[len(sound) // FRAME + 12 : len(sound) // FRAME + 31]
    assert first_second.min() > 0.5  # "And so" (0.4-1.0 s)
    assert probabilities[: len(sound) // FRAME].max() < 0.5


def test_event_json_shape() -> None:
    from woasr_cli.transcript import Word

    event = StreamEvent.of("final", [Word(0.5, 0.9, "Hello,"), Word(1.0, 1.2, "world.")])
    assert json.loads(json.dumps(event.to_dict())) == {
        "type": "final", "start": 0.5, "end": 1.2, "text": "Hello, world.",
        "words": [{"start": 0.5, "end": 0.9, "text": "Hello,"},
                  {"start": 1.0, "end": 1.2, "text": "world."}],
    }  # fmt: skip


def test_first_partial_within_a_second_of_the_first_word(shared_audio: Path, tiny_en: Path) -> None:
    """pyannote_sample's first word ("Hello?", 6.68 s in its .stm, after 1 s of silence here as
    in benchmarks/streaming.py) is faint: it must still start the utterance, and the first
    partial must be due 1 s of audio later (a pass then has 0.5 s to run within the 1.5 s
    target)."""
    del tiny_en
    clip = decode_audio(shared_audio / "pyannote_sample.wav")[: 9 * 16000]
    audio = np.concatenate([np.zeros(16000, np.float32), clip])
    processor = open_processor(TranscribeOptions(model="tiny.en", offline=True))
    first = None
    for i in range(0, len(audio), 1600):
        if any(e.text for e in processor.feed(audio[i : i + 1600])):
            first = (i + 1600) / 16000 - 1
            break
    assert first is not None and first <= 6.68 + 1.0, first


def test_a_word_said_again_right_after_a_committed_one_is_kept(
    shared_audio: Path, tiny_en: Path
) -> None:
    """pyannote_sample opens with "Hello? Hello? Oh, hello." (three Hellos in 2.2 s, two
    speakers). The re-read guard dropped the second "Hello?" (8.6-8.92 s, 0.44 s after the
    committed first one, under the guard's 0.5 s) although the same pass read the first one in
    place (7.36-8.12 s): a word said right after a committed one is kept, so the first two
    Hellos come out, and no Hello is committed twice (a later pass's re-read of one, such as
    the zero-length "Hello." squeezed in after "Oh, hello.", is dropped). The passes depend on
    the CPU's arithmetic (CTranslate2 uses MKL on Intel, oneDNN on AMD): on AMD the second
    Hello lands 0.54 s after the first, past the guard's reach, and tiny.en reads "Oh, hello."
    as two or three Hellos, so their count is not asserted; the rule itself is tested on the
    Intel passes' words in test_agreement.py::test_a_word_said_again_right_after_the_committed_
    one_is_kept."""
    del tiny_en
    clip = decode_audio(shared_audio / "pyannote_sample.wav")[: 11 * 16000]
    audio = np.concatenate([np.zeros(16000, np.float32), clip])
    processor = open_processor(TranscribeOptions(model="tiny.en", offline=True))
    committed = [w for e in finals(stream(processor, audio)) for w in e.words]
    said = normalise(" ".join(w.text for w in committed)).split()
    hellos = [w for w in committed if normalise(w.text) == "hello"]
    assert any(7.2 <= w.start <= 8.3 for w in hellos), committed  # the first "Hello?"
    assert any(8.4 <= w.start <= 9.2 for w in hellos), committed  # the second, 0.44 s later
    assert all(b.start >= a.end - 0.05 for a, b in itertools.pairwise(hellos)), committed
    assert said[said.index("i") :][:6] == ["i", "didn't", "know", "you", "were", "there"], said


def test_nothing_is_lost_at_the_end_of_the_stream(
    shared_audio: Path, tiny_en: Path, references: dict[str, str]
) -> None:
    """A stream that stops mid-speech (no pause after the last word): the tail is transcribed
    with the whole buffer and committed, every word of it, once."""
    del tiny_en
    audio = decode_audio(shared_audio / "librispeech_1272-128104-0000.wav")
    processor = open_processor(TranscribeOptions(model="tiny.en", offline=True))
    text = " ".join(e.text for e in finals(stream(processor, audio)))
    assert normalise(text) == normalise(references["librispeech_1272-128104-0000.wav"]), text
    assert processor.agreement.pending == []


def test_a_quiet_microphone_is_transcribed(
    shared_audio: Path, tiny_en: Path, references: dict[str, str]
) -> None:
    """jfk.wav at a peak of -55 dBFS, 16-bit: the VAD heard no speech, and nothing was said."""
    del tiny_en
    jfk = decode_audio(shared_audio / "jfk.wav")
    quiet = np.round(jfk / np.abs(jfk).max() * 10 ** (-55 / 20) * 32767) / 32767
    processor = open_processor(TranscribeOptions(model="tiny.en", offline=True))
    text = " ".join(e.text for e in finals(stream(processor, quiet.astype(np.float32))))
    assert wer(references["jfk.wav"], text) <= 0.15, text


def test_overlapping_talk_is_committed_within_seconds(shared_audio: Path, tiny_en: Path) -> None:
    """pyannote_sample's fast overlapping turns, 6-20 s, where passes disagree most: every word
    is committed within 5 s of audio after it ends (the p95 target) and the buffer stays under
    the trim bound. (At 0.4 s a pass this excerpt commits within 3 s with or without settling;
    the 10-20 s stalls that settling bounds came with slower passes, see test_agreement.)"""
    del tiny_en
    audio = decode_audio(shared_audio / "pyannote_sample.wav")[6 * 16000 : 20 * 16000]
    processor = open_processor(TranscribeOptions(model="tiny.en", offline=True))
    processor.clock = PassClock()
    late, longest = [], 0.0
    for i in range(0, len(audio), 1600):
        at = (i + 1600) / 16000
        for event in processor.feed(audio[i : i + 1600]):
            if event.type == "final":
                late += [at - w.end for w in event.words]
        longest = max(longest, (processor.received - processor._start) / 16000)
    assert late and max(late) <= 5.0, sorted(late)[-5:]
    assert longest <= processor.config.max_buffer + 1.0


def test_passes_are_paced_by_what_passes_during_speech_cost(
    shared_audio: Path, tiny_en: Path
) -> None:
    """A pass at a pause (or the end) encodes 30 s and costs about twice a pass during speech,
    but no other pass runs in the pause: it must not space out the next utterance's passes
    (it did, by up to 0.5 s, and committed-word latency followed)."""
    del tiny_en
    processor = open_processor(TranscribeOptions(model="tiny.en", offline=True))
    slow = []

    def clock() -> float:  # a pass costs 0.3 s during speech, 2 s at a pause or the end
        clock.now += 0.3 if processor._in_speech else 2.0  # type: ignore[attr-defined]
        slow.append(not processor._in_speech)
        return clock.now  # type: ignore[attr-defined]

    clock.now = 0.0  # type: ignore[attr-defined]
    processor.clock = clock
    audio = decode_audio(shared_audio / "jfk.wav")
    for i in range(0, len(audio), 1600):
        processor.feed(audio[i : i + 1600])
    assert any(slow)  # jfk pauses after "fellow Americans": a 30 s pass at 2 s was timed
    assert not all(slow)
    assert processor.pass_time == pytest.approx(0.3)


def test_passes_during_speech_use_the_quick_beam_and_the_pause_pass_the_full_one(
    shared_audio: Path, references: dict[str, str], tiny_en: Path
) -> None:
    """Mid-utterance passes only propose words for agreement: they decode with ``mid_beam``
    (cheaper, so passes come sooner); a pass at a pause or the end, which commits what is
    left, decodes with the stream's own beam."""
    del tiny_en
    processor = open_processor(TranscribeOptions(model="tiny.en", offline=True, beam_size=5))
    assert processor.config.mid_beam is not None and processor.config.mid_beam < 5
    real = processor.transcriber.transcribe
    beams: list[tuple[bool, int | None, int]] = []
    finishing = [False]

    def transcribe(audio: np.ndarray, options: TranscribeOptions) -> object:
        beams.append((processor._in_speech and not finishing[0], options.beam_size, len(audio)))
        return real(audio, options=options)  # type: ignore[arg-type]

    processor.transcriber.transcribe = transcribe  # type: ignore[method-assign,assignment]
    audio = decode_audio(shared_audio / "jfk.wav")
    events = []
    for i in range(0, len(audio), 1600):
        events += processor.feed(audio[i : i + 1600])
    finishing[0] = True
    events += processor.finish()
    said = " ".join(e.text for e in events if e.type == "final")
    assert wer(references["jfk.wav"], said) <= 0.1, said
    quick = [beam == processor.config.mid_beam for in_speech, beam, _ in beams if in_speech]
    assert sum(quick) >= 0.8 * len(quick)
    assert {beam for in_speech, beam, _ in beams if not in_speech} == {5}
    # the only full-beam pass during speech is a quick pass that looped, heard again
    for before, (in_speech, beam, size) in itertools.pairwise(beams):
        if in_speech and beam == 5:
            assert before[1] == processor.config.mid_beam and before[2] == size


def test_no_words_are_invented_after_the_last_one(shared_audio: Path, tiny_en: Path) -> None:
    """espeak_dialogue_2spk ends "... scheduled for next Tuesday." and then silence: the pass at
    that pause (30 s, beam 5, its words committed as they stand) went on "Thank you very much."
    squeezed into 0.06 s after "Tuesday." ("Thank" at probability 0.04), and "Thank you very"
    was committed. A tail of guessed words is cut; the text ends where the speaker stopped."""
    del tiny_en
    name = "synth/espeak_dialogue_2spk.wav"
    clip = decode_audio(shared_audio / name)
    pad = np.zeros(16000, np.float32)
    processor = open_processor(TranscribeOptions(model="tiny.en", offline=True))
    events = stream(processor, np.concatenate([pad, clip, pad]))
    said = normalise(" ".join(e.text for e in finals(events)))
    assert said.split()[-2:] == ["next", "tuesday"], said


def test_passes_get_no_prompt_unless_asked(shared_audio: Path, tiny_en: Path) -> None:
    """pyannote_sample's overlapping turns, 6-14 s, trimmed as they are committed (from 4 s of
    buffer on, where asked): by default no pass gets the committed text as its prompt; with
    ``prompt_chars`` the passes after a trim get the end of it (at most that many characters).
    An empty budget is no prompt, not all of it."""
    from woasr_cli.live.processor import StreamConfig

    del tiny_en
    audio = decode_audio(shared_audio / "pyannote_sample.wav")[6 * 16000 : 14 * 16000]

    def prompts(config: StreamConfig | None) -> tuple[list[str | None], StreamProcessor]:
        processor = open_processor(TranscribeOptions(model="tiny.en", offline=True), config)
        real = processor.transcriber.transcribe
        seen: list[str | None] = []

        def transcribe(buffer: np.ndarray, options: TranscribeOptions) -> object:
            seen.append(options.initial_prompt)
            return real(buffer, options=options)  # type: ignore[arg-type]

        processor.transcriber.transcribe = transcribe  # type: ignore[method-assign,assignment]
        stream(processor, audio)
        return seen, processor

    plain, processor = prompts(None)
    assert processor.config.prompt_chars == 0
    assert plain and all(p is None for p in plain), plain
    asked, processor = prompts(StreamConfig(prompt_chars=40, trim_after=4.0))
    given = [p for p in asked if p]
    assert given, asked  # the buffer was trimmed, so later passes had committed text before it
    committed = " ".join(w.text for w in processor.agreement.committed)
    assert all(len(p) <= 40 and p in committed for p in given), given


def test_a_word_read_earlier_than_the_last_commit_ended_is_kept(tmp_path: Path) -> None:
    """Word edges move between passes: "at" was committed ending at 2.76 s and every later
    pass began "3.30pm." at 2.60 s, so the agreement took it for audio already committed and
    `woasr listen` printed "arrived at The ticket" (every pass cost 0.05-0.5 s)."""
    from conftest import synthesize, write_wav

    text = (
        "Doctor O'Brien said the e-mail arrived at three thirty p.m. "
        "The ticket costs five dollars and ninety nine cents. "
        "Our revenue grew by twelve point five percent to two point three million dollars."
    )
    audio, rate = synthesize(text)
    clip = decode_audio(write_wav(tmp_path / "times.wav", audio, rate))
    processor = open_processor(TranscribeOptions(model="tiny.en", offline=True))
    committed = " ".join(e.text for e in finals(stream(processor, clip)))
    assert "arrived at 3.30" in committed, committed
    # a number is committed once Whisper has heard all of it, not as "12" then "to 2.3"
    assert "grew by 12.5% to $2.3 million" in committed, committed
    expected = "Dr. O'Brien said the email arrived at 3.30 pm. The ticket costs $5.99."
    assert wer(f"{expected} Our revenue grew by 12.5% to $2.3 million.", committed) <= 0.15

"""CrossFileDecoder with a small rule-based decoder in place of Whisper: chunking, language,
times back in the window, and the rest of a chunk that the decoder ended early."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import Audio, LanguageInfo
from woasr_cli.providers.faster_whisper_batch import CrossFileDecoder, in_time_order
from woasr_cli.providers.slot_language import ChunkReading
from woasr_cli.transcript import Segment, Word

RATE = 16000


class StopsEarly:
    """Decodes at most ``reach`` seconds of each chunk (as Whisper does at some pauses): one
    segment per chunk, named by the chunk's first sample, which the tests make unique."""

    def __init__(self, reach: float, no_speech: float = 0.0) -> None:
        self.reach = reach
        self.no_speech = no_speech
        self.batches: list[tuple[str | None, int]] = []

    def __call__(self, options: TranscribeOptions, chunks: list[Audio]) -> list[list[Segment]]:
        self.batches.append((options.language, len(chunks)))
        out = []
        for chunk in chunks:
            end = min(self.reach, len(chunk) / RATE)
            text = f"at{int(chunk[0])}"
            out.append([Segment(0.0, end, text, avg_logprob=-0.2, no_speech_prob=self.no_speech)])
        return out


def ramp(seconds: float) -> Audio:
    """Audio whose sample values count up: a chunk's first sample tells where it came from."""
    return np.arange(int(seconds * RATE), dtype=np.float32) + 1.0


def english(_: Audio) -> LanguageInfo:
    return LanguageInfo("en", 1.0)


def test_the_rest_of_an_early_ended_chunk_is_decoded() -> None:
    decode = StopsEarly(reach=8.0)
    decoder = CrossFileDecoder(decode, english, batch_size=4)
    options = TranscribeOptions(vad=False)
    segments, language = decoder.transcribe(ramp(20.0), options)
    found = list(segments)
    assert language.language == "en"
    # 20 s in one chunk, decoded 8 s at a time: 0-8, 8-16, 16-20.
    assert [(s.start, s.end) for s in found] == [(0.0, 8.0), (8.0, 16.0), (16.0, 20.0)]
    assert [s.text for s in found] == ["at1", f"at{8 * RATE + 1}", f"at{16 * RATE + 1}"]


def test_a_short_undecoded_rest_is_timing_slack() -> None:
    decode = StopsEarly(reach=9.5)
    decoder = CrossFileDecoder(decode, english, batch_size=4)
    segments, _ = decoder.transcribe(ramp(10.0), TranscribeOptions(vad=False))
    assert [(s.start, s.end) for s in segments] == [(0.0, 9.5)]
    assert decode.batches == [("en", 1)]


def test_a_silent_rest_ends_the_chunk() -> None:
    class Silent(StopsEarly):
        def __call__(self, options: TranscribeOptions, chunks: list[Audio]) -> list[list[Segment]]:
            out = super().__call__(options, chunks)
            if len(self.batches) > 1:  # the rest: Whisper's no-speech rule applies
                for segs in out:
                    for s in segs:
                        s.avg_logprob = -1.5
            return out

    silent = Silent(reach=5.0, no_speech=0.9)
    decoder = CrossFileDecoder(silent, english, batch_size=4)
    segments, _ = decoder.transcribe(ramp(20.0), TranscribeOptions(vad=False))
    assert [(s.start, s.end) for s in segments] == [(0.0, 5.0)]
    # 0-5 read; the rest 5-20 read silent (5-10), what follows tried once more (10-15), silent
    # again: two silent reads in a row end it, 15-20 is not read.
    assert len(silent.batches) == 3


def test_speech_after_a_rest_read_as_silent_is_decoded() -> None:
    """A rest whose opening Whisper reads as silence (badly read speech: a synthetic German voice
    before 15 s of Italian) still has what follows decoded."""

    class SilentOnce(StopsEarly):
        def __call__(self, options: TranscribeOptions, chunks: list[Audio]) -> list[list[Segment]]:
            out = super().__call__(options, chunks)
            if len(self.batches) == 2:  # the first rest's read: silence by the no-speech rule
                for segs in out:
                    for s in segs:
                        s.avg_logprob, s.no_speech_prob = -1.5, 0.9
            return out

    decode = SilentOnce(reach=5.0)
    decoder = CrossFileDecoder(decode, english, batch_size=4)
    segments, _ = decoder.transcribe(ramp(20.0), TranscribeOptions(vad=False))
    found = list(segments)
    # 0-5 read, 5-10 dropped as silence, 10-15 and 15-20 read.
    assert [(s.start, s.end) for s in found] == [(0.0, 5.0), (10.0, 15.0), (15.0, 20.0)]
    assert [s.text for s in found][1:] == [f"at{10 * RATE + 1}", f"at{15 * RATE + 1}"]


class WordsUpTo:
    """Decodes the first ``reach`` seconds of each chunk as one word a second, each word named by
    the sample it starts on (so its time in the window can be checked against its name)."""

    def __init__(self, reach: float) -> None:
        self.reach = reach
        self.batches: list[list[float]] = []

    def __call__(self, options: TranscribeOptions, chunks: list[Audio]) -> list[list[Segment]]:
        self.batches.append([len(c) / RATE for c in chunks])
        out = []
        for chunk in chunks:
            n = int(min(self.reach, len(chunk) / RATE))
            words = [Word(k, k + 1.0, f"at{int(chunk[k * RATE])}") for k in range(n)]
            text = " ".join(w.text for w in words)
            out.append([Segment(0.0, float(n), text, words=words, avg_logprob=-0.2)])
        return out


def test_rests_of_several_chunks_are_decoded_together_with_the_part_filled_chunk() -> None:
    decode = WordsUpTo(reach=27.0)
    decoder = CrossFileDecoder(decode, english, batch_size=4)
    found = list(decoder.transcribe(ramp(70.0), TranscribeOptions(vad=False))[0])
    # 30 + 30 + 10 s: the two full chunks first; their 3 s rests and the 10 s chunk in one more
    # decode (before: one decode each, four in all, each a full 30 s of encoder)
    assert decode.batches == [[30.0, 30.0], [16.0]]
    words = [w for s in found for w in s.words]
    assert [w.start for w in words] == [float(k) for k in range(70)]
    assert all(w.text == f"at{round(w.start * RATE) + 1}" for w in words)
    assert [s.start for s in found] == sorted(s.start for s in found)


def test_the_rest_of_joined_rests_is_cut_back_into_its_pieces() -> None:
    """long_recording.py's hour: two chunks' rests (at 30 s and at 193 s of a window) joined in
    one piece; Whisper ended that piece early, and the rest of it, still holding both, came back
    as one segment, "Hello, the council meets ... church" from 30.7 to 198.8 s. Split at the
    pause only later, its second half was written before the 160 s between them."""

    class Rounds(WordsUpTo):
        def __init__(self, reaches: list[float]) -> None:
            super().__init__(0.0)
            self.reaches = reaches

        def __call__(self, options: TranscribeOptions, chunks: list[Audio]) -> list[list[Segment]]:
            self.reach = self.reaches[min(len(self.batches), len(self.reaches) - 1)]
            return super().__call__(options, chunks)

    # 30 + 30 + 10 s: the full chunks decode 25 s each; their 5 s rests and the 10 s chunk are
    # joined (25-30, 55-70 s); that piece decodes 3 s; its rest (28-30, 55-70 s) decodes whole
    decode = Rounds([25.0, 3.0, 30.0])
    decoder = CrossFileDecoder(decode, english, batch_size=4)
    found = list(decoder.transcribe(ramp(70.0), TranscribeOptions(vad=False))[0])
    assert decode.batches == [[30.0, 30.0], [20.0], [17.0]]
    words = [w for s in found for w in s.words]
    assert [w.start for w in words] == [float(k) for k in range(70)]
    assert all(w.text == f"at{round(w.start * RATE) + 1}" for w in words)
    assert [s.start for s in found] == sorted(s.start for s in found)
    assert not any(s.start < 30.0 < s.end and s.end > 55.0 for s in found)


def test_a_part_filled_chunk_without_rests_is_decoded_on_its_own() -> None:
    decode = WordsUpTo(reach=30.0)
    decoder = CrossFileDecoder(decode, english, batch_size=4)
    found = list(decoder.transcribe(ramp(40.0), TranscribeOptions(vad=False))[0])
    assert decode.batches == [[30.0], [10.0]]
    assert [w.start for s in found for w in s.words] == [float(k) for k in range(40)]


def test_windows_longer_than_a_chunk_keep_their_times() -> None:
    decoder = CrossFileDecoder(StopsEarly(reach=30.0), english, batch_size=8)
    segments, _ = decoder.transcribe(ramp(70.0), TranscribeOptions(vad=False))
    assert [(s.start, s.end) for s in segments] == [(0.0, 30.0), (30.0, 60.0), (60.0, 70.0)]


def test_language_is_given_detected_or_unknown_without_speech() -> None:
    calls: list[int] = []

    def korean(audio: Audio) -> LanguageInfo:
        calls.append(len(audio))
        return LanguageInfo("ko", 0.93)

    decode = StopsEarly(reach=30.0)
    decoder = CrossFileDecoder(decode, korean, batch_size=2)
    _, given = decoder.transcribe(ramp(3.0), TranscribeOptions(vad=False, language="de"))
    assert given == LanguageInfo("de", 1.0) and calls == []
    segments, detected = decoder.transcribe(ramp(3.0), TranscribeOptions(vad=False))
    list(segments)
    assert detected == LanguageInfo("ko", 0.93) and len(calls) == 1
    assert decode.batches[-1] == ("ko", 1)  # the batch is prompted with the file's language
    pytest.importorskip("faster_whisper", reason="Silero VAD ships with faster-whisper")
    segments, unknown = decoder.transcribe(np.zeros(RATE, dtype=np.float32), TranscribeOptions())
    assert unknown.language is None and list(segments) == []


class HearsLanguage(StopsEarly):
    """StopsEarly whose batches told no language hear each chunk as ``heard`` (Whisper's
    detection per slot, on the batch's encoder output)."""

    def __init__(self, reach: float, heard: LanguageInfo | None) -> None:
        super().__init__(reach)
        self.heard = heard

    def __call__(self, options: TranscribeOptions, chunks: list[Audio]) -> list[list[Segment]]:
        found = super().__call__(options, chunks)
        if options.language is not None:
            return found
        readings = [ChunkReading(segments) for segments in found]
        for reading in readings:
            reading.heard = self.heard
        return list(readings)


def test_a_window_of_one_chunk_is_decoded_in_the_language_its_batch_heard() -> None:
    calls: list[int] = []

    def korean(audio: Audio) -> LanguageInfo:
        calls.append(len(audio))
        return LanguageInfo("ko", 0.93)

    decode = HearsLanguage(reach=8.0, heard=LanguageInfo("ja", 0.88))
    decoder = CrossFileDecoder(decode, korean, batch_size=2, hears_languages=True)
    segments, language = decoder.transcribe(ramp(20.0), TranscribeOptions(vad=False))
    assert language == LanguageInfo("ja", 0.88) and calls == []  # no detection of its own
    found = list(segments)
    assert [(s.start, s.end) for s in found] == [(0.0, 8.0), (8.0, 16.0), (16.0, 20.0)]
    # the chunk's batch is told no language; what Whisper left of it is read in the one heard
    assert decode.batches == [(None, 1), ("ja", 1), ("ja", 1)]
    assert all(s.language is None for s in found)  # the file's language, not another

    # A window of more chunks: its language detected first, as without the option.
    segments, language = decoder.transcribe(ramp(50.0), TranscribeOptions(vad=False))
    list(segments)
    assert language == LanguageInfo("ko", 0.93) and len(calls) == 1
    assert {lang for lang, _ in decode.batches[3:]} == {"ko"}

    # A batch that heard nothing (an engine that cannot tell): detected after all.
    deaf = HearsLanguage(reach=30.0, heard=None)
    decoder = CrossFileDecoder(deaf, korean, batch_size=2, hears_languages=True)
    segments, language = decoder.transcribe(ramp(5.0), TranscribeOptions(vad=False))
    assert [s.text for s in segments] == ["at1"] and language == LanguageInfo("ko", 0.93)


class SkipsOpening:
    """Whisper's failure seen in batches on a long recording: on a chunk of ``long`` seconds or
    more it emits one sentence and stops, that sentence's words aligned to the chunk's end (so
    its opening speech looks undecoded and no rest follows); shorter pieces decode fully, at
    ``rate`` words a second. ``fails_again``: the pieces give nothing."""

    def __init__(self, long: float = 15.0, rate: float = 2.5, fails_again: bool = False) -> None:
        self.long, self.rate, self.fails_again = long, rate, fails_again
        self.batches: list[list[float]] = []

    def __call__(self, options: TranscribeOptions, chunks: list[Audio]) -> list[list[Segment]]:
        self.batches.append([len(c) / RATE for c in chunks])
        out = []
        for chunk in chunks:
            seconds = len(chunk) / RATE
            if self.fails_again and len(self.batches) > 1:
                out.append([])
            elif seconds >= self.long:
                words = "the quick brown fox jumps over the lazy dog"
                out.append([Segment(max(seconds - 1.4, 0.0), seconds, words, avg_logprob=-0.2)])
            else:
                words = " ".join(["w"] * int(self.rate * seconds))
                out.append([Segment(0.0, seconds, f"at{int(chunk[0])} {words}", avg_logprob=-0.2)])
        return out


def test_a_chunk_whose_opening_was_skipped_is_decoded_again_in_two() -> None:
    decode = SkipsOpening()
    decoder = CrossFileDecoder(decode, english, batch_size=4)
    found = list(decoder.transcribe(ramp(20.0), TranscribeOptions(vad=False))[0])
    assert decode.batches[0] == [20.0] and len(decode.batches) == 2
    head, tail = decode.batches[1]
    assert head + tail == pytest.approx(20.0) and min(head, tail) >= 3.0
    # the two pieces, in window time, one after the other, each named by its first sample
    assert [(s.start, s.end) for s in found] == [(0.0, head), (head, 20.0)]
    assert found[0].text.startswith("at1 ")
    assert found[1].text.startswith(f"at{round(head * RATE) + 1} ")
    assert sum(len(s.text.split()) for s in found) > 40


def test_a_piece_that_skips_its_opening_too_is_cut_in_two_in_turn() -> None:
    # seen on a podcast: a 15 s half of such a chunk was read from its fourth sentence on, its
    # first three sentences lost, as in the whole chunk's decode
    decode = SkipsOpening(long=8.0)
    decoder = CrossFileDecoder(decode, english, batch_size=4)
    found = list(decoder.transcribe(ramp(20.0), TranscribeOptions(vad=False))[0])
    assert decode.batches[0] == [20.0]
    halves = decode.batches[1]
    assert len(halves) == 2 and max(halves) >= 8.0  # a half skips its opening again
    # ... and is cut in two, and so on until every piece is short enough to be read whole
    assert len(decode.batches) > 2 and max(decode.batches[-1]) < 8.0
    # every piece read from its start, in window time one after the other
    assert found[0].start == 0.0 and found[-1].end == pytest.approx(20.0)
    assert all(a.end == pytest.approx(b.start) for a, b in pairwise(found))
    assert not any("fox" in s.text for s in found)


class SkipsMidway(WordsUpTo):
    """Whisper's failure seen on a podcast without timestamp tokens: on a chunk of ``long``
    seconds or more it reads a sentence, skips the speech after it and reads on, the next
    word's alignment stretched over the skipped speech; nothing is left undecoded at the end.
    Shorter chunks are read whole, as ``WordsUpTo`` reads them."""

    def __init__(self, long: float = 10.0) -> None:
        super().__init__(reach=60.0)
        self.long = long

    def __call__(self, options: TranscribeOptions, chunks: list[Audio]) -> list[list[Segment]]:
        out = super().__call__(options, chunks)
        for k, chunk in enumerate(chunks):
            seconds = len(chunk) / RATE
            if seconds >= self.long:
                words = [Word(0.0, 1.0, f"at{int(chunk[0])}"), Word(1.0, 2.0, "one.")]
                words += [Word(2.0, 6.0, "two"), Word(6.0, seconds, "three.")]
                text = " ".join(w.text for w in words)
                out[k] = [Segment(0.0, seconds, text, words=words, avg_logprob=-0.2)]
        return out


def test_speech_under_a_stretched_word_is_decoded_again() -> None:
    decode = SkipsMidway()
    decoder = CrossFileDecoder(decode, english, batch_size=4)
    found = list(decoder.transcribe(ramp(10.0), TranscribeOptions(vad=False))[0])
    # the sentence read before the stretched word stays; what follows it is read again, once
    assert decode.batches == [[10.0], [8.0]]
    words = [w.text for s in found for w in s.words]
    assert words[:2] == ["at1", "one."] and words[2] == f"at{2 * RATE + 1}"
    assert "two" not in words and len(words) == 2 + 8


def test_a_rest_whose_opening_was_skipped_is_decoded_again_in_two() -> None:
    class StopsThenSkips(SkipsOpening):
        """A chunk of 15 s or more read for its first 8 s (Whisper ends early); a rest of 10
        to 15 s read with its opening skipped; shorter pieces read whole."""

        def __call__(self, options: TranscribeOptions, chunks: list[Audio]) -> list[list[Segment]]:
            out = super().__call__(options, chunks)
            for k, chunk in enumerate(chunks):
                if len(chunk) / RATE >= 15.0:
                    out[k] = [Segment(0.0, 8.0, f"at{int(chunk[0])} read", avg_logprob=-0.2)]
            return out

    decode = StopsThenSkips(long=10.0)
    decoder = CrossFileDecoder(decode, english, batch_size=4)
    found = list(decoder.transcribe(ramp(20.0), TranscribeOptions(vad=False))[0])
    assert decode.batches[:2] == [[20.0], [12.0]]
    assert len(decode.batches) == 3 and sum(decode.batches[2]) == pytest.approx(12.0)
    assert found[0].text == "at1 read" and found[1].text.startswith(f"at{8 * RATE + 1} ")
    assert found[-1].end == pytest.approx(20.0) and not any("fox" in s.text for s in found)


def test_the_first_decode_stays_when_the_pieces_are_no_better() -> None:
    decode = SkipsOpening(fails_again=True)
    decoder = CrossFileDecoder(decode, english, batch_size=4)
    found = list(decoder.transcribe(ramp(20.0), TranscribeOptions(vad=False))[0])
    assert len(decode.batches) == 2  # tried once in two pieces, not again
    assert [(s.start, s.end, s.text) for s in found] == [
        (18.6, 20.0, "the quick brown fox jumps over the lazy dog")
    ]


def test_a_chunk_decoded_from_its_start_is_decoded_once() -> None:
    decode = SkipsOpening(long=60.0)
    decoder = CrossFileDecoder(decode, english, batch_size=4)
    found = list(decoder.transcribe(ramp(20.0), TranscribeOptions(vad=False))[0])
    assert decode.batches == [[20.0]] and [(s.start, s.end) for s in found] == [(0.0, 20.0)]


def test_a_segment_starting_with_the_one_before_is_made_one_with_it() -> None:
    # seen on the 60-minute recording: "though." placed on the seam of two joined pieces, at
    # the start of the next sentence, gave two cues starting together (three lines on screen)
    late = Segment(4.0, 6.0, "But I'm here.", [Word(4.0, 4.3, "But"), Word(4.3, 6.0, "here.")])
    seam = Segment(4.0, 4.0, "though.", [Word(4.0, 4.0, "though.")])
    early = Segment(1.0, 3.0, "We asked.", [Word(1.0, 3.0, "We asked.")])
    first, second = in_time_order([seam, late, early])
    assert first is early
    assert (second.start, second.end, second.text) == (4.0, 6.0, "though. But I'm here.")
    assert [w.text for w in second.words] == ["though.", "But", "here."]


def test_windows_cut_ahead_on_other_threads_give_the_same_segments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a GPU, windows are cut into speech chunks on cutter threads (``cut_ahead``) while the
    file's thread runs batches: ``transcribe`` returns at once, the segments are the same."""
    import threading
    import time

    from woasr_cli.providers import faster_whisper_batch as fwb

    real = fwb.cut_speech
    cut_on: list[str] = []

    def slow_cut(audio: Audio, vad: bool) -> fwb.SpeechCut:
        cut_on.append(threading.current_thread().name)
        time.sleep(0.2)
        return real(audio, vad)

    monkeypatch.setattr(fwb, "cut_speech", slow_cut)
    options = TranscribeOptions(vad=False, language="en")
    windows = [ramp(20.0) + 1e6 * k for k in range(3)]
    results = []
    for ahead in (0, 2):
        decoder = CrossFileDecoder(StopsEarly(reach=8.0), english, batch_size=4, cut_ahead=ahead)
        cut_on.clear()
        started = time.monotonic()
        pending = [decoder.transcribe(w, options) for w in windows]
        handed = time.monotonic() - started
        results.append([[(s.start, s.end, s.text) for s in seg] for seg, _ in pending])
        assert all(lang.language == "en" for _, lang in pending)
        if ahead:
            assert handed < 0.2 and all(n.startswith("woasr-vad") for n in cut_on)
        else:
            assert handed >= 0.6 and cut_on == [threading.current_thread().name] * 3
    assert results[0] == results[1] and len(results[0][2]) == 3


@pytest.mark.parametrize("cut_ahead", [0, 1])
def test_a_caller_going_ahead_has_its_chunks_queued_ahead_on_any_thread(
    cut_ahead: int, submitted_ahead: list[bool]
) -> None:
    """Chunks of a window transcribed within ``ahead_of_others`` (a server's request a client
    waits on) go ahead, whether the caller's thread or a cutter thread (GPU) queues them."""
    from woasr_cli.providers.batcher import ahead_of_others

    decoder = CrossFileDecoder(StopsEarly(reach=30.0), english, batch_size=4, cut_ahead=cut_ahead)
    options = TranscribeOptions(vad=False, language="en")
    with ahead_of_others():
        segments, _ = decoder.transcribe(ramp(20.0), options)
        assert [s.text for s in segments] == ["at1"]
    assert submitted_ahead == [True]
    submitted_ahead.clear()
    assert [s.text for s in decoder.transcribe(ramp(20.0), options)[0]] == ["at1"]
    assert submitted_ahead == [False]


def test_a_window_cut_ahead_and_closed_unread_is_taken_off_the_queue() -> None:
    decode = StopsEarly(reach=30.0)
    decoder = CrossFileDecoder(decode, english, batch_size=4, cut_ahead=2)
    options = TranscribeOptions(vad=False, language="en")
    dropped = [decoder.transcribe(ramp(20.0) + 1e6 * k, options)[0] for k in range(3)]
    for segments in dropped:
        segments.close()  # type: ignore[attr-defined]
    kept, _ = decoder.transcribe(ramp(20.0) + 5e6, options)
    assert [s.text for s in kept] == [f"at{int(5e6) + 1}"]
    assert decode.batches == [("en", 1)]  # nothing of the closed windows was decoded


def test_a_windows_chunks_start_decoding_before_its_segments_are_read() -> None:
    """One long file: while its thread cuts the next window, the queued window decodes (a
    helper thread), so the cores are not left to VAD alone at the start of a file."""
    import threading

    decoded = threading.Event()

    class Signals(StopsEarly):
        def __call__(self, options: TranscribeOptions, chunks: list[Audio]) -> list[list[Segment]]:
            decoded.set()
            return super().__call__(options, chunks)

    decode = Signals(reach=30.0)
    decoder = CrossFileDecoder(decode, english, batch_size=4, parallel=2)
    with decoder.batcher.client():
        segments, _ = decoder.transcribe(ramp(90.0), TranscribeOptions(vad=False))
        assert decoded.wait(timeout=5)  # nothing has read the segments yet
        found = list(segments)
    assert [s.text for s in found] == ["at1", f"at{30 * RATE + 1}", f"at{60 * RATE + 1}"]


def test_a_decoded_chunks_audio_goes_before_its_window_is_read() -> None:
    """A long file's windows are read in order, long after their chunks were decoded (several
    in flight): what waits to be read is the decode and the samples of a rest, not every
    decoded chunk's audio (issue 17, peak memory on long files)."""
    import gc
    import time
    import weakref

    seen: list[weakref.ref[Audio]] = []

    class Remembers(StopsEarly):
        def __call__(self, options: TranscribeOptions, chunks: list[Audio]) -> list[list[Segment]]:
            seen.extend(weakref.ref(c) for c in chunks)
            return super().__call__(options, chunks)

    decode = Remembers(reach=20.0)  # every 30 s chunk leaves a 10 s rest
    decoder = CrossFileDecoder(decode, english, batch_size=4, parallel=2)
    with decoder.batcher.client():
        segments, _ = decoder.transcribe(ramp(60.0), TranscribeOptions(vad=False))
        deadline = time.monotonic() + 5
        while decoder.batcher.batches_run < 1:  # the window's one batch (2 chunks), unread
            assert time.monotonic() < deadline
            time.sleep(0.01)
        gc.collect()
        assert len(seen) == 2 and all(ref() is None for ref in seen)
        found = list(segments)
    starts = [1, 20 * RATE + 1, 30 * RATE + 1]  # the two 10 s rests joined in one piece
    assert sorted(int(s.text[2:]) for s in found) == starts

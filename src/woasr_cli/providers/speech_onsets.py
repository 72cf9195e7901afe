"""The first word after a pause starts no earlier than the speech does.

Batched decoding hears each stretch of speech with the VAD's padding around it (400 ms of the
silence before it, speech_chunks.VAD_PAD_MS), and Whisper's cross-attention often starts the
first word where that padding starts: on benchmarks/long_recording.py's hour, words after a
pause started within 0.25 s of their known time 70 % of the time, against 90 % for the others,
most of the misses ~0.4 s early - a subtitle up before anyone speaks. Where the VAD set a span
apart from the speech before it, the speech began ``pad`` after the span's start; the first
word of it is moved to start ``ONSET_MARGIN_S`` before that (Silero's onsets come a little
late on soft first sounds), when the word runs past that point and nothing was said between
the span's start and it (:func:`start_at_onsets`). A word timed wholly inside the pause, right
after the word before it, is moved past the pause the same way (:func:`out_of_pauses`).
Sequential decoding (sequential_speech.py) has the same faults and gets the same rules, on its
segments as they are decoded (:func:`timed_as_decoded`), and one more: it hears more of the
silence after speech than batched decoding does, and a word's end is kept out of it
(:func:`end_in_speech`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import replace

from woasr_cli.media import SAMPLE_RATE
from woasr_cli.punctuation import ends_sentence
from woasr_cli.transcript import Segment, Word

ONSET_MARGIN_S = 0.1  # measured: 0.0 / 0.05 / 0.1 / 0.15 -> 87.8 / 88.0 / 88.9 / 88.9 % (87.0)
# A word moved out of a pause needs this long before the next word: pyannote_sample's quiet
# "Oh, hello" lay in what the VAD took for silence, and moved, it had 0.1 s before "I didn't".
_ROOM_S = 0.15


def speech_gaps(
    spans: Iterable[tuple[int, int]], pad_s: float, opening: float | None = None
) -> list[tuple[float, float]]:
    """The silences before speech in the window, as the VAD found them (``spans``: its speech,
    in samples, padded by ``pad_s``): (where the speech before stopped, where speech starts
    again), in seconds into the window. Speech starts at each span not joined to the one before
    (a silence under twice the padding is split between the two spans, leaving no gap) nor at
    the window's start, plus ``pad_s``, and it stopped at the end of the span before less
    ``pad_s``; and at ``opening``, where the VAD heard the speech of a span at the window's
    start begin (a file's first words: jfk.wav's "And" at 0.3 s started at 0.0), after silence
    from 0."""
    spans = sorted(spans)
    gaps: list[tuple[float, float]] = [(0.0, opening)] if opening else []
    before = None
    for start, end in spans:
        if start > 0 and (before is None or start > before):
            stopped = 0.0 if before is None else before / SAMPLE_RATE - pad_s
            gaps.append((stopped, start / SAMPLE_RATE + pad_s))
        before = end if before is None else max(before, end)
    return gaps


def out_of_pauses(
    segments: list[Segment], gaps: list[tuple[float, float]], lag_s: float = 0.0
) -> list[Segment]:
    """``segments`` (in time order, window time) with the words Whisper timed inside a silence
    that starts where the words before it end moved to the speech after the silence.

    Cross-attention timing often sets the word after a pause right after the word before it:
    jfk.wav's "ask not ... what your country" had "what" at 4.28-4.81 s, in the 1.1 s silence
    after "not" (speech again at 5.4 s), and the cue cut after it read "ask not what" while
    the speaker paused. A word is moved when it starts no earlier than 0.1 s before the
    silence does, its middle lies in the silence, the words after it start past the silence
    and leave it ``_ROOM_S`` there, and it has a length and no full stop (a sentence's last
    word read late, "on the left." at the start of a pause, belongs before it). It then
    starts ``ONSET_MARGIN_S`` before the speech, keeps its length where the next word leaves
    room, and ends where that one starts where not. ``lag_s`` as in :func:`start_at_onsets`."""
    if not gaps:
        return segments
    flat = [(i, k) for i, seg in enumerate(segments) for k in range(len(seg.words))]
    timed = [segments[i].words[k] for i, k in flat]
    moved: dict[tuple[int, int], Word] = {}
    for stopped, onset in gaps:
        target = onset - ONSET_MARGIN_S
        inside = [
            n
            for n, w in enumerate(timed)
            if w.start - lag_s >= stopped - 0.1 and stopped <= _middle(w) - lag_s < target
        ]
        if not inside or any(n != inside[0] + j for j, n in enumerate(inside)):
            continue
        if any(ends_sentence(timed[n].text) or timed[n].end <= timed[n].start for n in inside):
            continue  # the end of what was said before, timed late ("left." read at a pause)
        after = inside[-1] + 1
        if after < len(timed) and timed[after].start - lag_s < target:
            continue  # speech goes on before the silence ends: the words may be right
        limit = timed[after].start if after < len(timed) else float("inf")
        start = target + lag_s
        room = limit - start
        length = sum(timed[n].end - timed[n].start for n in inside)
        if room < _ROOM_S * len(inside):
            continue  # no room for it there: the speech began before the VAD heard it
        scale = min(1.0, room / length) if length > 0 else 1.0
        for n in inside:
            size = (timed[n].end - timed[n].start) * scale
            moved[flat[n]] = replace(timed[n], start=start, end=start + size)
            start += size
    if not moved:
        return segments
    out: list[Segment] = []
    for i, segment in enumerate(segments):
        words = [moved.get((i, k), w) for k, w in enumerate(segment.words)]
        if words == segment.words:
            out.append(segment)
            continue
        start = (
            min(segment.start, words[0].start) if words[0] is segment.words[0] else words[0].start
        )
        end = max(segment.end, words[-1].end)
        out.append(replace(segment, start=start, end=end, words=words))
    return out


def _middle(word: Word) -> float:
    return (word.start + word.end) / 2


def start_at_onsets(
    segments: list[Segment],
    onsets: list[float],
    pad_s: float,
    lag_s: float = 0.0,
    spoken_until: float = float("-inf"),
) -> list[Segment]:
    """``segments`` (in time order, window time) with the first word after each onset moved to
    start ``ONSET_MARGIN_S`` before it. ``lag_s``: how late this model's word times are (they
    are moved earlier by that later on: providers/word_lag.py). ``spoken_until``: where the
    words before ``segments`` ended, as the speech is timed."""
    if not onsets:
        return segments
    out: list[Segment] = []
    pending = sorted(onsets)
    at = 0
    last_end = spoken_until  # where the word before ended, as the speech is timed
    for segment in segments:
        words = list(segment.words)
        for k, word in enumerate(words):
            start, end = word.start - lag_s, word.end - lag_s
            while at < len(pending) and pending[at] - pad_s <= last_end:
                at += 1  # speech went on past this onset's padding: not a first word
            if at < len(pending):
                onset = pending[at]
                target = onset - ONSET_MARGIN_S
                if onset - pad_s - 0.1 <= start < target < end:
                    words[k] = replace(word, start=target + lag_s)
                    at += 1
            last_end = max(last_end, end)
        if words == segment.words:
            out.append(segment)
        else:
            moved_first = words[0] is not segment.words[0]
            start = words[0].start if moved_first else segment.start
            out.append(replace(segment, start=start, words=words))
    return out


def timed_as_decoded(
    segments: Iterable[Segment], gaps: list[tuple[float, float]], pad_s: float, lag_s: float = 0.0
) -> Iterator[Segment]:
    """:func:`end_in_speech`, :func:`out_of_pauses`, then :func:`start_at_onsets`, on segments
    as a decoder yields them (in time order, as a file's sequential decoding does): a segment is
    held back only while a word of it may still move, until a word starts past the silence that
    may move it, so segments still come as they are decoded."""
    ahead = sorted(gaps, key=lambda gap: gap[1])
    stops = [stopped for stopped, _ in ahead if stopped > 0]
    held: list[Segment] = []
    spoken_until = float("-inf")
    for segment in segments:
        held.append(end_in_speech(segment, stops, pad_s, lag_s))
        latest = max((w.start for w in segment.words), default=segment.start) - lag_s
        decided = 0  # silences with a word started past them: every rule there can be applied
        while decided < len(ahead) and ahead[decided][1] - ONSET_MARGIN_S <= latest:
            decided += 1
        if decided:
            gone, ahead = ahead[:decided], ahead[decided:]
            held = out_of_pauses(held, gone, lag_s)
            onsets = [onset for _, onset in gone]
            held = start_at_onsets(held, onsets, pad_s, lag_s, spoken_until)
        # no rule moves a word that starts before the next silence's speech stopped (less 0.1 s)
        reach = ahead[0][0] - 0.1 + lag_s if ahead else float("inf")
        ready = 0
        while ready < len(held) and _before(held[ready], reach):
            ready += 1
        for done in held[:ready]:
            spoken_until = max([spoken_until, *(w.end - lag_s for w in done.words)])
            yield done
        held = held[ready:]
    held = out_of_pauses(held, ahead, lag_s)
    yield from start_at_onsets(held, [onset for _, onset in ahead], pad_s, lag_s, spoken_until)


def end_in_speech(
    segment: Segment, stops: list[float], pad_s: float, lag_s: float = 0.0
) -> Segment:
    """``segment`` with each word that runs on more than ``pad_s`` past the next point where the
    speech stopped (``stops``, ascending, as the VAD heard it) ended there.

    Batched decoding hears at most ``pad_s`` of the silence after speech, so no word can end
    later than that; sequential decoding hears 0.8 s of it, and all of a silence under 2 s, and
    Whisper's last word before a pause often runs on into it: on the 60-minute recording
    'children."' ran through a 1.6 s pause to the next word and "now" 0.7 s into one, and the
    subtitle cue ran across both."""
    out: list[Word] = []
    for word in segment.words:
        k = bisect_right(stops, word.start - lag_s)  # the first stop after the word starts
        if k < len(stops) and word.end - lag_s > stops[k] + pad_s:
            word = replace(word, end=max(word.start, stops[k] + pad_s + lag_s))
        out.append(word)
    if out == segment.words:
        return segment
    return replace(segment, words=out, end=max(w.end for w in out))


def _before(segment: Segment, reach: float) -> bool:
    return segment.start < reach and all(w.start < reach for w in segment.words)

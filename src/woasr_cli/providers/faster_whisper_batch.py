"""faster-whisper's batched decoding, fed with speech chunks from several files at once.

Each calling thread (one per file in flight) cuts its window into speech chunks and submits them
to a :class:`~woasr_cli.providers.batcher.ChunkBatcher`; a batch goes through faster-whisper's
public ``BatchedInferencePipeline.transcribe`` and each segment back to the chunk it came from.
Word times always come from Whisper's cross-attention (faster-whisper's ``word_timestamps``, one
more decoder pass over the batch, ~10 % of its CPU); Whisper's timestamp tokens are left out
(``timestamps=False``: a chunk's one segment is then cut into sentences at the words that end
one) except for tiny models on the CPU, which lose words without them (faster_whisper_engine's
``timestamp_tokens``, measured per model). Whisper ends some chunks early (at a sentence the chunk's
end cuts: what makes ``whisper-ctranslate2 --batched`` lose words); the rests of such chunks,
after their last words, are joined end to end with the window's part-filled chunks and decoded
after the window's other chunks, ahead of other queued chunks: a few 1-5 s rests share one 30 s
encoder pass. A batch is decoded at the first temperature only (faster-whisper's batched
pipeline has no fallback); a chunk whose text then loops (Whisper's compression-ratio check) is
decoded again alone at the other temperatures (whisper_fallback).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np

from woasr_cli.media import SAMPLE_RATE
from woasr_cli.media.audio import Audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import LanguageInfo
from woasr_cli.providers.batch_sampling import Sampling
from woasr_cli.providers.batcher import ChunkBatcher, Ticket, ahead_of_others, going_ahead
from woasr_cli.providers.faster_whisper_options import transcribe_kwargs
from woasr_cli.providers.pauses import split_at_times, split_sentences
from woasr_cli.providers.registry import DEFAULT_BEAM_SIZE
from woasr_cli.providers.slot_language import (
    ChunkReading,
    WithSlotLanguages,
    heard_by_chunk,
    heard_reading,
)
from woasr_cli.providers.slot_packing import SLOT_S, Placement, assign, pack
from woasr_cli.providers.slot_words import SlotWordTimes
from woasr_cli.providers.speech_chunks import (
    VAD_PAD_MS,
    SpeechChunk,
    SpeechCut,
    cut_speech,
    joined,
)
from woasr_cli.providers.speech_onsets import out_of_pauses, speech_gaps, start_at_onsets
from woasr_cli.providers.whisper_fallback import (
    fallback_max_new_tokens,
    loops,
    without_loop,
)
from woasr_cli.providers.window_language import window_languages
from woasr_cli.transcript import Segment, Word

# faster_whisper Segment -> woasr Segment, None when it has nothing to read
Converter = Callable[[Any], Segment | None]
# Undecoded speech after a chunk's last segment shorter than this is Whisper's timing slack.
TAIL_MIN_S = 1.0
# A chunk whose first decoded word starts this late had its opening speech skipped.
HEAD_MAX_S = 2.5
# A word that Whisper's cross-attention stretched this long lies over speech the decode skipped.
STRETCHED_WORD_S = 2.0
# A window's chunks shorter than this (when it has more than one) are decoded last, joined with
# the rests of the others' decodes (``joined``).
HOLD_S = 25.0
# Seconds of a chunk's encoder input kept after its speech, where Whisper decodes
# without timestamp tokens on the CPU (``ChunkwiseEncoder.frames``): faster-whisper pads every
# chunk's features to 30 s, and on a folder of clips the encoder then ran mostly over padding
# (multilingual ``base``: one core encoding, the other waiting on it). 8-16 s measured against
# 30 s: mixed24 -17 to -22 % wall, WER 0.065 -> 0.066-0.067; 24 held-out and shared clips WER
# 0.061 -> 0.059; the 10-minute recording 0.073 -> 0.072, word starts the same. ``tiny.en``, which
# keeps the tokens, lost a point on mixed24 at 8 s (docs/performance.md, issue 17, session 42).
ENCODER_PAD_S = 10.0
# ... rounded up to this (``encoder_seconds``), and chunks batched only with chunks of the same
# length (``CrossFileDecoder(encoder_group=...)``). The input was the batch's longest chunk's,
# so a file's words and language followed the files it shared batches with (``base``: 10 of
# the 15 shared clips differed alone and in their folder, by up to 0.06 s a word). mixed24 on
# ``base``, CPU s (2 runs each, loaded): 100.5 / 93.9 before, 99.1 / 83.0 at 4 s, 106.1 / 87.2
# at 5 s; WER 0.0691 / 0.0705 before (two runs, two batchings), 0.0705 at 4 s, 0.0698 at 5 s.
# At 5 s korean_read_1 (3.5 s of speech) was encoded over 15 s, the one length from 12 to 30 s
# at which ``base`` read its first word "그는" as "끊은" (test_korean_with_multilingual_base).
ENCODER_STEP_S = 4.0


DecodeBatch = Callable[[TranscribeOptions, list[Audio]], list[list[Segment]]]
DetectLanguage = Callable[[Audio], LanguageInfo]
# The prompt's language where each slot is told its own (faster-whisper swaps the token per slot)
_ANY_LANGUAGE = "en"


@dataclass(frozen=True)
class _Part:
    """A chunk queued for decoding; ``again``: it holds speech Whisper left once (a stretched
    word does not cut its decode short: ``_before_stretch``)."""

    chunk: SpeechChunk
    again: bool = False


@dataclass(frozen=True)
class _Decoded:
    """A chunk's decode, settled on the thread that ran its batch, so that the chunk's audio
    goes with the batch: a long file's windows wait their turn to be read long after their
    chunks were decoded (three in flight), and held every decoded chunk's samples until then
    (docs/performance.md, issue 17, session 17)."""

    segments: list[Segment]  # in window time, cut at sentence ends
    words: int
    rest: SpeechChunk | None  # what Whisper left undecoded after its last words (a copy)
    skipped: SpeechChunk | None  # the chunk, kept only when its opening speech was skipped
    heard: LanguageInfo | None = None  # its language, where its batch was told none


_Tickets = list[Ticket[_Part, _Decoded]]
# A window's chunks once queued: (their tickets, the chunks held back to be joined, the
# window's silences before speech, as (speech stopped, speech started): speech_onsets.py).
_Queued = tuple[_Tickets, list[SpeechChunk], list[tuple[float, float]]]


class CrossFileDecoder:
    """Batched decoding shared by the threads of one process.

    ``decode`` turns a batch of chunks (one prompt: ``options``) into each chunk's segments, with
    times relative to the chunk; ``detect`` names the language of a file's first speech
    (where its batch does not: ``hears_languages``).
    """

    def __init__(
        self,
        decode: DecodeBatch,
        detect: DetectLanguage,
        batch_size: int,
        parallel: int = 1,
        cut_ahead: int = 0,
        word_lag_s: float = 0.0,
        hears_languages: bool = False,
        encoder_group: Callable[[float], float] | None = None,
    ) -> None:
        self._detect = detect
        # A window of one chunk told no language (most clips of a media folder) is decoded
        # in the language its batch slot is heard in, and that is the file's: ``decode`` told
        # no language gives each chunk's in a :class:`ChunkReading`. Its own detection was an
        # encoder run as costly as the clip's decode (docs/performance.md, issue 17, session 42).
        self._hears = hears_languages
        self.word_lag_s = word_lag_s  # how late the model's word times are (word_lag.py)
        self._decode = decode
        # ``encoder_group``: chunks are batched with those whose durations it maps alike only
        # (``encoder_seconds``, where ``decode`` fits the encoder's input to its chunks).
        group = encoder_group
        self.batcher: ChunkBatcher[_Part, _Decoded] = ChunkBatcher(
            lambda key, parts: self._decoded(cast(TranscribeOptions, key), parts),
            batch_size,
            parallel=parallel,
            group=None if group is None else (lambda part: group(part.chunk.duration)),
        )
        # ``cut_ahead`` threads cut windows into speech chunks (VAD) away from the thread that
        # runs the batches (on a GPU that thread is the file's own: VAD and decoding took turns).
        self._cutters = (
            ThreadPoolExecutor(cut_ahead, thread_name_prefix="woasr-vad") if cut_ahead else None
        )

    def transcribe(
        self, audio: Audio, options: TranscribeOptions
    ) -> tuple[Iterator[Segment], LanguageInfo]:
        if self._cutters is not None and options.language:
            # The language is known: cut and queue this window on a cutter thread and return.
            cut = self._cutters.submit(self._cut_and_queue, audio, options, going_ahead())
            return _Cancellable(self._when_cut(cut, options), lambda: self._drop(cut)), (
                LanguageInfo(options.language, 1.0)
            )
        speech = cut_speech(audio, options.vad is not False)
        chunks = speech.chunks
        if options.language:
            language = LanguageInfo(options.language, 1.0)
        elif len(chunks) == 1 and self._hears:
            return self._heard_in_batch(speech, options)
        elif chunks:
            # Detected on this file's own speech: a batch may mix files in several languages.
            language = self._detect(chunks[0].audio)
        else:
            language = LanguageInfo(None)
        if not chunks or language.language is None:
            return iter(()), language
        key = (
            options
            if options.language
            else options.with_changes(language=language.language, language_detected=True)
        )
        queued = self._queue(speech, key)
        segments = _Cancellable(
            self._segments(*queued, key), lambda: self.batcher.cancel(queued[0])
        )
        return segments, language

    def _heard_in_batch(
        self, speech: SpeechCut, options: TranscribeOptions
    ) -> tuple[Iterator[Segment], LanguageInfo]:
        """A window of one chunk, told no language: the chunk decoded in the language its
        batch slot is heard in (waited for here), which is the file's language, and what
        Whisper left of it decoded in that language."""
        queued = self._queue(speech, options.with_changes(language=None, language_detected=True))
        (done,) = self.batcher.gather(queued[0])
        language = done.heard or self._detect(speech.chunks[0].audio)
        key = options.with_changes(language=language.language, language_detected=True)
        return self._segments(*queued, key), language

    def _queue(self, cut: SpeechCut, key: TranscribeOptions) -> _Queued:
        """Submit a window's chunks: (their tickets, held back, speech onsets)."""
        chunks = cut.chunks
        # Part-filled chunks wait to be joined with the rest Whisper leaves of the others.
        held = [c for c in chunks if c.duration < HOLD_S] if len(chunks) > 1 else []
        now = [_Part(c) for c in chunks if not any(c is h for h in held)]
        vad = key.vad is not False
        spans = (span for chunk in chunks for span in chunk.spans)
        gaps = speech_gaps(spans, VAD_PAD_MS / 1000, cut.opening) if vad else []
        # Started at once when no thread is free to (a long file's thread goes on to cut its
        # next window: at the start of a file the cores were left to VAD alone).
        return self.batcher.submit(now, key, start=True), held, gaps

    def _decoded(self, key: TranscribeOptions, parts: list[_Part]) -> list[_Decoded]:
        found = self._decode(key, [p.chunk.audio for p in parts])
        return [
            _settle(p, f, key, f.heard if isinstance(f, ChunkReading) else None)
            for p, f in zip(parts, found, strict=True)
        ]

    def _cut_and_queue(self, audio: Audio, key: TranscribeOptions, ahead: bool) -> _Queued | None:
        # Counted as a file in progress while it cuts, so batches wait for its chunks; they go
        # ahead as the caller's would have.
        with ahead_of_others(ahead), self.batcher.client():
            cut = cut_speech(audio, key.vad is not False)
            return self._queue(cut, key) if cut.chunks else None

    def _when_cut(self, cut: Future[_Queued | None], key: TranscribeOptions) -> Iterator[Segment]:
        queued = cut.result()
        if queued is not None:
            yield from self._segments(*queued, key)

    def _drop(self, cut: Future[_Queued | None]) -> None:
        if not cut.cancel():  # already cutting or cut: take its chunks off the queue
            queued = cut.result()
            if queued is not None:
                self.batcher.cancel(queued[0])

    def _segments(
        self,
        tickets: _Tickets,
        held: list[SpeechChunk],
        gaps: list[tuple[float, float]],
        key: TranscribeOptions,
    ) -> Iterator[Segment]:
        """The window's segments in time order. Each chunk is decoded once; what Whisper left
        undecoded at chunk ends (it ends a chunk early at an unfinished sentence) is joined with
        the other ends and the part-filled chunks (``held``) into as few chunks as hold them,
        decoded after the others, and so on with what those leave: one encoder pass for several
        1-5 s rests instead of one each (docs/performance.md, issue 17, u17)."""
        found: list[Segment] = []
        rests: list[tuple[SpeechChunk, bool]] = [(c, False) for c in held]
        seams: set[float] = set()  # where joined pieces meet, in window time
        quiet: set[tuple[int, int]] = set()  # first spans of rests after a read found silent
        for ticket in tickets:
            rest = self._first(ticket, key, found)
            if rest is not None:
                rests.append((rest, True))
        while rests:
            rests.sort(key=lambda r: r[0].spans[0][0])
            pieces = joined([r for r, _ in rests])
            tails = {r.spans[0] for r, is_tail in rests if is_tail}
            again = [any(span in tails for span in piece.spans) for piece in pieces]
            parts = [_Part(p, a) for p, a in zip(pieces, again, strict=True)]
            pending = self.batcher.submit(parts, key, front=True)
            # A segment whose words lie in two pieces is cut between them (other chunks'
            # speech lies between the pieces). The rest of a joined piece holds the seams of the
            # pieces it was joined from: one rest alone can still span two of them.
            seams.update(r.spans[0][0] / SAMPLE_RATE for r, _ in rests[1:])
            starts = sorted(seams)
            rests = []
            for piece, ticket in zip(pieces, pending, strict=True):
                decoded: list[Segment] = []
                rest = self._first(ticket, key, decoded)
                for seg in decoded:
                    found.extend(split_at_times(seg, starts))
                if rest is not None and _goes_on(piece, rest, decoded, quiet):
                    rests.append((rest, True))
        ordered = out_of_pauses(in_time_order(found), gaps, self.word_lag_s)
        onsets = [onset for _, onset in gaps]
        yield from start_at_onsets(ordered, onsets, VAD_PAD_MS / 1000, self.word_lag_s)

    def _first(
        self, pending: Ticket[_Part, _Decoded], key: TranscribeOptions, out: list[Segment]
    ) -> SpeechChunk | None:
        """A chunk's decode into ``out`` (window time); the rest Whisper left, if any."""
        (done,) = self.batcher.gather([pending])
        redone = self._redone(done, key)
        if redone is not None:
            out.extend(redone)
            return None
        out.extend(done.segments)
        return done.rest

    def _again(
        self,
        pending: Ticket[_Part, _Decoded],
        piece: SpeechChunk,
        key: TranscribeOptions,
        quiet: set[tuple[int, int]],
    ) -> Iterator[Segment]:
        """The segments of a piece of a chunk decoded before, and of what it leaves."""
        (done,) = self.batcher.gather([pending])
        redone = self._redone(done, key)
        if redone is not None:
            yield from redone
            return
        yield from done.segments
        rest = done.rest
        if rest is not None and _goes_on(piece, rest, done.segments, quiet):
            # Whisper ended this piece early (it does at pauses); decode the rest, as its
            # sequential mode seeks on from the last timestamp.
            (tail,) = self.batcher.submit([_Part(rest, again=True)], key, front=True)
            yield from self._again(tail, rest, key, quiet)

    def _redone(self, done: _Decoded, key: TranscribeOptions) -> list[Segment] | None:
        """A decode that skipped its opening speech (a chunk's, a rest's or a piece's), decoded
        again in two pieces: their segments, where they read at least as many words (Whisper
        may instead have read the opening and aligned its words to the chunk's end)."""
        if done.skipped is None:
            return None
        redone = self._in_halves(done.skipped, key)
        if redone is None or _words(redone) < done.words:
            return None
        return redone

    def _in_halves(self, chunk: SpeechChunk, key: TranscribeOptions) -> list[Segment] | None:
        """A chunk whose decode skipped its opening speech, decoded again in two pieces; a
        piece that skips its own opening is cut in two in turn (a 15 s half of a podcast's
        chunk was read from its fourth sentence on, as the whole chunk had been:
        docs/performance.md, issue 17, session 34), until a piece is too short to cut."""
        halves = chunk.halves()
        if halves is None:
            return None
        tickets = self.batcher.submit([_Part(h, again=True) for h in halves], key, front=True)
        quiet: set[tuple[int, int]] = set()
        return [
            seg
            for half, ticket in zip(halves, tickets, strict=True)
            for seg in self._again(ticket, half, key, quiet)
        ]


def _goes_on(
    piece: SpeechChunk,
    rest: SpeechChunk,
    kept: list[Segment],
    quiet: set[tuple[int, int]],
) -> bool:
    """Whether to decode ``rest``, the speech Whisper left after its last segment of ``piece``
    (``kept``: the segments kept of that read): only while decoding gets on (the rest at least
    ``TAIL_MIN_S`` shorter than the piece), and, after a read whose segments were all silence by
    Whisper's no-speech rule, once. Such a read is not the end of the speech: a piece of German
    (a synthetic voice, read badly and so "silent") followed by 15 s of Italian lost the Italian
    when it was (docs/performance.md, issue 17, session 33). Two silent reads in a row end it, so
    noise the VAD let through is not read second by second. ``quiet`` holds the first spans of
    rests that follow a silent read."""
    if rest.duration > piece.duration - TAIL_MIN_S:
        return False
    if kept:
        return True
    if any(span in quiet for span in piece.spans):
        return False
    quiet.add(rest.spans[0])
    return True


def _settle(
    part: _Part,
    found: list[Segment],
    options: TranscribeOptions,
    heard: LanguageInfo | None = None,
) -> _Decoded:
    """What the window needs of a chunk's decode, and no more of its audio than that."""
    # Segments timed at or past the chunk's end were read from the silence it is padded with
    # to 30 s (a decode at temperature 1.0 wrote 20 segments of "," over it).
    found = [s for s in found if s.start < part.chunk.duration]
    if not part.again:
        found = _before_stretch(found)
    # The rest is what follows the last segment Whisper read, kept or not: a piece's opening
    # read as silence (no-speech rule) may be followed by speech it never got to.
    rest = _undecoded_tail(part.chunk, found)  # before _to_window moves the times
    # Whisper's no-speech rule: on the rest of a chunk (speech Whisper left once), and with
    # --no-vad on a chunk's first read too, where nothing else has judged the audio speech (it
    # was held to rests only, so --no-vad read room tone as "Woohoo!" that sequential decoding
    # drops). With the VAD a chunk's first read is kept, as faster-whisper's batched pipeline
    # keeps it: quiet, accented or foreign speech the VAD heard may read "silent" to Whisper.
    if part.again or options.vad is False:
        found = [s for s in found if not _silence(s, options)]
    skipped = part.chunk if _late_start(found) else None
    if rest is not None:
        rest = SpeechChunk(rest.audio.copy(), rest.spans)  # not a view of the whole chunk
    words = _words(found)
    segments = [s for seg in found for s in split_sentences(_to_window(seg, part.chunk))]
    return _Decoded(segments, words, rest, skipped, heard)


class _Cancellable(Iterator[Segment]):
    """A window's segments; ``close()`` before reading them takes its chunks off the queue."""

    def __init__(self, inner: Iterator[Segment], cancel: Callable[[], None]) -> None:
        self._inner = inner
        self._cancel = cancel

    def __next__(self) -> Segment:
        return next(self._inner)

    def close(self) -> None:
        self._cancel()
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


def pipeline_decoder(
    model: Any,
    convert: Converter,
    share_slots: bool = True,
    words: bool = True,
    timestamps: bool = True,
    feature_threads: int = 0,
) -> DecodeBatch:
    """Batches through faster-whisper's ``BatchedInferencePipeline``: the chunks lie in 30 s
    slots of one array, several short ones to a slot (slot_packing), decoded as
    ``clip_timestamps``; a segment's slot and time name its chunk. ``words``: word times
    always (one more decoder pass over the batch, ~10 % of its time), which segments are split
    by at long pauses and subtitle cues laid out by. ``timestamps``: Whisper's timestamp
    tokens (needed when chunks share a slot). ``feature_threads``: threads that compute a
    batch's log-mel features side by side before it is decoded (:class:`PreparedFeatures`)."""
    from faster_whisper import BatchedInferencePipeline

    # The pipeline object keeps state between the chunks of one call (word-time bookkeeping), so
    # batches running side by side each get their own; the model under them is shared.
    local = threading.local()
    one_encode = threading.Lock()  # one chunk in the encoder at a time, across the batches
    frames_per_slot = SLOT_S * model.frames_per_second
    multilingual = bool(model.model.is_multilingual)
    features = (
        PreparedFeatures(model.feature_extractor, feature_threads) if feature_threads else None
    )

    def run(
        options: TranscribeOptions, chunks: list[Audio], placements: list[Placement]
    ) -> tuple[list[tuple[int, Segment]], list[LanguageInfo]]:
        """Each segment with its slot; each slot's language heard, where told none."""
        slots = 1 + max(p.slot for p in placements)
        width = int(SLOT_S * SAMPLE_RATE)
        joined = np.zeros(slots * width, dtype=np.float32)
        ends = [0.0] * slots
        for p in placements:
            at = p.slot * width + round(p.offset * SAMPLE_RATE)
            joined[at : at + len(chunks[p.chunk])] = chunks[p.chunk]
            ends[p.slot] = max(ends[p.slot], p.offset + len(chunks[p.chunk]) / SAMPLE_RATE)
        clips = [{"start": k * SLOT_S, "end": k * SLOT_S + end} for k, end in enumerate(ends)]
        if not hasattr(local, "pipeline"):
            cpu = model.model.device == "cpu"
            local.encoder = ChunkwiseEncoder(model, one_encode) if cpu else None
            # (each slot's words timed from its own start, not from the slot before: slot_words)
            inner = WithSlotLanguages(SlotWordTimes(local.encoder or model))
            local.languages = inner.languages
            local.sampling = inner.model = Sampling(inner.languages)
            local.pipeline = BatchedInferencePipeline(
                inner if features is None else WithFeatures(inner, features)
            )
        if local.encoder is not None and not timestamps:  # the speech plus ENCODER_PAD_S
            fitted = encoder_seconds(max(ends)) * model.frames_per_second
            local.encoder.frames = min(int(frames_per_slot), math.ceil(fitted))
        # A detected language: each slot in its own where that is clearly another (slot_language);
        # none: each slot in the one it is heard in (CrossFileDecoder, a window of one chunk)
        free = options.language is None and multilingual
        per_slot = (bool(options.language_detected) and multilingual) or free
        local.languages.keeping(options.language if per_slot else None)  # None when free
        local.sampling.best_of = options.best_of
        if features is not None:  # the chunks faster-whisper cuts from ``joined`` below
            features.prepare([joined[int(c["start"] * SAMPLE_RATE) : int(c["end"] * SAMPLE_RATE)]
                              for c in clips])  # fmt: skip
        try:
            raw, _ = local.pipeline.transcribe(
                joined,
                language=_ANY_LANGUAGE if free else options.language,
                task=options.task,
                beam_size=options.beam_size or DEFAULT_BEAM_SIZE,
                patience=options.patience,
                temperature=options.temperature[0],
                max_new_tokens=options.max_new_tokens,
                initial_prompt=options.initial_prompt,
                hotwords=options.hotwords,
                word_timestamps=words or options.word_timestamps,
                without_timestamps=not timestamps,
                vad_filter=False,
                clip_timestamps=clips,
                batch_size=slots,
                multilingual=per_slot,
            )
        finally:
            if features is not None:
                features.clear()
        found = []
        for seg in raw:
            k = min(int(seg.seek // frames_per_slot), slots - 1)
            converted = convert(seg)
            if converted is not None:
                found.append((k, _in_slot(converted, k)))
        chosen = local.languages.chosen  # each slot's language, where asked (read with ``raw``)
        for k, seg in found:
            if k < len(chosen) and chosen[k] != options.language:
                seg.language = chosen[k]
        heard = [LanguageInfo(c, p) for c, p in local.languages.heard] if free else []
        return found, heard

    def decode(options: TranscribeOptions, chunks: list[Audio]) -> list[list[Segment]]:
        durations = [len(c) / SAMPLE_RATE for c in chunks]
        placements = pack(durations, share=share_slots)
        found, slots_heard = run(options, chunks, placements)
        per_chunk, redo = assign(found, placements, durations)
        heard = heard_by_chunk(slots_heard, placements, len(chunks))
        if redo:
            alone = sorted(redo)
            lengths = [durations[i] for i in alone]
            solo = pack(lengths, share=False)
            found, slots_heard = run(options, [chunks[i] for i in alone], solo)
            again, _ = assign(found, solo, lengths)
            heard_again = heard_by_chunk(slots_heard, solo, len(alone))
            for k, (i, segments) in enumerate(zip(alone, again, strict=True)):
                per_chunk[i] = segments
                heard[i] = heard_again[k]
        for i, segments in enumerate(per_chunk):
            if loops(segments, options):
                # in the language its slot was heard in (slot_language), if not the file's
                spoken = next((s.language for s in segments if s.language), None)
                redone = fallback(
                    options.with_changes(language=spoken) if spoken else options, chunks[i]
                )
                for seg in redone:
                    seg.language = spoken
                per_chunk[i] = without_loop(redone, options)
        if options.language is None:  # each chunk's language is the one it was heard in
            return [heard_reading(s, h) for s, h in zip(per_chunk, heard, strict=True)]
        return per_chunk

    def fallback(options: TranscribeOptions, chunk: Audio) -> list[Segment]:
        """``chunk``, whose decode at the first temperature looped, decoded alone at the others
        by faster-whisper's sequential decoder, up to the first whose text does not loop
        (whisper_fallback)."""
        kwargs = {
            **transcribe_kwargs(options),
            "temperature": list(options.temperature[1:]),
            "log_prob_threshold": None,  # loops only (whisper_fallback)
            "max_new_tokens": fallback_max_new_tokens(options),
            "word_timestamps": words or options.word_timestamps,
        }
        raw, _ = model.transcribe(chunk, **kwargs, vad_filter=False)
        return [s for s in map(convert, raw) if s is not None]

    return decode


class PreparedFeatures:
    """A feature extractor whose calls for a batch's chunks return log-mel features computed
    beforehand, side by side on ``threads`` threads (:meth:`prepare`); any other call computes
    as the wrapped extractor does. faster-whisper computes a batch's features one chunk after
    the other on the thread that then drives the decoder: on a GPU that thread is the one the
    GPU waits for (1.5 s of a 12.5 s hour-long recording on an H200, docs/performance.md,
    issue 17). NumPy's FFT and matrix products release the GIL, so the threads run at once."""

    def __init__(self, extractor: Any, threads: int) -> None:
        self._inner = extractor
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="woasr-mel")
        self._local = threading.local()  # per batch thread: batches may run side by side

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def prepare(self, chunks: list[np.ndarray]) -> None:
        """Compute the features of ``chunks`` (views of the batch's audio, as faster-whisper
        cuts them) for this thread's next calls."""
        found = self._pool.map(self._inner, chunks)
        self._local.ready = {_array_key(c): f for c, f in zip(chunks, found, strict=True)}

    def clear(self) -> None:
        self._local.ready = {}

    def __call__(self, waveform: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        ready: dict[tuple[int, tuple[int, ...]], Any] = getattr(self._local, "ready", {})
        if not args and not kwargs:
            found = ready.pop(_array_key(waveform), None)
            if found is not None:
                return found
        return self._inner(waveform, *args, **kwargs)


def _array_key(a: np.ndarray) -> tuple[int, tuple[int, ...]]:
    """The same memory seen as the same array (faster-whisper slices the batch's audio)."""
    return int(a.__array_interface__["data"][0]), tuple(a.shape)


class WithFeatures:
    """A ``WhisperModel`` (or a wrapper of one) with another ``feature_extractor``."""

    def __init__(self, model: Any, features: PreparedFeatures) -> None:
        self._model = model
        self.feature_extractor = features

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


class ChunkwiseEncoder:
    """A ``WhisperModel`` whose ``encode`` runs a batch's chunks through the encoder one at a
    time (on CPU): the encoder's attention holds ~68 MB per chunk while it runs (tiny.en, 6 heads x
    1500^2 floats and more), so a batch of 4 took 518 MB against 303 MB one chunk at a time, for
    the same CPU (docs/performance.md, issue 17); its outputs (2.3 MB a chunk) are joined for the
    batched decoder. Everything else is the model's own. ``lock``: held while a chunk is in the
    encoder, shared by the batches running side by side, so they hold one chunk's attention at
    a time, not one each (a batch waits only while the other encodes; they fall into step, one
    encoding while the other decodes). Word alignment runs one chunk at a time too
    (:meth:`find_alignment`)."""

    def __init__(self, model: Any, lock: threading.Lock | None = None) -> None:
        self._model = model
        self._lock = lock or threading.Lock()
        # The batch's features cut to this many frames (None: as faster-whisper pads them, 30 s):
        # its longest chunk's and some padding (ENCODER_PAD_S); CTranslate2's encoder takes any
        # count up to 3000, and its cost follows them (encoder_window.py).
        self.frames: int | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def encode(self, features: np.ndarray) -> Any:
        if self.frames is not None and features.ndim == 3 and features.shape[-1] > self.frames:
            features = np.ascontiguousarray(features[..., : self.frames])
        if features.ndim == 2 or len(features) == 1:
            with self._lock:
                return self._model.encode(features)
        import ctranslate2

        outputs = []
        for f in features:
            with self._lock:
                outputs.append(np.asarray(self._model.encode(f[None])))
        return ctranslate2.StorageView.from_array(np.concatenate(outputs))

    def add_word_timestamps(self, *args: Any, **kwargs: Any) -> Any:
        """faster-whisper's own, bound to this wrapper so that it aligns with
        :meth:`find_alignment` below."""
        return type(self._model).add_word_timestamps(self, *args, **kwargs)

    def find_alignment(
        self,
        tokenizer: Any,
        text_tokens: list[list[int]],
        encoder_output: Any,
        num_frames: int | list[int],
        median_filter_width: int = 7,
    ) -> list[Any]:
        """Word alignment (CTranslate2 ``align``) one chunk at a time: aligning a batch of 2
        chunks at once took +125 MB over what its encoder and beam search had left in the heap,
        one at a time +0-18 MB (docs/performance.md, issue 17, w17s). Same words and times:
        each chunk's alignment depends only on its own tokens and encoding."""
        if len(text_tokens) <= 1:
            return list(
                self._model.find_alignment(
                    tokenizer, text_tokens, encoder_output, num_frames, median_filter_width
                )
            )
        import ctranslate2

        encoded = np.asarray(encoder_output)
        frames = num_frames if isinstance(num_frames, list) else [num_frames] * len(text_tokens)
        found: list[Any] = []
        for k, tokens in enumerate(text_tokens):
            if not tokens:
                found.append([])  # what a batched call gives a chunk without text
                continue
            one = ctranslate2.StorageView.from_array(np.ascontiguousarray(encoded[k : k + 1]))
            found += self._model.find_alignment(
                tokenizer, [tokens], one, [frames[k]], median_filter_width
            )
        return found


def in_time_order(segments: list[Segment]) -> list[Segment]:
    """Segments sorted by start; one that starts with the one before it (a word Whisper placed
    on the seam where two joined pieces meet gets no time of its own) is made one with it, so
    no two cues start together."""
    ordered: list[Segment] = []
    for seg in sorted(segments, key=lambda s: (s.start, s.end)):
        prev = ordered[-1] if ordered else None
        if prev is not None and seg.start <= prev.start and prev.words and seg.words:
            ordered[-1] = replace(
                prev,
                end=max(prev.end, seg.end),
                text=f"{prev.text} {seg.text}".strip(),
                words=[*prev.words, *seg.words],
            )
        else:
            ordered.append(seg)
    return ordered


def encoder_seconds(duration: float) -> float:
    """Seconds of encoder input a chunk of ``duration`` s is decoded over where Whisper emits no
    timestamp tokens on the CPU: its speech, ``ENCODER_PAD_S`` and up to ``ENCODER_STEP_S``
    more, at most a slot."""
    fitted = math.ceil((duration + ENCODER_PAD_S) / ENCODER_STEP_S) * ENCODER_STEP_S
    return min(SLOT_S, fitted)


def _in_slot(seg: Segment, slot: int) -> Segment:
    """``seg`` (batch time) in its slot's time. faster-whisper's times have at most 3 decimals
    and are rounded to them again after the shift: ``30.66 - 30`` is 0.6600000000000001, so a
    chunk's times in slot 1 were not quite those it had in slot 0."""
    shifted = seg.shifted(-slot * SLOT_S)
    shifted.start, shifted.end = round(shifted.start, 3), round(shifted.end, 3)
    for w in shifted.words:
        w.start, w.end = round(w.start, 3), round(w.end, 3)
    return shifted


def model_language_detector(model: Any) -> DetectLanguage:
    """A file's language, from an encoder window of its first speech chunk plus a few
    seconds (window_language.py); for files whose first window holds more than one chunk
    (a clip's is read off its batch: ``CrossFileDecoder``)."""

    def detect(audio: Audio) -> LanguageInfo:
        language, probability = window_languages(model, audio)[0]
        return LanguageInfo(language, probability)

    return detect


def _undecoded_tail(chunk: SpeechChunk, found: list[Segment]) -> SpeechChunk | None:
    """The part of ``chunk`` after its last segment, if long enough to hold more speech."""
    if not found:
        return None
    last = max(s.words[-1].end if s.words else s.end for s in found)
    if chunk.duration - last < TAIL_MIN_S:
        return None
    return chunk.tail(last)


def _late_start(found: list[Segment]) -> bool:
    """The decode's first word comes ``HEAD_MAX_S`` or more into the chunk. A chunk starts with
    speech (VAD cut it there) and Whisper's first timestamp is at most 1 s in, so the opening
    speech was skipped: seen in batches where Whisper emitted one sentence and stopped, its
    words then aligned to the chunk's end, while the chunk decoded alone gave every sentence."""
    if not found:
        return False
    first = found[0].words[0].start if found[0].words else found[0].start
    return first >= HEAD_MAX_S


def _before_stretch(found: list[Segment]) -> list[Segment]:
    """``found`` without the sentence that holds the first word stretched ``STRETCHED_WORD_S``
    or more, nor anything after it: left undecoded, they go to the rest, read again from where
    the sentence before ended (from the word before the stretched one when it is in the first
    sentence). Seen without timestamp tokens: Whisper read a podcast's chunk up to a sentence
    end, skipped the next 6.9 s of speech (two sentences) and went on with the sentence after,
    whose first words the alignment stretched over the skipped speech ("actually", 3.1 s);
    nothing was left undecoded, so the two sentences were lost (docs/performance.md, issue 17,
    session 34). ``found`` as it is when no word is stretched, or the first one is."""
    if not all(seg.words for seg in found) or not any(
        _stretched(w) for seg in found for w in seg.words
    ):
        return found  # most decodes: no word stretched, no sentences to split here
    sentences = [sentence for seg in found for sentence in split_sentences(seg)]
    for k, sentence in enumerate(sentences):
        for i, word in enumerate(sentence.words):
            if not _stretched(word):
                continue
            if k > 0:
                return sentences[:k]
            if i > 0:
                return split_at_times(sentence, [word.start])[:1]
            return found
    return found


def _stretched(word: Word) -> bool:
    return word.end - word.start >= STRETCHED_WORD_S


def _words(segments: list[Segment]) -> int:
    return sum(len(s.words) if s.words else len(s.text.split()) for s in segments)


def _silence(seg: Segment, options: TranscribeOptions) -> bool:
    """Whisper's own no-speech rule (by default no_speech_prob > 0.6 and avg_logprob < -1)."""
    if options.no_speech_threshold is None or options.logprob_threshold is None:
        return False
    return (seg.no_speech_prob or 0.0) > options.no_speech_threshold and (
        seg.avg_logprob or 0.0
    ) < options.logprob_threshold


def _to_window(seg: Segment, chunk: SpeechChunk) -> Segment:
    """Chunk times -> window times; a word stays within the speech span its middle is in,
    except that a segment's first word across the seam into the span of the words after it
    goes with them, and its last word across the seam from the span before with those:
    Whisper starts a first word early, into whatever the chunk holds before it (a chunk joins
    spans from all over the window: jfk's "And" read 0.6 s early into a scrap of music the
    VAD let through, an hour away in the file, was a cue of its own 65 s too early)."""
    if seg.words:
        spans = [chunk.span_index((w.start + w.end) / 2) for w in seg.words]
        if len(spans) > 1:
            if spans[0] < spans[1] <= chunk.span_index(seg.words[0].end, is_end=True):
                spans[0] = spans[1]
            if chunk.span_index(seg.words[-1].start) <= spans[-2] < spans[-1]:
                spans[-1] = spans[-2]
        for w, span in zip(seg.words, spans, strict=True):
            w.start = chunk.window_time(w.start, span)
            w.end = max(w.start, chunk.window_time(w.end, span))
        seg.start, seg.end = seg.words[0].start, seg.words[-1].end
    else:
        seg.start = chunk.window_time(seg.start)
        seg.end = max(seg.start, chunk.window_time(seg.end, is_end=True))
    return seg

"""faster-whisper's batched decoding, fed with speech chunks from several files at once.

Each calling thread (one per file in flight) cuts its window into speech chunks and submits them
to a :class:`~woasr_cli.providers.batcher.ChunkBatcher`; a batch goes through faster-whisper's
public ``BatchedInferencePipeline.transcribe`` and each segment back to the chunk it came from.
Timestamps stay on: without them Whisper stops at the first pause in a chunk and drops the rest
(what makes ``whisper-ctranslate2 --batched`` lose words, docs/performance.md). With them it
still ends some chunks early; the rest of such a chunk is decoded again in a later batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, cast

import numpy as np

from woasr_cli.media import SAMPLE_RATE
from woasr_cli.media.audio import Audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import LanguageInfo
from woasr_cli.providers.batcher import ChunkBatcher, Ticket
from woasr_cli.providers.slot_packing import SLOT_S, Placement, assign, pack
from woasr_cli.providers.speech_chunks import SpeechChunk, speech_chunks
from woasr_cli.transcript import Segment

Converter = Callable[[Any], Segment]  # faster_whisper Segment -> woasr Segment
# Undecoded speech after a chunk's last segment shorter than this is Whisper's timing slack.
TAIL_MIN_S = 1.0


DecodeBatch = Callable[[TranscribeOptions, list[Audio]], list[list[Segment]]]
DetectLanguage = Callable[[Audio], LanguageInfo]


class CrossFileDecoder:
    """Batched decoding shared by the threads of one process.

    ``decode`` turns a batch of chunks (one prompt: ``options``) into each chunk's segments, with
    times relative to the chunk; ``detect`` names the language of a file's first speech.
    """

    def __init__(
        self, decode: DecodeBatch, detect: DetectLanguage, batch_size: int, parallel: int = 1
    ) -> None:
        self._detect = detect
        self.batcher: ChunkBatcher[Audio, list[Segment]] = ChunkBatcher(
            lambda key, chunks: decode(cast(TranscribeOptions, key), chunks),
            batch_size,
            parallel=parallel,
        )

    def transcribe(
        self, audio: Audio, options: TranscribeOptions
    ) -> tuple[Iterator[Segment], LanguageInfo]:
        chunks = speech_chunks(audio, bool(options.vad))
        if options.language:
            language = LanguageInfo(options.language, 1.0)
        elif chunks:
            # Detected on this file's own speech: a batch may mix files in several languages.
            language = self._detect(chunks[0].audio)
        else:
            language = LanguageInfo(None)
        if not chunks or language.language is None:
            return iter(()), language
        key = options.with_changes(language=language.language)
        tickets = self.batcher.submit([c.audio for c in chunks], key)
        return self._segments(chunks, tickets, key), language

    def _segments(
        self,
        chunks: list[SpeechChunk],
        tickets: list[Ticket[Audio, list[Segment]]],
        key: TranscribeOptions,
    ) -> Iterator[Segment]:
        for chunk, ticket in zip(chunks, tickets, strict=True):
            part, pending, is_tail = chunk, ticket, False
            while True:
                (found,) = self.batcher.gather([pending])
                if is_tail:
                    found = [s for s in found if not _silence(s)]
                rest = _undecoded_tail(part, found)
                for seg in found:
                    yield _to_window(seg, part)
                if rest is None:
                    break
                # Whisper ended this chunk early (it does at pauses); decode the rest, as its
                # sequential mode seeks on from the last timestamp.
                part, is_tail = rest, True
                (pending,) = self.batcher.submit([rest.audio], key)


def pipeline_decoder(model: Any, convert: Converter, share_slots: bool = True) -> DecodeBatch:
    """Batches through faster-whisper's ``BatchedInferencePipeline``: the chunks lie in 30 s
    slots of one array, several short ones to a slot (slot_packing), decoded as
    ``clip_timestamps``; a segment's slot and time name its chunk."""
    from faster_whisper import BatchedInferencePipeline

    # The pipeline object keeps state between the chunks of one call (word-time bookkeeping), so
    # batches running side by side each get their own; the model under them is shared.
    local = threading.local()
    frames_per_slot = SLOT_S * model.frames_per_second

    def run(
        options: TranscribeOptions, chunks: list[Audio], placements: list[Placement]
    ) -> list[tuple[int, Segment]]:
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
            local.pipeline = BatchedInferencePipeline(model)
        raw, _ = local.pipeline.transcribe(
            joined,
            language=options.language,
            task=options.task,
            beam_size=options.beam_size,
            temperature=options.temperature[0],
            initial_prompt=options.initial_prompt,
            hotwords=options.hotwords,
            word_timestamps=options.word_timestamps,
            without_timestamps=False,
            vad_filter=False,
            clip_timestamps=clips,
            batch_size=slots,
        )
        found = []
        for seg in raw:
            k = min(int(seg.seek // frames_per_slot), slots - 1)
            found.append((k, convert(seg).shifted(-k * SLOT_S)))
        return found

    def decode(options: TranscribeOptions, chunks: list[Audio]) -> list[list[Segment]]:
        durations = [len(c) / SAMPLE_RATE for c in chunks]
        placements = pack(durations, share=share_slots)
        per_chunk, redo = assign(run(options, chunks, placements), placements, durations)
        if redo:
            alone = sorted(redo)
            lengths = [durations[i] for i in alone]
            solo = pack(lengths, share=False)
            again, _ = assign(run(options, [chunks[i] for i in alone], solo), solo, lengths)
            for i, segments in zip(alone, again, strict=True):
                per_chunk[i] = segments
        return per_chunk

    return decode


def model_language_detector(model: Any) -> DetectLanguage:
    def detect(audio: Audio) -> LanguageInfo:
        language, probability, _ = model.detect_language(audio=audio)
        return LanguageInfo(str(language), float(probability))

    return detect


def _undecoded_tail(chunk: SpeechChunk, found: list[Segment]) -> SpeechChunk | None:
    """The part of ``chunk`` after its last segment, if long enough to hold more speech."""
    if not found:
        return None
    last = max(s.end for s in found)
    if chunk.duration - last < TAIL_MIN_S:
        return None
    return chunk.tail(last)


def _silence(seg: Segment) -> bool:
    """Whisper's own no-speech rule (no_speech_prob > 0.6 and avg_logprob < -1)."""
    return (seg.no_speech_prob or 0.0) > 0.6 and (seg.avg_logprob or 0.0) < -1.0


def _to_window(seg: Segment, chunk: SpeechChunk) -> Segment:
    """Chunk times -> window times; a word stays within the speech span its middle is in."""
    if seg.words:
        for w in seg.words:
            span = chunk.span_index((w.start + w.end) / 2)
            w.start = chunk.window_time(w.start, span)
            w.end = max(w.start, chunk.window_time(w.end, span))
        seg.start, seg.end = seg.words[0].start, seg.words[-1].end
    else:
        seg.start = chunk.window_time(seg.start)
        seg.end = max(seg.start, chunk.window_time(seg.end, is_end=True))
    return seg

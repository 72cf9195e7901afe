"""Cut a window of audio into the <= 30 s speech chunks Whisper decodes, and map times back.

Silero VAD finds the speech; the silences between speech are removed and what is left is packed
into chunks of at most 30 s (as faster-whisper's batched mode does within a file), with the
faint speech between spans that Silero's start of speech misses (faint_speech.py). A time inside
a chunk maps back to the window through the speech spans it was packed from. Without VAD the
window is cut into plain 30 s pieces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from woasr_cli.media import SAMPLE_RATE
from woasr_cli.media.audio import Audio
from woasr_cli.media.windows import quiet_cut
from woasr_cli.providers.faint_speech import FAINT, VAD_FRAME, faint_spans
from woasr_cli.providers.reverb_speech import reverberant_spans

CHUNK_S = 30.0
# Within a batch the decoder sees each chunk on its own, so a generous pad only adds silence that
# makes Whisper stop early; faster-whisper's 400 ms default measured best here (WER 0.059 vs
# 0.144 at 800 ms, docs/performance.md).
VAD_PAD_MS = 400
MIN_HALF_S = 3.0  # a chunk is cut in two (to decode again) only into pieces this long


@dataclass(frozen=True)
class SpeechChunk:
    audio: Audio
    spans: tuple[tuple[int, int], ...]  # (start, end) samples in the window, in order

    def span_index(self, t: float, is_end: bool = False) -> int:
        """The span that chunk time ``t`` falls in; an end on a seam closes the earlier span."""
        sample = round(t * SAMPLE_RATE)
        consumed = 0
        for k, (start, end) in enumerate(self.spans):
            consumed += end - start
            if sample < consumed or (is_end and sample == consumed):
                return k
        return len(self.spans) - 1

    def window_time(self, t: float, span: int | None = None, is_end: bool = False) -> float:
        """Seconds into the chunk -> seconds into the window (within ``span`` when given)."""
        k = self.span_index(t, is_end) if span is None else span
        before = sum(end - start for start, end in self.spans[:k])
        start, end = self.spans[k]
        inside = min(max(round(t * SAMPLE_RATE) - before, 0), end - start)
        return (start + inside) / SAMPLE_RATE

    @property
    def duration(self) -> float:
        return len(self.audio) / SAMPLE_RATE

    def tail(self, t: float) -> SpeechChunk:
        """What follows chunk time ``t``, as a chunk of its own."""
        cut = round(t * SAMPLE_RATE)
        spans: list[tuple[int, int]] = []
        consumed = 0
        for start, end in self.spans:
            if consumed + (end - start) > cut:
                spans.append((start + max(cut - consumed, 0), end))
            consumed += end - start
        return SpeechChunk(self.audio[cut:], tuple(spans))

    def head(self, t: float) -> SpeechChunk:
        """What precedes chunk time ``t``, as a chunk of its own."""
        cut = round(t * SAMPLE_RATE)
        spans: list[tuple[int, int]] = []
        consumed = 0
        for start, end in self.spans:
            if consumed >= cut:
                break
            spans.append((start, min(end, start + cut - consumed)))
            consumed += end - start
        return SpeechChunk(self.audio[:cut], tuple(spans))

    def halves(self) -> tuple[SpeechChunk, SpeechChunk] | None:
        """The chunk in two, cut at the seam between speech spans nearest its middle (in the
        quietest spot near the middle when no seam is near); None when too short to cut."""
        if self.duration < 2 * MIN_HALF_S:
            return None
        total, least = len(self.audio), int(MIN_HALF_S * SAMPLE_RATE)
        seams, consumed = [], 0
        for start, end in self.spans[:-1]:
            consumed += end - start
            if least <= consumed <= total - least:
                seams.append(consumed)
        middle = total // 2
        if seams:
            cut = min(seams, key=lambda s: abs(s - middle))
        else:
            cut = min(max(quiet_cut(self.audio, middle + 4 * SAMPLE_RATE), least), total - least)
        t = cut / SAMPLE_RATE
        return self.head(t), self.tail(t)


def joined(pieces: list[SpeechChunk]) -> list[SpeechChunk]:
    """Pieces of one window (in time order) joined end to end into as few chunks of at most
    30 s as keep each piece whole: the speech Whisper left undecoded at the ends of several
    chunks, with the window's part-filled chunks, fills one encoder pass instead of one each."""
    limit = int(CHUNK_S * SAMPLE_RATE)
    groups: list[list[SpeechChunk]] = []
    size = 0
    for piece in pieces:
        if not groups or size + len(piece.audio) > limit:
            groups.append([])
            size = 0
        groups[-1].append(piece)
        size += len(piece.audio)
    return [
        SpeechChunk(
            np.concatenate([p.audio for p in group]).astype(np.float32, copy=False),
            tuple(span for p in group for span in p.spans),
        )
        for group in groups
    ]


@dataclass(frozen=True)
class SpeechCut:
    """A window cut for decoding: its chunks, and ``opening``: where the VAD heard speech begin
    in a span that starts at the window's very start (seconds), which the span's start does not
    say (its padding reaches back to 0 there); None when no span starts there."""

    chunks: list[SpeechChunk]
    opening: float | None = None


def speech_chunks(audio: Audio, vad: bool) -> list[SpeechChunk]:
    """The chunks to decode; none when VAD finds no speech."""
    return cut_speech(audio, vad).chunks


def cut_speech(audio: Audio, vad: bool) -> SpeechCut:
    """The chunks to decode (none when VAD finds no speech), and where speech opens."""
    if len(audio) == 0:
        return SpeechCut([])
    if vad:
        spans, opening = speech_spans(audio)
    else:
        step = int(CHUNK_S * SAMPLE_RATE)
        spans = [(s, min(s + step, len(audio))) for s in range(0, len(audio), step)]
        opening = None
    return SpeechCut(_pack(audio, [(s, e) for s, e in spans if e > s]), opening)


def speech_spans(audio: Audio) -> tuple[list[tuple[int, int]], float | None]:
    """The speech in ``audio`` as it is cut for decoding: Silero's spans (``VAD_PAD_MS`` of
    padding, 160 ms the shortest silence between two, the model's state started again after
    music), with the faint speech between them and the speech a reverberant room hid from it
    (reverb_speech.py); and where the speech opens (SpeechCut)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from woasr_cli.providers import vad_batches

    vad_batches.install()  # the same speech in ~10 MB instead of ~70 MB for 300 s
    options = VadOptions(
        speech_pad_ms=VAD_PAD_MS, max_speech_duration_s=CHUNK_S, min_silence_duration_ms=160
    )

    def find(heard: Audio) -> tuple[list[tuple[int, int]], list[npt.NDArray[np.float32]]]:
        with vad_batches.starting_again_after_quiet() as probabilities:  # speech after music
            found = get_speech_timestamps(heard, options)
        return [(int(s["start"]), int(s["end"])) for s in found], probabilities

    spans, probabilities = find(audio)
    if not probabilities:
        return spans, None
    pad, longest = int(VAD_PAD_MS * SAMPLE_RATE / 1000), int(CHUNK_S * SAMPLE_RATE)
    faint = faint_spans(spans, probabilities[-1], len(audio), pad, longest)
    spans = sorted(spans + faint)
    hidden = reverberant_spans(audio, spans, probabilities[-1], lambda heard: find(heard)[0])
    spans = sorted(spans + hidden)
    return spans, _opening(spans, probabilities[-1])


def _opening(spans: list[tuple[int, int]], probabilities: npt.NDArray[np.float32]) -> float | None:
    """Seconds to the first frame Silero would start speech on (0.5; ``FAINT`` in a span of
    faint speech) in a first span that starts at 0."""
    if not spans or spans[0][0] != 0:
        return None
    scores = np.asarray(probabilities).reshape(-1)[: -(-spans[0][1] // VAD_FRAME)]
    for bar in (0.5, FAINT):
        above = np.flatnonzero(scores >= bar)
        if len(above):
            return float(above[0] * VAD_FRAME / SAMPLE_RATE)
    return None


def _pack(audio: Audio, spans: list[tuple[int, int]]) -> list[SpeechChunk]:
    limit = int(CHUNK_S * SAMPLE_RATE)
    chunks: list[SpeechChunk] = []
    group: list[tuple[int, int]] = []
    size = 0
    for start, end in spans:
        if group and size + (end - start) > limit:
            chunks.append(_chunk(audio, group))
            group, size = [], 0
        group.append((start, end))
        size += end - start
    if group:
        chunks.append(_chunk(audio, group))
    return chunks


def _chunk(audio: Audio, spans: list[tuple[int, int]]) -> SpeechChunk:
    samples = np.concatenate([audio[s:e] for s, e in spans]).astype(np.float32, copy=False)
    return SpeechChunk(samples[: int(CHUNK_S * SAMPLE_RATE)], tuple(spans))

"""Whisper's temperature fallback, for batched decodes made without it: loops decoded again.

Whisper decodes a 30 s window at temperature 0 and decodes it again at the next temperature of
its list when the text fails one of two checks: it compresses too well (gzip ratio above
``compression_ratio_threshold``, 2.4: the same words over and over, "Pujulebja nu!" forty times
for 11 s of French read by espeak-ng that Whisper ``base`` took for Latin), or the decoder was
unsure of it (mean token log-probability below ``logprob_threshold``, -1) and it is not
silence. faster-whisper's sequential ``transcribe`` (woasr's ``--batch-size 1``) applies both;
its batched pipeline decodes at the first temperature only and keeps what comes out, loops
included.

woasr's batched decoding keeps the first check, for loops: a chunk whose text compresses past
the threshold and holds a run of words three times back to back (word_loops) is decoded again
alone by the sequential decoder at the temperatures after the first, which stops at the first
that does not loop (faster_whisper_batch.pipeline_decoder). A sentence said twice passes the
threshold too; it is speech, and sampled again it comes back worse. The second check is left to
sequential mode: on the benchmarks' English it never fired, and on speech the model cannot
transcribe (foreign speech under ``tiny.en``) every temperature fails it, so one unsure chunk
cost five decodes of five samples each for text no better (docs/performance.md, "Long recordings",
session 20).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import replace

from woasr_cli.options import TranscribeOptions
from woasr_cli.spacing import join
from woasr_cli.transcript import Segment
from woasr_cli.word_loops import cut_loop, loop_start, text_words

# Tokens a decode at a fallback temperature may add to its prompt: openai-whisper's own limit
# per 30 s window (``sample_len``, half the text context). faster-whisper allows the whole
# context (448), and a decode that loops runs to it, for each of the ``best_of`` samples.
FALLBACK_MAX_NEW_TOKENS = 224
# Words in the repeated run of a loop in one decode: a 30 s chunk holds ~120 words, so three
# copies of up to 40 (live passes look for runs of up to word_loops.LOOP_LONGEST).
DECODE_LOOP_LONGEST = 40


def compression_ratio(text: str) -> float:
    """Bytes of ``text`` over bytes of its zlib compression (Whisper's measure of repetition)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def decode_text(segments: Sequence[Segment]) -> str:
    """The text of one decode, as Whisper's check reads it."""
    return " ".join(s.text.strip() for s in segments if s.text.strip())


def loops(segments: Sequence[Segment], options: TranscribeOptions) -> bool:
    """The decode's text compresses better than Whisper allows and holds a loop (a run of
    words three times back to back, word_loops), and the temperature list has another
    temperature to decode it at. A sentence said twice compresses as well (jfk's, twice in one
    chunk of the benchmark's hour: ratio 2.48) but is speech: decoded again at 0.2-0.6 it came
    back worse ("asked not") for 3.7 s of the hour's 91."""
    threshold = options.compression_ratio_threshold
    if threshold is None or len(options.temperature) < 2:
        return False
    text = decode_text(segments)
    if compression_ratio(text) <= threshold:
        return False
    return loop_start(_words(segments, text), DECODE_LOOP_LONGEST) is not None


def _words(segments: Sequence[Segment], text: str) -> list[str]:
    if segments and all(s.words for s in segments):
        # a loop in Thai or Chinese may lie inside one of Whisper's words
        return [unit for s in segments for w in s.words for unit in text_words(w.text)]
    return text_words(text)


def fallback_max_new_tokens(options: TranscribeOptions) -> int:
    """The new tokens a fallback decode may take: the caller's limit, at most Whisper's."""
    asked = options.max_new_tokens
    return min(asked, FALLBACK_MAX_NEW_TOKENS) if asked else FALLBACK_MAX_NEW_TOKENS


def without_loop(segments: list[Segment], options: TranscribeOptions) -> list[Segment]:
    """A decode that still loops after every temperature (Whisper then keeps it: "būrdu
    ebianu, " 13 times for the French clip at one seed), cut after the first copy of the loop
    (word_loops.cut_loop); the segments after the cut are dropped. Segments without words are
    left as they are."""
    if not loops(segments, options) or not all(s.words for s in segments):
        return segments
    cut = cut_loop([w for s in segments for w in s.words], DECODE_LOOP_LONGEST)
    out: list[Segment] = []
    at = 0
    for seg in segments:
        mine = cut[at : at + len(seg.words)]
        at += len(seg.words)
        if not mine:
            break
        if mine == seg.words:
            out.append(seg)
        else:
            out.append(
                replace(seg, end=mine[-1].end, text=join(mine), words=mine)
            )
    return out

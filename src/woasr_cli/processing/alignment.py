"""Forced alignment of transcript words to audio with a CTC model (the whisperX approach).

Per segment: the model's per-frame log-probabilities over its character vocabulary, a Viterbi
trellis of the segment's characters through them (each character entered once, in order, with
blanks or repeats between), and a backtrack that gives each character its frames. A word spans
its characters; characters the vocabulary lacks (digits, punctuation, other scripts) take no
frames, and a word with none alignable is placed by interpolation between its neighbours.
Words keep their order and stay inside their segment.

The model is a local transformers directory (``Wav2Vec2ForCTC`` + processor, as saved by
``save_pretrained``); nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from woasr_cli.errors import ModelNotFound, ProviderUnavailable, first_line
from woasr_cli.media.audio import SAMPLE_RATE, Audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.quiet_transformers import no_progress_bars
from woasr_cli.runtime import few_torch_threads
from woasr_cli.transcript import Segment, Word

Floats = npt.NDArray[np.float64]


class Aligner(Protocol):
    def align(self, segments: list[Segment], audio: Audio) -> list[Segment]:
        """Segments with word times from the audio (times relative to ``audio``)."""
        ...


def load_aligner(options: TranscribeOptions) -> Aligner:
    """A :class:`CtcAligner` for the local model directory ``options.align_model``."""
    if not options.align_model:
        raise ModelNotFound(
            "forced alignment needs a local CTC model: pass --align-model DIR "
            "(a transformers Wav2Vec2ForCTC model + processor saved with save_pretrained)"
        )
    path = Path(options.align_model).expanduser()
    if not (path / "config.json").is_file():
        raise ModelNotFound(
            f"alignment model '{options.align_model}' is not a model directory "
            "(no config.json); pass --align-model DIR saved with save_pretrained"
        )
    try:
        import torch  # noqa: F401
        from transformers import AutoModelForCTC, AutoProcessor
    except ImportError as exc:
        raise ProviderUnavailable(
            "alignment", "transformers", str(exc), what="word alignment (--align)"
        ) from None
    try:
        with no_progress_bars():
            processor = AutoProcessor.from_pretrained(  # type: ignore[no-untyped-call]
                str(path), local_files_only=True
            )
            model = AutoModelForCTC.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError) as exc:
        first = first_line(exc)
        raise ModelNotFound(f"cannot load alignment model '{path}': {first}") from None
    model.eval()
    return CtcAligner(model, processor)


class CtcAligner:
    def __init__(self, model: Any, processor: Any) -> None:
        self._model = model
        self._processor = processor
        tokenizer = processor.tokenizer
        self._vocab: dict[str, int] = dict(tokenizer.get_vocab())
        self._blank = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)
        self._delimiter = getattr(tokenizer, "word_delimiter_token", None) or "|"
        letters = [k for k in self._vocab if len(k) == 1 and k.isalpha()]
        self._upper = sum(k.isupper() for k in letters) > len(letters) / 2

    def align(self, segments: list[Segment], audio: Audio) -> list[Segment]:
        with few_torch_threads():  # a small model: torch's threads stall each other otherwise
            return [self._align_segment(seg, audio) for seg in segments]

    def _log_probs(self, audio: Audio) -> Floats:
        import torch

        inputs = self._processor(
            np.asarray(audio, dtype=np.float32), sampling_rate=SAMPLE_RATE, return_tensors="pt"
        )
        with torch.inference_mode():
            logits = self._model(inputs.input_values).logits[0]
        out: Floats = torch.log_softmax(logits.double(), dim=-1).numpy()
        return out

    def _tokens(self, text: str) -> list[int | None]:
        """One entry per character of ``text``: its vocabulary id, or None if unalignable."""
        out: list[int | None] = []
        for ch in text.upper() if self._upper else text.lower():
            key = self._delimiter if ch.isspace() else ch
            out.append(self._vocab.get(key))
        return out

    def _align_segment(self, seg: Segment, audio: Audio) -> Segment:
        words = seg.words or [Word(seg.start, seg.end, t) for t in seg.text.split()]
        if not words:
            return seg
        a, b = int(seg.start * SAMPLE_RATE), int(np.ceil(seg.end * SAMPLE_RATE))
        clip = audio[max(0, a) : min(len(audio), b)]
        spans: list[tuple[float, float, float] | None] = [None] * len(words)
        step = 0.0
        if len(clip) >= SAMPLE_RATE // 10:  # shorter than the model's receptive field
            logp = self._log_probs(clip)
            step = len(clip) / SAMPLE_RATE / len(logp)
            spans = word_spans(logp, [self._tokens(w.text.strip()) for w in words], self._blank)
        offset = max(0, a) / SAMPLE_RATE
        timed = [
            None if s is None else (offset + s[0] * step, offset + s[1] * step, s[2]) for s in spans
        ]
        placed = place_words(timed, seg.start, seg.end)
        new_words = [
            replace(w, start=st, end=en, probability=p if p is not None else w.probability)
            for w, (st, en, p) in zip(words, placed, strict=True)
        ]
        return replace(seg, words=new_words)


def trellis(logp: Floats, tokens: list[int], blank: int) -> Floats:
    """CTC Viterbi trellis: ``out[t, j]`` is the best log-score of emitting the first ``j``
    tokens in the first ``t`` frames (blank or the current token between tokens)."""
    n_frames, n_tokens = logp.shape[0], len(tokens)
    out = np.full((n_frames + 1, n_tokens + 1), -np.inf)
    out[0, 0] = 0.0
    out[1:, 0] = np.cumsum(logp[:, blank])
    ids = np.asarray(tokens, dtype=np.int64)
    for t in range(n_frames):
        stay = out[t, 1:] + np.maximum(logp[t, blank], logp[t, ids])
        enter = out[t, :-1] + logp[t, ids]
        out[t + 1, 1:] = np.maximum(stay, enter)
    return out


def backtrack(out: Floats, logp: Floats, tokens: list[int], blank: int) -> list[tuple[int, int]]:
    """Frame span [first, last + 1) of each token along the best path through ``out``.

    The path uses every frame; a token's span runs from the frame it is entered to the last
    frame it (rather than blank) is emitted.
    """
    n_tokens = len(tokens)
    spans = [(0, 0)] * n_tokens
    j, t = n_tokens, out.shape[0] - 1
    end: int | None = None
    while j > 0 and t > 0:
        tok = tokens[j - 1]
        stayed = out[t - 1, j] + max(logp[t - 1, blank], logp[t - 1, tok])
        entered = out[t - 1, j - 1] + logp[t - 1, tok]
        if entered >= stayed or t - 1 < j:  # entering is forced once frames run short
            spans[j - 1] = (t - 1, end if end is not None else t)
            j, end = j - 1, None
        elif end is None and logp[t - 1, tok] > logp[t - 1, blank]:
            end = t
        t -= 1
    return spans


def word_spans(
    logp: Floats, word_tokens: list[list[int | None]], blank: int
) -> list[tuple[float, float, float] | None]:
    """(start frame, end frame, mean character probability) per word; None if unalignable."""
    flat = [(wi, tok) for wi, toks in enumerate(word_tokens) for tok in toks if tok is not None]
    if not flat or len(flat) > logp.shape[0]:
        return [None] * len(word_tokens)
    tokens = [tok for _, tok in flat]
    spans = backtrack(trellis(logp, tokens, blank), logp, tokens, blank)
    out: list[tuple[float, float, float] | None] = [None] * len(word_tokens)
    for wi in range(len(word_tokens)):
        mine = [(spans[k], tokens[k]) for k in range(len(flat)) if flat[k][0] == wi]
        if mine:
            prob = float(np.mean([np.exp(logp[s[0], tok]) for s, tok in mine]))
            out[wi] = (float(mine[0][0][0]), float(mine[-1][0][1]), prob)
    return out


def place_words(
    timed: list[tuple[float, float, float] | None], start: float, end: float
) -> list[tuple[float, float, float | None]]:
    """Final (start, end, probability) per word: aligned words clamped into [start, end] and
    kept in order; unaligned runs share the gap between their aligned neighbours evenly."""
    out: list[tuple[float, float, float | None]] = []
    i, floor = 0, start
    while i < len(timed):
        cur = timed[i]
        if cur is not None:
            st = min(max(cur[0], floor), end)
            en = min(max(cur[1], st), end)
            out.append((st, en, cur[2]))
            floor, i = en, i + 1
            continue
        j = i
        while j < len(timed) and timed[j] is None:
            j += 1
        nxt = timed[j] if j < len(timed) else None
        ceiling = end if nxt is None else min(max(nxt[0], floor), end)
        width = (ceiling - floor) / (j - i)
        out.extend((floor + k * width, floor + (k + 1) * width, None) for k in range(j - i))
        floor, i = ceiling, j
    return out

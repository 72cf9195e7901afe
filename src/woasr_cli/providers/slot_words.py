"""Word times of a batch's slots, each timed as if its slot were decoded alone.

faster-whisper times a batch's words slot after slot in one call
(``WhisperModel.add_word_timestamps``) and carries ``last_speech_timestamp`` from each slot's
last word to the next slot's first: its rule for the first word after a pause (a first word
longer than twice the median ending more than four medians after the last speech is cut to
that length) then measured the pause from another file's speech in the slot before. Slot 0
measures it from its own start, so a chunk's first words were timed one way when it was a
batch's first slot and another way behind a companion, and which slot a file's chunk lands
in follows which files were in flight with it: librispeech's "Mr." ended at 0.896 s in one
folder run and 0.756 s in another of the same folder under another output name.
:class:`SlotWordTimes` times each slot from its own start, as slot 0 is, with the alignment
of the whole batch found in one call as before.
"""

from __future__ import annotations

import itertools
from typing import Any


class SlotWordTimes:
    """A ``WhisperModel`` (or a wrapper of one) whose ``add_word_timestamps`` times each slot
    of a batch (one list of sub-segments each) with the pause before its first word counted
    from the slot's start; anything else is the wrapped model's own."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def add_word_timestamps(
        self,
        segments: list[list[dict[str, Any]]],
        tokenizer: Any,
        encoder_output: Any,
        num_frames: int | list[int],
        prepend_punctuations: str,
        append_punctuations: str,
        last_speech_timestamp: float,
    ) -> float:
        from faster_whisper.transcribe import WhisperModel

        if not segments:
            return last_speech_timestamp
        # The text tokens of each slot, as faster-whisper aligns them (its own words: below).
        tokens = [
            list(itertools.chain.from_iterable(
                [t for t in sub["tokens"] if t < tokenizer.eot] for sub in slot
            ))
            for slot in segments
        ]  # fmt: skip
        alignments = self._model.find_alignment(tokenizer, tokens, encoder_output, num_frames)
        frames = num_frames if isinstance(num_frames, list) else [num_frames] * len(segments)
        last = last_speech_timestamp
        for slot, alignment, size in zip(segments, alignments, frames, strict=True):
            if not slot:
                continue
            start = slot[0]["seek"] / self._model.frames_per_second
            last = WhisperModel.add_word_timestamps(
                _Aligned(self._model, alignment),
                [slot],
                tokenizer,
                encoder_output,
                [size],
                prepend_punctuations,
                append_punctuations,
                start,
            )
        return last


class _Aligned:
    """A model whose ``find_alignment`` gives one slot's alignment, found beforehand."""

    def __init__(self, model: Any, alignment: list[dict[str, Any]]) -> None:
        self._model = model
        self._alignment = alignment

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def find_alignment(self, *args: Any, **kwargs: Any) -> list[list[dict[str, Any]]]:
        return [self._alignment]

"""Sampling in faster-whisper's batched decoder, as its sequential decoder samples.

faster-whisper's ``BatchedInferencePipeline`` hands CTranslate2 the first temperature as
``sampling_temperature`` with the beam size and nothing else; CTranslate2 samples only when
``sampling_topk`` is not 1, its default, so every temperature decoded as temperature 0 did:
``--temperature 1.0`` gave tiny.en's temperature-0 transcript of pyannote_sample, byte for byte,
and ``--best-of`` was never read. At a temperature above 0 the sequential decoder
(``WhisperModel.generate_with_fallback``) draws ``best_of`` samples from the whole distribution,
beam size 1, and keeps the best; :class:`Sampling` has the batched decoder do the same.
"""

from __future__ import annotations

from typing import Any


class Sampling:
    """A CTranslate2 Whisper model whose ``generate`` at a sampling temperature above 0 draws
    ``best_of`` samples (CTranslate2 returns the best first, which faster-whisper reads) from
    the whole distribution, as faster-whisper's sequential decoder does; at 0 it is the
    model's own beam search. Anything else is the model's own. One per thread: ``best_of`` is
    set for that thread's next batch."""

    def __init__(self, model: Any, best_of: int = 5) -> None:
        self._model = model
        self.best_of = best_of

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        temperature = kwargs.get("sampling_temperature", 0.0)
        if temperature > 0:
            kwargs.pop("patience", None)  # a beam search's
            kwargs.update(beam_size=1, num_hypotheses=self.best_of, sampling_topk=0)
        return self._model.generate(*args, **kwargs)

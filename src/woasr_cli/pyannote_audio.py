"""Importing pyannote.audio the one way woasr does, for every module that needs it (the
pyannote diarization backend, whisperX, which imports it at module level)."""

from __future__ import annotations

import os
import warnings
from typing import Any


def import_pyannote_audio() -> Any:
    """pyannote.audio's ``Pipeline`` class, imported quietly and with its telemetry off.

    pyannote.audio 4 sends usage metrics to a remote server (otel.pyannote.ai) unless told not
    to; an offline tool must not. Importing it warns when torchcodec cannot load; woasr passes
    waveforms, not files, so that does not matter. Raises ImportError or OSError (a torchaudio
    build that needs CUDA).
    """
    os.environ["PYANNOTE_METRICS_ENABLED"] = "false"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyannote.audio import Pipeline
    return Pipeline


def import_pyannote_model() -> Any:
    """pyannote.audio's ``Model`` class, the same way (the overlap detector's segmentation
    model imported it directly, so each diarized run tried to report the model's loading to
    otel.pyannote.ai - telemetry is on in pyannote.audio's own configuration)."""
    import_pyannote_audio()
    from pyannote.audio import Model

    return Model

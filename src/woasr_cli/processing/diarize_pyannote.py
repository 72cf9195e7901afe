"""The pyannote.audio backend: a pipeline from a local directory, or from the hub with a token.

The pipeline is ``options.diarize_model`` (a directory holding ``config.yaml``, the yaml
itself, or a hub id used with ``options.hf_token``); without one, ``options.hf_token`` loads the
public gated hub pipeline. Nothing is downloaded without a token, and offline mode never
downloads. (``options.model`` names the ASR model and is not used here.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from woasr_cli.errors import ModelNotFound, ProviderUnavailable
from woasr_cli.media.audio import SAMPLE_RATE, Audio
from woasr_cli.options import TranscribeOptions, check_speaker_bounds
from woasr_cli.processing.diarization import Turn, relabel
from woasr_cli.pyannote_audio import import_pyannote_audio
from woasr_cli.runtime import few_blas_threads, few_torch_threads

HUB_PIPELINE = "pyannote/speaker-diarization-3.1"


def pipeline_source(pipeline: str | None, options: TranscribeOptions) -> tuple[str, str | None]:
    """(what to pass to ``Pipeline.from_pretrained``, token) or a clear ModelNotFound."""
    if pipeline:
        path = Path(pipeline).expanduser()
        if path.is_dir():
            path = path / "config.yaml"
        if path.is_file():
            return str(path), None
        if "/" in pipeline and not path.parent.exists() and options.hf_token:
            return pipeline, options.hf_token  # a hub id, e.g. pyannote/speaker-diarization-3.1
        raise ModelNotFound(f"pyannote pipeline '{pipeline}' not found (no config.yaml there)")
    if options.hf_token and not options.offline:
        return HUB_PIPELINE, options.hf_token
    raise ModelNotFound(
        "the pyannote backend needs a local pipeline directory (with config.yaml) or a "
        "Hugging Face token for the gated hub pipeline; or use --diarize-backend offline"
    )


def _import_pipeline() -> Any:
    try:
        return import_pyannote_audio()
    except (ImportError, OSError) as exc:
        # OSError: a torchaudio/torchcodec wheel built for another torch cannot load.
        raise ProviderUnavailable(
            "pyannote", "pyannote", str(exc).splitlines()[0], what="pyannote diarization"
        ) from None


class PyannoteDiarizer:
    def __init__(self, pipeline: Any) -> None:
        self._pipeline = pipeline

    @classmethod
    def load(cls, options: TranscribeOptions, pipeline: str | None = None) -> PyannoteDiarizer:
        pipeline = pipeline or options.diarize_model
        source, token = pipeline_source(pipeline, options)
        pipeline_cls = _import_pipeline()
        try:
            loaded = pipeline_cls.from_pretrained(source, token=token)
        except Exception as exc:  # pyannote raises many kinds; all mean "cannot load"
            raise ModelNotFound(f"cannot load pyannote pipeline '{source}': {exc}") from None
        if loaded is None:  # pyannote returns None for a gated model it may not fetch
            raise ModelNotFound(f"cannot load pyannote pipeline '{source}' (gated or missing)")
        return cls(loaded)

    def diarize(
        self,
        audio: Audio,
        *,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> list[Turn]:
        import torch

        check_speaker_bounds(num_speakers, min_speakers, max_speakers)
        waveform = torch.from_numpy(np.asarray(audio, dtype=np.float32)).unsqueeze(0)
        kwargs = {
            k: v
            for k, v in (
                ("num_speakers", num_speakers),
                ("min_speakers", min_speakers),
                ("max_speakers", max_speakers),
            )
            if v is not None
        }
        with few_torch_threads(), few_blas_threads():  # small models and matrices: see runtime
            result = self._pipeline({"waveform": waveform, "sample_rate": SAMPLE_RATE}, **kwargs)
        # pyannote 4 returns an object with .speaker_diarization; 3.x returns the Annotation.
        annotation = getattr(result, "speaker_diarization", result)
        # The last window is padded past the end of the audio, and turns can run into it.
        duration = len(audio) / SAMPLE_RATE
        return relabel(
            Turn(float(seg.start), min(float(seg.end), duration), str(label))
            for seg, _, label in annotation.itertracks(yield_label=True)
            if seg.start < duration
        )

"""``fast_conformer``: NVIDIA NeMo speech recognition models (FastConformer / Conformer CTC,
transducer, TDT and hybrids), in-process.

``--model`` is a ``.nemo`` file (``ASRModel.restore_from``) or a pretrained name: an HF hub id
found in the local hub cache, or, when online, anything ``ASRModel.from_pretrained`` downloads
(hub ids and NGC names). Input longer than ``CHUNK_S`` is cut in its quietest spots and the
pieces are decoded in batches of ``BATCH_SIZE`` (or ``--batch-size``). NeMo identifies no
language and has no voice activity detection here: ``--vad`` is not applied, and the language
reported is the one asked for, if any.
A cache-aware streaming model (``*_streaming_*``) is streamed chunk by chunk in live
transcription (``providers.nemo_streaming``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from woasr_cli.errors import ModelNotFound, ProviderUnavailable, first_line
from woasr_cli.media.audio import SAMPLE_RATE, Audio
from woasr_cli.media.windows import quiet_cut
from woasr_cli.models.cache import cached
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import LanguageInfo
from woasr_cli.providers.devices import pick_device, torch_cuda
from woasr_cli.providers.nemo_streaming import MODEL_TURN, CacheAwareStream, cache_aware
from woasr_cli.providers.nemo_timestamps import Span, hypothesis_segments
from woasr_cli.providers.word_groups import SEGMENT_GAP_S
from woasr_cli.transcript import Segment

DEFAULT_MODEL = "nvidia/stt_en_fastconformer_transducer_large"
# FastConformer models are trained on utterances up to ~20 s; 30 s pieces keep attention cheap
# on CPU and accuracy close to that, and each cut falls in a pause.
CHUNK_S = 30.0
# NeMo pads inputs shorter than 1 s on both sides, which would shift every timestamp; padding
# them on the right here keeps times exact.
MIN_SAMPLES = SAMPLE_RATE
BATCH_SIZE = 4


def _import_asr() -> Any:
    import logging

    # NeMo's telemetry (nv_one_logger) warns at import that it is disabled: noise on stderr.
    logging.getLogger("nv_one_logger").setLevel(logging.ERROR)
    try:
        import nemo.collections.asr as nemo_asr
        from nemo.utils import logging as nemo_logging
    except (ImportError, RuntimeError, AttributeError) as exc:
        # A NeMo that is installed but cannot import: a missing or mismatched dependency
        # (torch, lightning, numpy ABI). The first line of the cause is enough to act on.
        detail = f"import failed: {first_line(exc)}"
        raise ProviderUnavailable("fast_conformer", "nemo", detail) from None
    nemo_logging.set_verbosity(nemo_logging.ERROR)
    return nemo_asr


def split(audio: Audio, limit_s: float = CHUNK_S) -> list[tuple[float, Audio]]:
    """``(offset_seconds, samples)`` pieces of at most ~``limit_s``, cut in quiet spots."""
    limit = int(limit_s * SAMPLE_RATE)
    pieces, pos = [], 0
    while len(audio) - pos >= limit + SAMPLE_RATE:
        cut = pos + quiet_cut(audio[pos : pos + limit], limit)
        pieces.append((pos / SAMPLE_RATE, audio[pos:cut]))
        pos = cut
    if len(audio) > pos:
        pieces.append((pos / SAMPLE_RATE, audio[pos:]))
    return pieces


def _padded(samples: Audio) -> Audio:
    if len(samples) >= MIN_SAMPLES:
        return samples
    return np.pad(samples, (0, MIN_SAMPLES - len(samples))).astype(np.float32)


class NemoProvider:
    name = "fast_conformer"

    def __init__(self, model: Any, model_name: str, device: str) -> None:
        self._model = model
        self.model_name = model_name
        self.device = device
        stride = float(model.cfg.preprocessor.get("window_stride", 0.01))
        self.frame_s = stride * int(getattr(model.encoder, "subsampling_factor", 1))
        # NeMo's own segments (used where a model gives no word timestamps) then also end at
        # pauses, not only at . ? ! (and NeMo stops warning that the vocabulary lacks those).
        from omegaconf import open_dict

        with open_dict(model.cfg):
            gap = max(1, round(SEGMENT_GAP_S / self.frame_s))
            model.cfg.decoding.segment_gap_threshold = gap

    def transcribe(
        self, audio: Audio, options: TranscribeOptions
    ) -> tuple[Iterator[Segment], LanguageInfo]:
        pieces = split(audio)
        if not pieces:
            return iter([]), LanguageInfo(options.language)
        size = options.batch_size or BATCH_SIZE
        hypotheses: list[Any] = []
        for first in range(0, len(pieces), size):  # NeMo's own batches, one call each
            # not beside a live stream's step on the same model, which waits one batch at most
            with MODEL_TURN:
                batch = self._model.transcribe(
                    [_padded(samples) for _, samples in pieces[first : first + size]],
                    batch_size=size,
                    timestamps=True,
                    verbose=False,
                )
            if isinstance(batch, tuple):  # transducers in older NeMo: (best, n-best)
                batch = batch[0]
            hypotheses.extend(batch)
        segments: list[Segment] = []
        for (offset, samples), hypothesis in zip(pieces, hypotheses, strict=True):
            span = Span(offset, offset + len(samples) / SAMPLE_RATE, self.frame_s)
            segments.extend(hypothesis_segments(hypothesis, span))
        return iter(segments), LanguageInfo(options.language)

    def open_stream(self, lookahead_ms: int | None = None) -> CacheAwareStream | None:
        """A live stream through the model where it was trained for one (cache-aware: limited
        attention context, causal convolutions), else None (it is then re-transcribed).
        ``lookahead_ms``: one of the look-aheads the model was trained with (None: its own)."""
        if not cache_aware(self._model):
            return None
        return CacheAwareStream(self._model, lookahead_ms)


def _hub_cached(name: str) -> str | None:
    """The .nemo file of hub id ``name`` in the local hub cache, where NeMo would look first."""
    if "/" not in name:
        return None
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id=name, filename=PurePosixPath(name).name + ".nemo")
    return found if isinstance(found, str) else None


def _restore(asr: Any, path: str, name: str, device: str) -> Any:

    import torch

    try:
        model = asr.models.ASRModel.restore_from(path, map_location=torch.device(device))
    except Exception as exc:  # a file of the user's: tar, YAML, pickle, torch may each refuse
        raise ModelNotFound(
            f"cannot load NeMo model '{name}': {first_line(exc)} ({type(exc).__name__})"
        ) from None
    if not isinstance(model, asr.models.ASRModel):
        kind = type(model).__name__
        raise ModelNotFound(f"NeMo model '{name}' is a {kind}, not a speech recognition model")
    return model


def _download(asr: Any, name: str, device: str) -> Any:
    import torch

    try:
        return asr.models.ASRModel.from_pretrained(name, map_location=torch.device(device))
    except Exception as exc:  # NGC, the hub client and the network raise many unrelated types
        raise ModelNotFound(
            f"cannot fetch NeMo model '{name}': {first_line(exc)} ({type(exc).__name__}); "
            "pass a .nemo file with --model"
        ) from None


def _build(name: str, options: TranscribeOptions, device: str) -> Any:
    asr = _import_asr()
    path = Path(name).expanduser()
    if path.is_file():
        return _restore(asr, str(path), name, device)
    if path.suffix == ".nemo" or name.startswith((".", "/", "~")) or path.exists():
        raise ModelNotFound(f"no NeMo model file at {name} (expected a .nemo file)")
    hub_file = _hub_cached(name)
    if hub_file is not None:
        return _restore(asr, hub_file, name, device)
    if options.offline:
        raise ModelNotFound(
            f"NeMo model '{name}' is not in the local hub cache and woasr is offline: "
            "pass a .nemo file with --model"
        )
    return _download(asr, name, device)


def load(options: TranscribeOptions) -> NemoProvider:
    name = options.model or DEFAULT_MODEL
    device = pick_device(options.device, torch_cuda, "NeMo")
    if options.threads:
        import torch

        torch.set_num_threads(options.threads)
    local = Path(name).expanduser()
    key = str(local.resolve()) if local.is_file() else name
    model = cached(("fast_conformer", key, device), lambda: _build(name, options, device))
    model.eval()
    return NemoProvider(model, name, device)

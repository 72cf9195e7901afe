"""``origin_whisper``: OpenAI's reference Whisper implementation (PyTorch).

``--model`` is a model name (``tiny``, ``base.en``, ``large-v3`` ...; loaded from openai-whisper's
download cache, or downloaded when online) or a path to a ``.pt`` checkpoint. openai-whisper has
no voice activity detection of its own: ``--vad`` is not applied by this provider.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from woasr_cli.errors import CapabilityError, ModelNotFound, first_line
from woasr_cli.media.audio import Audio
from woasr_cli.models.cache import cached
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import LanguageInfo
from woasr_cli.providers.devices import pick_device, torch_cuda
from woasr_cli.providers.english_only import check_english_only
from woasr_cli.providers.registry import DEFAULT_BEAM_SIZE
from woasr_cli.providers.whisper_words import segment_text, whisper_words
from woasr_cli.runtime import torch_threads
from woasr_cli.transcript import Segment

DEFAULT_MODEL = "base"


def download_root(options: TranscribeOptions) -> Path:
    if options.model_cache_dir:
        return Path(options.model_cache_dir) / "openai-whisper"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "whisper"


class OpenAIWhisperProvider:
    name = "origin_whisper"

    def __init__(self, model: Any, model_name: str, device: str, fp16: bool) -> None:
        self._model = model
        self.model_name = model_name
        self.device = device
        self.fp16 = fp16

    def check(self, options: TranscribeOptions) -> None:
        """Refuse, before any audio, what this model cannot do."""
        check_english_only(self.model_name, bool(self._model.is_multilingual), options)

    def transcribe(
        self, audio: Audio, options: TranscribeOptions
    ) -> tuple[Iterator[Segment], LanguageInfo]:
        import whisper

        self.check(options)
        beam_size = options.beam_size or DEFAULT_BEAM_SIZE
        with torch_threads(options.threads):
            result = self._decode(whisper, audio, options, beam_size)
        duration = len(audio) / 16000
        converted = (_convert(s, duration) for s in result["segments"])
        segments = [s for s in converted if s is not None]
        return iter(segments), LanguageInfo(result.get("language") or options.language)

    def _decode(
        self, whisper: Any, audio: Audio, options: TranscribeOptions, beam_size: int
    ) -> dict[str, Any]:
        result: dict[str, Any] = whisper.transcribe(
            self._model,
            audio,
            language=options.language,
            task=options.task,
            temperature=options.temperature,
            beam_size=beam_size if options.temperature[0] == 0 else None,
            best_of=options.best_of,
            patience=options.patience if options.temperature[0] == 0 else None,
            condition_on_previous_text=options.condition_on_previous_text,
            no_speech_threshold=options.no_speech_threshold,
            compression_ratio_threshold=options.compression_ratio_threshold,
            logprob_threshold=options.logprob_threshold,
            hallucination_silence_threshold=options.hallucination_silence_threshold,
            initial_prompt=options.initial_prompt,
            word_timestamps=options.word_timestamps,
            fp16=self.fp16,
            verbose=None,
        )
        return result


def _clamp(value: Any, duration: float) -> float:
    # Whisper's timestamps can fall a few ms outside the audio (seen: -0.02 s).
    return min(max(float(value), 0.0), duration)


def _convert(seg: dict[str, Any], duration: float) -> Segment | None:
    """openai-whisper's segment as woasr's; None when it has nothing to read
    (whisper_words.segment_text)."""
    start, end = _clamp(seg["start"], duration), _clamp(seg["end"], duration)
    # Words stay inside their segment (degenerate decodes can time a word past its end).
    pieces = [
        (
            min(max(float(w["start"]), start), end),
            min(max(float(w["end"]), start), end),
            str(w["word"]),
            float(w["probability"]),
        )
        for w in seg.get("words", [])
    ]
    text = segment_text(pieces, str(seg["text"]))
    if text is None:
        return None
    words = whisper_words(pieces, text)
    return Segment(
        start=start,
        end=end,
        text=text,
        words=words,
        avg_logprob=float(seg["avg_logprob"]),
        no_speech_prob=float(seg["no_speech_prob"]),
    )


def _checkpoint(name: str, options: TranscribeOptions) -> str:
    """A local .pt path, or a known name whose checkpoint may be downloaded."""
    import whisper

    path = Path(name).expanduser()
    if path.is_file():
        return str(path)
    if path.suffix == ".pt" or os.sep in name:
        raise ModelNotFound(f"no openai-whisper checkpoint at {name}")
    if name not in whisper.available_models():
        known = ", ".join(whisper.available_models())
        raise ModelNotFound(
            f"unknown openai-whisper model '{name}' (known: {known}, or a .pt path)"
        )
    cached_file = download_root(options) / f"{name}.pt"
    if options.offline and not cached_file.is_file():
        raise ModelNotFound(
            f"openai-whisper model '{name}' is not in {cached_file.parent} and woasr is offline: "
            "pass a .pt checkpoint with --model"
        )
    return name


def half_precision(compute_type: str, device: str) -> bool:
    """Whether openai-whisper decodes in float16 (its ``fp16``): on a GPU unless float32 is
    asked for; on the CPU it decodes float32 whatever it is told, so float16 is refused there."""
    if compute_type == "float16" and device == "cpu":
        raise CapabilityError(
            "origin_whisper runs float16 on a GPU only (openai-whisper decodes float32 on the "
            "CPU): use --compute-type float32, or --device cuda"
        )
    return device == "cuda" and compute_type != "float32"


def load(options: TranscribeOptions) -> OpenAIWhisperProvider:
    import whisper

    name = options.model or DEFAULT_MODEL
    device = pick_device(options.device, torch_cuda, "openai-whisper")
    fp16 = half_precision(options.compute_type, device)
    checkpoint = _checkpoint(name, options)

    def build() -> Any:
        try:
            return whisper.load_model(
                checkpoint, device=device, download_root=str(download_root(options))
            )
        except Exception as exc:  # a file of the user's: torch and pickle raise many types
            if isinstance(exc, pickle.UnpicklingError):  # torch's page of weights_only advice
                reason = "not an openai-whisper checkpoint (a .pt file torch.load reads)"
            else:
                reason = f"{first_line(exc)} ({type(exc).__name__})"
            raise ModelNotFound(f"cannot load openai-whisper model '{name}': {reason}") from None

    model = cached(("origin_whisper", checkpoint, device), build)
    return OpenAIWhisperProvider(model, name, device, fp16)

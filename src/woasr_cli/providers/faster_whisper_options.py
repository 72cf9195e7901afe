"""woasr's decoding options as faster-whisper's sequential ``WhisperModel.transcribe`` takes them:
one mapping for sequential decoding (faster_whisper_engine) and for the chunks batched decoding
decodes again alone (faster_whisper_batch's fallback)."""

from __future__ import annotations

from typing import Any

from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.registry import DEFAULT_BEAM_SIZE


def transcribe_kwargs(options: TranscribeOptions) -> dict[str, Any]:
    """Keyword arguments of ``WhisperModel.transcribe`` for ``options``, VAD left to the
    caller."""
    return {
        "language": options.language,
        "task": options.task,
        "beam_size": options.beam_size or DEFAULT_BEAM_SIZE,
        "best_of": options.best_of,
        "patience": options.patience,
        "temperature": list(options.temperature),
        "condition_on_previous_text": options.condition_on_previous_text,
        "no_speech_threshold": options.no_speech_threshold,
        "compression_ratio_threshold": options.compression_ratio_threshold,
        "log_prob_threshold": options.logprob_threshold,
        "hallucination_silence_threshold": options.hallucination_silence_threshold,
        "max_new_tokens": options.max_new_tokens,
        "initial_prompt": options.initial_prompt,
        "hotwords": options.hotwords,
        "word_timestamps": options.word_timestamps,
    }

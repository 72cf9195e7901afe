"""The one guard for English-only models (``tiny.en``, ``base.en``, ...): they can neither
translate nor transcribe another language, whatever engine runs them."""

from __future__ import annotations

from woasr_cli.errors import CapabilityError
from woasr_cli.options import TranscribeOptions


def check_english_only(model_name: str, multilingual: bool, options: TranscribeOptions) -> None:
    if multilingual:
        return
    if options.language not in (None, "en"):
        raise CapabilityError(
            f"model '{model_name}' is English-only; use a multilingual model "
            f"(e.g. --model base) for --language {options.language}"
        )
    if options.task == "translate":
        raise CapabilityError(f"model '{model_name}' is English-only: cannot translate")

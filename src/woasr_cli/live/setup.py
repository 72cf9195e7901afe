"""Options and provider for a live stream, checked against what the provider can do."""

from __future__ import annotations

from woasr_cli.errors import CapabilityError
from woasr_cli.live.processor import StreamConfig, StreamProcessor
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers import get_spec, load_provider
from woasr_cli.providers.base import Provider


def live_options(options: TranscribeOptions) -> TranscribeOptions:
    """The options each pass uses: word times where the provider has them, no batching across
    files (one short buffer at a time), no VAD inside the pass (the stream is gated before it),
    and a single temperature unless asked (a fallback pass doubles a pass's cost)."""
    spec = get_spec(options.provider)
    if options.task == "translate":
        raise CapabilityError("live transcription does not translate (--task translate)")
    if options.diarize or options.align:
        raise CapabilityError("live transcription does not align or diarize")
    changes: dict[str, object] = {
        "word_timestamps": spec.capabilities.word_timestamps,
        "vad": False,
        "batch_size": 1,
    }
    if options.temperature == TranscribeOptions().temperature:
        changes["temperature"] = (0.0,)
    return options.with_changes(**changes)


def load_live_provider(options: TranscribeOptions) -> Provider:
    """Load the provider for ``live_options(options)`` (cached: one model per provider/model)."""
    return load_provider(options)


def open_processor(
    options: TranscribeOptions, config: StreamConfig | None = None, provider: Provider | None = None
) -> StreamProcessor:
    opts = live_options(options)
    spec = get_spec(opts.provider)
    return StreamProcessor(
        provider or load_live_provider(opts), opts, config, prompt=spec.capabilities.initial_prompt
    )

"""Options and the loaded model for a live stream, checked against what the provider can do."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from woasr_cli.errors import CapabilityError
from woasr_cli.live.native import NativeStreamProcessor
from woasr_cli.live.processor import LiveProcessor, StreamConfig, StreamProcessor
from woasr_cli.options import TranscribeOptions, parse_formats
from woasr_cli.providers import get_spec
from woasr_cli.providers.base import check_options

if TYPE_CHECKING:
    from woasr_cli.transcriber import Transcriber


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
        # an engine that always runs its own (whisperX) keeps it: the gate cannot turn it off
        "vad": None if spec.capabilities.vad == "always" else False,
        "batch_size": 1,
    }
    if options.temperature == TranscribeOptions().temperature:
        changes["temperature"] = (0.0,)
    return options.with_changes(**changes)


def live_formats(values: Iterable[str] | str) -> tuple[str, ...]:
    """The formats a stream's files are written in (``-f``, a config's ``formats``): what
    :func:`~woasr_cli.options.parse_formats` takes, less rttm, for live does not diarize."""
    formats = parse_formats(values)
    if "rttm" in formats:
        raise CapabilityError(
            "live transcription does not diarize: it has no speaker turns to write as rttm"
        )
    return formats


def live_transcriber(options: TranscribeOptions) -> Transcriber:
    """A :class:`Transcriber` loaded for live passes; share it between streams of one model."""
    from woasr_cli.transcriber import Transcriber

    return Transcriber(live_options(options))


def open_processor(
    options: TranscribeOptions,
    config: StreamConfig | None = None,
    transcriber: Transcriber | None = None,
    lookahead_ms: int | None = None,
) -> LiveProcessor:
    """A processor for one stream; ``transcriber`` (from :func:`live_transcriber`) shares a
    model already loaded, and ``options`` may then differ from it only per call (language).
    A model that streams by itself (a cache-aware NeMo FastConformer) is streamed so
    (:mod:`woasr_cli.live.native`), with ``lookahead_ms`` of look-ahead if given (one the
    model was trained with); any other is re-transcribed as audio arrives, and a look-ahead
    asked of it is refused."""
    if transcriber is None:
        transcriber = live_transcriber(options)
    options = live_options(options)
    # Before any audio or file: a language the model lacks was found at the first pass (the
    # CLI had written its empty files by then; a WebSocket closed with 1006, no reason given).
    check_options(transcriber.provider, options)
    open_stream = getattr(transcriber.provider, "open_stream", None)
    stream = open_stream(lookahead_ms) if open_stream is not None else None
    if stream is not None:
        return NativeStreamProcessor(stream, options, vad=(config or StreamConfig()).vad)
    if lookahead_ms is not None:
        raise CapabilityError(
            f"look-ahead {lookahead_ms} ms: only a cache-aware streaming model (fast_conformer "
            f"with a *_streaming_* FastConformer) has one; {options.provider} re-transcribes "
            "the stream as audio arrives"
        )
    return StreamProcessor(transcriber, config, options=options)

"""What a run may do with a provider, settled once before any model loads.

:class:`~woasr_cli.options.TranscribeOptions` checks each value on its own; :func:`prepare`
checks the options against the provider they name (its declared capabilities) and fills in
the defaults that depend on it. Every front end gets the same answer because every front end
goes through :class:`~woasr_cli.transcriber.Transcriber` or :func:`~woasr_cli.jobs.batch.run_batch`,
which call it.
"""

from __future__ import annotations

from collections.abc import Mapping

from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.registry import (
    check_capabilities,
    default_word_timestamps,
    engine_defaults,
    get_spec,
    needs_sequential,
)


def prepare(options: TranscribeOptions) -> TranscribeOptions:
    """The options with provider-dependent defaults filled in; raises ``UsageError`` (or
    ``CapabilityError``) for an unknown provider or an option it cannot honour."""
    if not isinstance(options, TranscribeOptions):  # {"language": "en"} from a library caller
        hint = ": TranscribeOptions.from_mapping reads one" if isinstance(options, Mapping) else ""
        raise TypeError(f"options must be TranscribeOptions, not {type(options).__name__}{hint}")
    spec = get_spec(options.provider)
    options = engine_defaults(spec, options)
    if options.word_timestamps is None:
        # on for diarization (speakers go word by word), and where the engine gives them
        # cheaply (the default subtitle layout cuts cues at pauses by them); --align makes its own
        words = default_word_timestamps(spec.name, diarize=options.diarize, align=options.align)
        if spec.capabilities.word_timestamps_by_default and not options.align:
            words = True
        options = options.with_changes(word_timestamps=words)
    if options.batch_size == 0 and needs_sequential(spec, options):
        # e.g. --hallucination-silence-threshold: only sequential decoding honours it, so the
        # automatic batch size becomes 1 rather than the option being dropped
        options = options.with_changes(batch_size=1)
    check_capabilities(spec, options)
    if options.speakers_dir:
        from pathlib import Path

        from woasr_cli.processing.enrollment import enrollment_clips

        enrollment_clips(Path(options.speakers_dir))  # a bad folder fails before any model loads
    return options

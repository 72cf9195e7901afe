"""What a run may do with a provider, settled once before any model loads.

:class:`~woasr_cli.options.TranscribeOptions` checks each value on its own; :func:`prepare`
checks the options against the provider they name (its declared capabilities) and fills in
the defaults that depend on it. Every front end gets the same answer because every front end
goes through :class:`~woasr_cli.transcriber.Transcriber` or :func:`~woasr_cli.jobs.batch.run_batch`,
which call it.
"""

from __future__ import annotations

from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.registry import check_capabilities, default_word_timestamps, get_spec

DEFAULT_BEAM_SIZE = 5


def prepare(options: TranscribeOptions) -> TranscribeOptions:
    """The options with provider-dependent defaults filled in; raises ``UsageError`` (or
    ``CapabilityError``) for an unknown provider or an option it cannot honour."""
    spec = get_spec(options.provider)
    caps = spec.capabilities
    defaults: dict[str, object] = {}
    if options.beam_size is None and caps.beam_size:
        defaults["beam_size"] = DEFAULT_BEAM_SIZE
    if options.vad is None:
        defaults["vad"] = caps.vad != "none"
    if defaults:
        options = options.with_changes(**defaults)
    if options.word_timestamps is None:
        options = options.with_changes(
            word_timestamps=default_word_timestamps(
                spec.name, diarize=options.diarize, align=options.align
            )
        )
    check_capabilities(spec, options)
    return options

"""Which raw PCM a live stream takes: the one rule for ``woasr listen --stdin`` (its
``--sample-rate`` and ``--channels``) and the WebSocket stream's config. No numpy here, so the
command line's options can name the bounds without loading an engine."""

from __future__ import annotations

MIN_RATE, MAX_RATE = 8000, 192000  # a telephone line to a studio interface's 192 kHz
MAX_CHANNELS = 8


def pcm_format_error(
    rate: object, channels: object, names: tuple[str, str] = ("sample_rate", "channels")
) -> str | None:
    """Why raw PCM at ``rate`` Hz with ``channels`` channels cannot be taken, or None; the
    fields are called ``names`` in the message (the stream's config fields, or listen's flags).
    The stream stopped at 48 kHz, so an audio interface's 96 kHz was refused there and taken
    by listen."""
    if not isinstance(rate, int) or isinstance(rate, bool) or not MIN_RATE <= rate <= MAX_RATE:
        return f"{names[0]} must be a whole number of Hz from {MIN_RATE} to {MAX_RATE}"
    if (
        not isinstance(channels, int)
        or isinstance(channels, bool)
        or not 1 <= channels <= MAX_CHANNELS
    ):
        return f"{names[1]} must be a whole number from 1 to {MAX_CHANNELS}"
    return None

"""The faulty provider's engine module: ``load(options)`` as the registry calls it."""

from __future__ import annotations

from faultyprovider import FaultyProvider
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import Provider


def load(options: TranscribeOptions) -> Provider:
    from woasr_cli.providers.faster_whisper_engine import load as load_faster_whisper

    return FaultyProvider(load_faster_whisper(options))

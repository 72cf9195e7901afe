"""A provider plugin for fault tests (engine module ``faultyprovider.engine``): faster-whisper
whose segment iterator raises a bug-like error (:class:`InjectedBug`, no woasr error nor an
engine's ``RuntimeError``) after the first segment of a file, as an unexpected library error or
a bug in woasr would mid-file.

``register_faulty()`` adds it to the registry under ``NAME`` (the spec of ``faster_whisper``
with this module as its engine); ``unregister_faulty()`` takes it out again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from woasr_cli.media.audio import Audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers import registry
from woasr_cli.providers.base import LanguageInfo, Provider
from woasr_cli.transcript import Segment

NAME = "fault_injected"


class InjectedBug(Exception):
    """Raised by the faulty provider; deliberately not a WoasrError, RuntimeError, ..."""


class FaultyProvider:
    def __init__(self, inner: Provider) -> None:
        self.inner = inner
        self.name = NAME
        self.model_name = inner.model_name

    def transcribe(
        self, audio: Audio, options: TranscribeOptions
    ) -> tuple[Iterator[Segment], LanguageInfo]:
        segments, info = self.inner.transcribe(audio, options)

        def after_first() -> Iterator[Segment]:
            yield next(segments)
            raise InjectedBug("injected fault after the first segment\nsecond line")

        return after_first(), info


def register_faulty() -> None:
    spec = registry.get_spec("faster_whisper")
    # A plugin's module is named by a dotted path (woasr_cli.providers.<name> otherwise).
    registry.register(replace(spec, name=NAME, module=f"{__name__}.engine"))


def unregister_faulty() -> None:
    registry._SPECS.pop(NAME, None)

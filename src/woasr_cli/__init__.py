"""woasr: offline-first transcription of audio and video into subtitles and transcripts.

The library every front end (the CLI, ``woasr serve``, Ray workers, live streaming) is built on::

    from woasr_cli import TranscribeOptions, Transcriber, render, run_batch

    options = TranscribeOptions(model="tiny.en", formats=("srt", "json"))
    with Transcriber(options) as transcriber:
        transcript = transcriber.transcribe("talk.mp4")
    print(render(transcript, "srt")["srt"])

    result = run_batch(["media/"], options, "subs/")  # resumable, recorded in a manifest

Names are imported on first use, so ``import woasr_cli`` (and ``woasr --help``) stays fast.
See docs/api.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "BatchResult": "woasr_cli.jobs.runner",
    "CapabilityError": "woasr_cli.errors",
    "Event": "woasr_cli.events",
    "FormatOptions": "woasr_cli.formats.options",
    "InputError": "woasr_cli.errors",
    "Interrupted": "woasr_cli.errors",
    "MediaError": "woasr_cli.errors",
    "ModelNotFound": "woasr_cli.errors",
    "ProviderUnavailable": "woasr_cli.errors",
    "Reporter": "woasr_cli.events",
    "Resume": "woasr_cli.pipeline",
    "Segment": "woasr_cli.transcript",
    "TranscribeOptions": "woasr_cli.options",
    "Transcriber": "woasr_cli.transcriber",
    "Transcript": "woasr_cli.transcript",
    "UsageError": "woasr_cli.errors",
    "WoasrError": "woasr_cli.errors",
    "Word": "woasr_cli.transcript",
    "render": "woasr_cli.outputs",
    "retry_batch": "woasr_cli.jobs.batch",
    "run_batch": "woasr_cli.jobs.batch",
    "write_outputs": "woasr_cli.outputs",
}

__all__ = [
    "BatchResult",
    "CapabilityError",
    "Event",
    "FormatOptions",
    "InputError",
    "Interrupted",
    "MediaError",
    "ModelNotFound",
    "ProviderUnavailable",
    "Reporter",
    "Resume",
    "Segment",
    "TranscribeOptions",
    "Transcriber",
    "Transcript",
    "UsageError",
    "WoasrError",
    "Word",
    "__version__",
    "render",
    "retry_batch",
    "run_batch",
    "write_outputs",
]

if TYPE_CHECKING:
    from woasr_cli.errors import (
        CapabilityError,
        InputError,
        Interrupted,
        MediaError,
        ModelNotFound,
        ProviderUnavailable,
        UsageError,
        WoasrError,
    )
    from woasr_cli.events import Event, Reporter
    from woasr_cli.formats.options import FormatOptions
    from woasr_cli.jobs.batch import retry_batch, run_batch
    from woasr_cli.jobs.runner import BatchResult
    from woasr_cli.options import TranscribeOptions
    from woasr_cli.outputs import render, write_outputs
    from woasr_cli.pipeline import Resume
    from woasr_cli.transcriber import Transcriber
    from woasr_cli.transcript import Segment, Transcript, Word


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'woasr_cli' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))

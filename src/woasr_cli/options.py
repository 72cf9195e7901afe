"""Typed options, built once (CLI flags, ``WOASR_*`` environment) and passed down.

Nothing deeper in the library reads the environment: the CLI builds a :class:`TranscribeOptions`
and hands it to the pipeline. ``fingerprint()`` covers exactly the fields that change a result,
so the manifest can tell whether a finished job is still valid.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

Task = Literal["transcribe", "translate"]
Device = Literal["auto", "cpu", "cuda"]

ALL_FORMATS: tuple[str, ...] = ("vtt", "srt", "json", "txt", "tsv")

# Fields that only shape output files or scheduling; they never change the transcript itself.
_NOT_IN_FINGERPRINT = frozenset(
    {
        "formats",
        "max_line_width",
        "max_line_count",
        "highlight_words",
        "device",
        "threads",
        "workers",
        "batch_size",
        "pack",
        "compute_type",
        "model_cache_dir",
        "offline",
    }
)
# Credentials: never hashed, never written to a transcript or the manifest.
_SECRETS = frozenset({"hf_token", "openai_api_key"})
# Hashed only when set, so that fingerprints made before these fields existed stay valid.
_HASHED_WHEN_SET = frozenset({"openai_base_url"})


@dataclass(frozen=True)
class TranscribeOptions:
    provider: str = "faster_whisper"
    model: str | None = None  # None: the provider's default model
    language: str | None = None  # None: detect
    task: Task = "transcribe"
    beam_size: int = 5
    temperature: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    initial_prompt: str | None = None
    hotwords: str | None = None
    word_timestamps: bool = False
    vad: bool = True
    device: Device = "auto"
    compute_type: str = "default"
    threads: int = 0  # 0: chosen from the machine
    batch_size: int = 0  # 0: chosen from the machine; 1 disables batching
    pack: bool = False  # short chunks of several files share one 30 s model input
    workers: int = 0  # 0: chosen from the machine
    model_cache_dir: str | None = None  # None: ~/.cache/woasr/models
    offline: bool = False  # never try a hub download
    # Post-processing
    align: bool = False
    align_model: str | None = None
    diarize: bool = False
    diarize_backend: str = "offline"
    diarize_model: str | None = None  # pyannote: pipeline directory, config.yaml or hub id
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    hf_token: str | None = field(default=None, repr=False, compare=False)
    # External provider ``openai_api``: any OpenAI-compatible endpoint.
    openai_base_url: str | None = None
    openai_api_key: str | None = field(default=None, repr=False, compare=False)
    # Output shaping
    formats: tuple[str, ...] = ALL_FORMATS
    max_line_width: int | None = None
    max_line_count: int | None = None
    highlight_words: bool = False

    def fingerprint(self) -> str:
        """A short stable hash of every field that changes the transcript."""
        data = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in _NOT_IN_FINGERPRINT
            and f.name not in _SECRETS
            and not (f.name in _HASHED_WHEN_SET and getattr(self, f.name) is None)
        }
        blob = json.dumps(data, sort_keys=True, default=list)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def public_dict(self) -> dict[str, Any]:
        """Options as recorded in the JSON transcript (secrets left out)."""
        out = asdict(self)
        for secret in _SECRETS:
            out.pop(secret, None)
        out["temperature"] = list(self.temperature)
        out["formats"] = list(self.formats)
        return out

    def with_changes(self, **changes: Any) -> TranscribeOptions:
        return replace(self, **changes)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TranscribeOptions:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        for key in ("temperature", "formats"):
            if key in kwargs and kwargs[key] is not None:
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)

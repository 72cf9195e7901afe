"""The server's settings: one frozen object built by ``woasr serve`` (flags + environment)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from woasr_cli.errors import UsageError
from woasr_cli.model_pool import DEFAULT_MAX_MODELS
from woasr_cli.options import TranscribeOptions

API_KEY_ENV = "WOASR_API_KEY"


@dataclass(frozen=True)
class ServerSettings:
    data_dir: Path = Path("woasr-data")
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None
    max_upload_mb: float = 500.0  # per request body
    keep_days: float | None = None  # None: keep uploads and results forever
    insecure: bool = False
    cors_origins: tuple[str, ...] = ()
    max_queue: int = 256  # files waiting or running; past it new jobs get 503
    workers: int = 0  # files transcribed at once; 0: what the provider batches well
    default_model: str | None = None  # None: the provider's default model
    device: str = "auto"
    max_streams: int = 2  # live WebSocket streams at once; more are refused with 1013
    max_files: int = 10  # per upload request and per job, as the original
    # Models (Transcribers: model, compute type, batch size, diarization...) loaded at once;
    # to load another the least recently used idle one is unloaded. None: never by time.
    max_models: int = DEFAULT_MAX_MODELS
    model_idle_s: float | None = None
    # External providers' settings (option name -> value, e.g. openai_base_url and
    # openai_api_key for ``openai_api``), from the flags and WOASR_* variables as ``woasr
    # transcribe`` reads them; never stored with a job, given to each run of it.
    provider_settings: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    def complete(self, options: TranscribeOptions) -> TranscribeOptions:
        """``options`` with the server's provider settings filled in where the job left them
        unset (a job's record never holds the key)."""
        missing = {
            k: v for k, v in self.provider_settings.items() if v and getattr(options, k) is None
        }
        return options.with_changes(**missing) if missing else options

    def configured(self, options: TranscribeOptions) -> TranscribeOptions:
        """:meth:`complete`, or ``UsageError`` naming the ``woasr serve`` flags a provider
        still lacks: one answer for the job API and the OpenAI-compatible routes."""
        from woasr_cli.providers.registry import get_spec

        options = self.complete(options)
        unset = get_spec(options.provider).unset(options)
        if unset:
            raise UsageError(
                f"provider '{options.provider}' is not configured on this server: start woasr "
                "serve with " + ", ".join(f"{s.flag} (or {s.env})" for s in unset)
            )
        return options

    def check(self) -> None:
        """Refuse a non-loopback bind without an API key unless ``insecure``."""
        if self.api_key or self.insecure or is_loopback(self.host):
            return
        raise UsageError(
            f"refusing to listen on {self.host} without an API key: set --api-key or "
            f"{API_KEY_ENV}, or pass --insecure to serve it open"
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

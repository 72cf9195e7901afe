"""ASR providers behind one interface; engines are imported only when a provider loads."""

from woasr_cli.media.audio import Audio
from woasr_cli.providers import catalog as _catalog  # noqa: F401  (registers the specs)
from woasr_cli.providers.base import Capabilities, LanguageInfo, Provider
from woasr_cli.providers.registry import (
    ProviderSpec,
    check_capabilities,
    get_spec,
    load_provider,
    specs,
)

__all__ = [
    "Audio",
    "Capabilities",
    "LanguageInfo",
    "Provider",
    "ProviderSpec",
    "check_capabilities",
    "get_spec",
    "load_provider",
    "specs",
]

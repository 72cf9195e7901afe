"""Registry of providers: name -> spec, with the engine module imported only when used."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from woasr_cli.errors import CapabilityError, ProviderUnavailable, UsageError
from woasr_cli.options import WHISPER_TEMPERATURES, TranscribeOptions, non_default_decoding
from woasr_cli.providers.base import Capabilities, Provider
from woasr_cli.providers.compute_types import check_compute_type


@dataclass(frozen=True)
class Setting:
    """A value a provider cannot run without (an endpoint, a key): where the user gives it."""

    option: str  # TranscribeOptions field
    env: str  # WOASR_* variable the CLI reads it from
    flag: str  # CLI flag


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    # woasr_cli.providers.<module>, or any importable dotted path (a plugin): the module
    # defines ``load(options) -> Provider`` and is imported only when the provider loads
    module: str
    extra: str  # pip extra that installs the engine; "" for an engine woasr itself depends on
    requires: tuple[str, ...]  # importable top-level modules the engine needs
    default_model: str
    capabilities: Capabilities
    summary: str
    # Worker processes when the user did not say (the engine parallelises inside one process
    # unless it says otherwise).
    default_workers: Callable[[TranscribeOptions], int] = lambda options: 1
    settings: tuple[Setting, ...] = ()  # all needed: the provider is off until they are given

    def unset(self, options: TranscribeOptions) -> list[Setting]:
        """Settings this provider needs that ``options`` leaves empty."""
        return [s for s in self.settings if not getattr(options, s.option)]

    def missing(self) -> list[str]:
        """Top-level modules this engine needs that are not importable here."""
        return [m for m in self.requires if importlib.util.find_spec(m) is None]

    @property
    def installed(self) -> bool:
        return not self.missing()

    @property
    def install(self) -> str:
        """The command that installs this engine."""
        return install_command(self.extra)


def install_command(extra: str) -> str:
    return f"pip install 'woasr[{extra}]'" if extra else "pip install woasr"


_SPECS: dict[str, ProviderSpec] = {}


def register(spec: ProviderSpec) -> None:
    _SPECS[spec.name] = spec


def specs() -> list[ProviderSpec]:
    return list(_SPECS.values())


def get_spec(name: str) -> ProviderSpec:
    try:
        return _SPECS[name]
    except KeyError:
        known = ", ".join(sorted(_SPECS))
        raise UsageError(f"unknown provider '{name}' (known: {known})") from None


def default_word_timestamps(provider: str, *, diarize: bool, align: bool) -> bool:
    """Word timestamps when the user did not say: on for diarization, so that speakers are
    assigned word by word and segments split where the speaker changes, if the provider gives
    word times and ``--align`` does not (it makes its own)."""
    if not diarize or align:
        return False
    spec = _SPECS.get(provider)
    return spec is not None and spec.capabilities.word_timestamps


DEFAULT_BEAM_SIZE = 5


def engine_defaults(spec: ProviderSpec, options: TranscribeOptions) -> TranscribeOptions:
    """Options left to the engine (``None``) set to what this engine does by default."""
    caps = spec.capabilities
    defaults: dict[str, object] = {}
    if options.beam_size is None and caps.beam_size:
        defaults["beam_size"] = DEFAULT_BEAM_SIZE
    if options.vad is None:
        defaults["vad"] = caps.vad != "none"
    return options.with_changes(**defaults) if defaults else options


def check_capabilities(spec: ProviderSpec, options: TranscribeOptions) -> None:
    """Refuse, before any work, options the provider cannot honour (``None`` means "the
    engine's default" and is always accepted)."""
    unset = spec.unset(options)
    if unset:
        wanted = ", ".join(f"{s.flag} (or {s.env})" for s in unset)
        raise UsageError(f"provider '{spec.name}' is not configured: set {wanted}")
    caps = spec.capabilities
    if options.beam_size is not None and not caps.beam_size:
        raise CapabilityError(f"provider '{spec.name}' has no beam search (--beam-size)")
    if options.vad and caps.vad == "none":
        raise CapabilityError(
            f"provider '{spec.name}' has no voice activity detection: drop --vad"
        )
    if options.vad is False and caps.vad == "always":
        raise CapabilityError(f"provider '{spec.name}' always uses voice activity detection")
    if options.task == "translate" and not caps.translate:
        raise CapabilityError(f"provider '{spec.name}' cannot translate (--task translate)")
    if options.word_timestamps and not caps.word_timestamps:
        raise CapabilityError(
            f"provider '{spec.name}' gives no word timestamps; use --align for word times"
        )
    if options.hotwords and not caps.hotwords:
        raise CapabilityError(f"provider '{spec.name}' does not support --hotwords")
    if options.initial_prompt and not caps.initial_prompt:
        raise CapabilityError(f"provider '{spec.name}' does not support --initial-prompt")
    if not caps.sampling and options.temperature != WHISPER_TEMPERATURES and any(
        t > 0 for t in options.temperature
    ):
        raise CapabilityError(
            f"provider '{spec.name}' does not sample (--temperature above 0): it decodes "
            "greedily or by beam; drop --temperature or give 0"
        )
    for name in non_default_decoding(options):
        flag = decoding_flag(options, name)
        if name in caps.decoding_options:
            continue
        if name not in caps.sequential_options:
            raise CapabilityError(f"provider '{spec.name}' does not support {flag}")
        if options.batch_size > 1:
            raise CapabilityError(
                f"{flag} needs sequential decoding with provider '{spec.name}': "
                "use --batch-size 1 (or leave --batch-size out)"
            )
    if options.language and not caps.language_option:
        raise CapabilityError(
            f"provider '{spec.name}' cannot be told a language (--language "
            f"{options.language}): its models transcribe the one they were trained on; "
            "drop --language"
        )
    check_compute_type(spec.name, caps.compute_types, options.compute_type)
    if options.language and caps.languages is not None and options.language not in caps.languages:
        langs = ", ".join(sorted(caps.languages))
        raise CapabilityError(
            f"provider '{spec.name}' does not handle language '{options.language}' ({langs})"
        )


def decoding_flag(options: TranscribeOptions, name: str) -> str:
    """The CLI flag that sets decoding option ``name`` to its value in ``options``."""
    flag = name.replace("_", "-")
    return f"--no-{flag}" if getattr(options, name) is False else f"--{flag}"


def needs_sequential(spec: ProviderSpec, options: TranscribeOptions) -> bool:
    """Whether the options ask for something only the engine's sequential decoding does."""
    return any(n in spec.capabilities.sequential_options for n in non_default_decoding(options))


def load_provider(options: TranscribeOptions) -> Provider:
    """Check capabilities and installation, import the engine module and load the model."""
    spec = get_spec(options.provider)
    options = engine_defaults(spec, options)
    check_capabilities(spec, options)
    missing = spec.missing()
    if missing:
        raise ProviderUnavailable(spec.name, spec.extra, "missing " + ", ".join(missing))
    name = spec.module if "." in spec.module else f"woasr_cli.providers.{spec.module}"
    module = importlib.import_module(name)
    loader: Callable[[TranscribeOptions], Provider] = module.load
    return loader(options)

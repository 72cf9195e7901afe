"""The one exception hierarchy of woasr.

::

    WoasrError                      any failure woasr can explain in one line
    ├── UsageError                  bad flag, unknown provider/format, impossible option mix
    │   └── CapabilityError         the provider cannot do what was asked (e.g. translate)
    ├── ProviderUnavailable         the provider's optional extra is not installed
    ├── ModelNotFound               a model name/path does not resolve (offline, typo, ...)
    ├── InputError                  one input cannot be used (per-file; the batch goes on)
    │   └── MediaError              not decodable media: empty, corrupt, no audio stream
    ├── OutputError                 cannot write outputs (permissions, disk full)
    ├── ManifestError               the job manifest is unreadable or locked
    │   └── LeaseLost               another process took over a job whose lease ran out
    └── Interrupted                 the user asked us to stop (Ctrl-C / SIGTERM)

The CLI maps these to exit codes in one table (``woasr_cli.cli.exit_codes``).
"""

from __future__ import annotations


class WoasrError(Exception):
    """Base class: ``str(err)`` is a complete one-line message for the user."""


class UsageError(WoasrError):
    pass


class CapabilityError(UsageError):
    pass


class ProviderUnavailable(WoasrError):
    """An optional extra is not installed. ``provider`` names the ASR provider that needs it;
    ``what`` names anything else (a command, a diarization backend) in the message instead."""

    def __init__(
        self, provider: str, extra: str, detail: str = "", *, what: str | None = None
    ) -> None:
        install = f"pip install 'woasr[{extra}]'" if extra else "pip install woasr"
        msg = f"{what or f'provider {provider!r}'} needs: {install}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)
        self.provider = provider
        self.extra = extra


class ModelNotFound(WoasrError):
    pass


class InputError(WoasrError):
    pass


class MediaError(InputError):
    pass


class NeedsWholeFile(MediaError):
    """Media that cannot be read front to back from a stream (an MP4 whose index is at its
    end); the front-end says how to send the whole file instead."""


class OutputError(WoasrError):
    pass


class ManifestError(WoasrError):
    pass


class LeaseLost(ManifestError):
    pass


class Interrupted(WoasrError):
    pass


def first_line(exc: BaseException) -> str:
    """An engine's exception as one line for a message: its first line, or its type's name
    when it says nothing (library errors run to pages of advice and tracebacks)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]

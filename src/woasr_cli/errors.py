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
    """``path``: the input it is about, where the library was handed a path
    (``Transcriber.transcribe`` sets it): ``str()`` then names it ("talk.mp3: no such file"),
    and :func:`reason` gives the message alone, for a front-end that names the input itself."""

    path: str | None = None

    def __str__(self) -> str:
        message = super().__str__()
        return f"{self.path}: {message}" if self.path else message


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
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def reason(exc: BaseException) -> str:
    """An error's message without the input it names (:class:`InputError`'s ``path``): for
    front-ends that print the input beside it, or must not show a server's own path."""
    if isinstance(exc, InputError) and exc.path:
        return Exception.__str__(exc)
    return str(exc)

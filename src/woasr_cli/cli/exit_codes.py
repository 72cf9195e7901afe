"""The one table from outcome to process exit code (documented in docs/cli.md)."""

from __future__ import annotations

from woasr_cli.errors import (
    CapabilityError,
    Interrupted,
    ManifestError,
    ModelNotFound,
    OutputError,
    ProviderUnavailable,
    UsageError,
    WoasrError,
)

OK = 0
SOME_FAILED = 1  # at least one input failed; the others were done
USAGE = 2  # bad flag, unknown provider/model/format, missing extra
INTERRUPTED = 130  # Ctrl-C (SIGINT); rerun to resume
TERMINATED = 143  # SIGTERM (128 + 15, as shells report it); rerun to resume

_TABLE: tuple[tuple[type[WoasrError], int], ...] = (
    (Interrupted, INTERRUPTED),
    (CapabilityError, USAGE),
    (UsageError, USAGE),
    (ProviderUnavailable, USAGE),
    (ModelNotFound, USAGE),
    (ManifestError, SOME_FAILED),
    (OutputError, SOME_FAILED),
)


def exit_code_for(error: WoasrError) -> int:
    for kind, code in _TABLE:
        if isinstance(error, kind):
            return code
    return SOME_FAILED

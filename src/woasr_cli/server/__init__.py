"""``woasr serve``: the original World-of-ASR job API and an OpenAI-compatible API over HTTP.

The server maps HTTP to the library and adds nothing else: option validation, formats and the
writing of outputs stay in the library; jobs live in the manifest under the data directory, so
they survive a restart. FastAPI is imported only by :func:`create_app` callers.
"""

from __future__ import annotations

from woasr_cli.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]


def __getattr__(name: str) -> object:
    if name == "create_app":
        from woasr_cli.server.app import create_app

        return create_app
    raise AttributeError(name)

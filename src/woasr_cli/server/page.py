"""The web page: ``/`` answers browsers with ``static/index.html`` (plain HTML, CSS and JavaScript,
no build step) and API clients with the original's JSON; ``/static`` serves the page's files.

Both stay open without the API key: the page holds no data, and it is where the user types the
key (kept in the tab's ``sessionStorage`` and sent as ``Authorization: Bearer``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).with_name("static")


def wants_html(accept: str) -> bool:
    """Whether an ``Accept`` header prefers HTML to JSON (browsers send ``text/html,...``)."""
    html = json = -1.0
    for part in accept.split(","):
        kind, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if kind.strip() == "text/html":
            html = max(html, q)
        elif kind.strip() == "application/json":
            json = max(json, q)
    return html > 0 and html >= json


def is_public(path: str, accept: str) -> bool:
    """Requests that need no API key: the page itself (for a browser) and its static files."""
    return path.startswith("/static/") or (path == "/" and wants_html(accept))


def root_response(accept: str, info: dict[str, Any]) -> Any:
    """The page for browsers, ``info`` (the original's ``GET /`` JSON) for everything else."""
    from fastapi.responses import FileResponse, JSONResponse

    if wants_html(accept):
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
    return JSONResponse(info)


def mount_static(app: Any) -> None:
    """Serve the page's files under ``/static``."""
    from fastapi.staticfiles import StaticFiles

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

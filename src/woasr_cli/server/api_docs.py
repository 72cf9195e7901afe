"""``/docs`` (Swagger UI) and ``/redoc`` from files on this machine.

FastAPI's own pages load Swagger UI and ReDoc from a CDN (and ReDoc its fonts from Google), so
on a machine without internet, where woasr is meant to run, they were blank. The assets come
from the ``fastapi-offline`` wheel (the serve extra; Swagger UI 5, which reads OpenAPI 3.1) and
are served under ``/docs-assets``; without that package the pages fall back to the CDN.

The pages, their assets and ``/openapi.json`` hold no data, so they load without the API key,
as the web page does; Swagger UI's "Authorize" takes the key for the calls it makes.
"""

from __future__ import annotations

import importlib.util
from functools import partial
from pathlib import Path
from typing import Any

ASSETS = "/docs-assets"
OPEN_PATHS = frozenset({"/docs", "/redoc", "/openapi.json"})


def is_open(path: str) -> bool:
    """Requests for the API's description, which need no API key."""
    return path in OPEN_PATHS or path.startswith(ASSETS + "/")


def assets_dir() -> Path | None:
    """Where Swagger UI's and ReDoc's files are, when ``fastapi-offline`` is installed."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    static = Path(next(iter(spec.submodule_search_locations))) / "static"
    wanted = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js")
    return static if all((static / name).is_file() for name in wanted) else None


def install(app: Any, title: str, *, bearer: bool) -> None:
    """Add ``/docs`` and ``/redoc`` to ``app`` (made with ``docs_url=None, redoc_url=None``);
    ``bearer``: the server has an API key, so the schema says calls need one."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    local = assets_dir()
    title = f"{title} - API"
    swagger_page = partial(get_swagger_ui_html, openapi_url=app.openapi_url, title=title)
    redoc_page = partial(get_redoc_html, openapi_url=app.openapi_url, title=title)
    if local is not None:
        app.mount(ASSETS, StaticFiles(directory=local), name="docs-assets")
        swagger_page = partial(
            swagger_page,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        )
        redoc_page = partial(
            redoc_page,
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    async def swagger() -> HTMLResponse:
        return swagger_page()

    async def redoc() -> HTMLResponse:
        return redoc_page()

    app.add_api_route("/docs", swagger, methods=["GET"], include_in_schema=False)
    app.add_api_route("/redoc", redoc, methods=["GET"], include_in_schema=False)
    if bearer:
        _declare_bearer(app)


def _declare_bearer(app: Any) -> None:
    """The schema names the key (HTTP bearer) for every operation, so Swagger UI shows its
    "Authorize" button and sends the key with "Try it out"."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema: dict[str, Any] = plain()
            schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
            schemes["apiKey"] = {"type": "http", "scheme": "bearer"}
            schema["security"] = [{"apiKey": []}]
            app.openapi_schema = schema
        return app.openapi_schema  # type: ignore[no-any-return]

    app.openapi = openapi

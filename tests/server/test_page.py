"""The web page's routes (TestClient): HTML for browsers and the original's JSON for API clients
at ``/``, the static files, and which of them need the API key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'woasr[serve]'")

from fastapi.testclient import TestClient

from woasr_cli.server.app import create_app
from woasr_cli.server.page import STATIC_DIR, wants_html
from woasr_cli.server.settings import ServerSettings

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def client_for(tmp: Path, **settings: object) -> TestClient:
    return TestClient(create_app(ServerSettings(data_dir=tmp, **settings)))  # type: ignore[arg-type]


def test_accept_negotiation() -> None:
    assert wants_html(BROWSER)
    assert not wants_html("application/json")
    assert not wants_html("*/*") and not wants_html("")  # curl, httpx, the openai SDK
    assert not wants_html("text/html;q=0.5, application/json")
    assert wants_html("application/json;q=0.5, text/html")


def test_page_for_browsers_json_for_clients(tmp_path: Path) -> None:
    with client_for(tmp_path) as c:
        page = c.get("/", headers={"Accept": BROWSER})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert 'id="files"' in page.text and "static/page.js" in page.text
        assert c.get("/").json()["status"] == "running"
        assert c.get("/", headers={"Accept": "application/json"}).json()["status"] == "running"
        for name in ("page.js", "page.css"):
            served = c.get(f"/static/{name}")
            assert served.status_code == 200
            assert served.text == (STATIC_DIR / name).read_text()
        assert c.get("/static/../app.py").status_code == 404


def test_page_loads_without_the_key_everything_else_needs_it(tmp_path: Path) -> None:
    with client_for(tmp_path, api_key="k") as c:
        assert c.get("/", headers={"Accept": BROWSER}).status_code == 200
        assert c.get("/static/page.js").status_code == 200
        assert c.get("/", headers={"Accept": "application/json"}).status_code == 401
        assert c.get("/api/v1/transcribe/jobs", headers={"Accept": BROWSER}).status_code == 401
        ok = c.get("/", headers={"Accept": "application/json", "Authorization": "Bearer k"})
        assert ok.json()["status"] == "running"


def test_the_api_docs_load_from_this_machine_without_the_key(tmp_path: Path) -> None:
    # FastAPI's /docs and /redoc load Swagger UI and ReDoc from a CDN: blank offline. And with
    # a key they answered 401 to a browser, which cannot send it. They hold no data.
    pytest.importorskip("fastapi_offline", reason="needs the serve extra (fastapi-offline)")
    with client_for(tmp_path, api_key="k") as c:
        for page_path in ("/docs", "/redoc"):
            html = c.get(page_path, headers={"Accept": BROWSER})
            assert html.status_code == 200
            assets = re.findall(r'(?:src|href)="([^"]+)"', html.text)
            assert assets and all(a.startswith("/docs-assets/") for a in assets), assets
            assert "https://" not in html.text  # no CDN, no Google Fonts
            for asset in assets:
                assert c.get(asset).status_code == 200, asset
        schema = c.get("/openapi.json").json()
        # Swagger UI's "Authorize" button: the key is typed there and sent with "Try it out"
        assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
        assert schema["security"] == [{"apiKey": []}]
        assert c.get("/v1/models").status_code == 401
        assert c.get("/docs-assets/../manifest.sqlite").status_code in (401, 404)
    with client_for(tmp_path / "open") as c:
        assert "securitySchemes" not in c.get("/openapi.json").json().get("components", {})


def test_static_files_are_package_data() -> None:
    tomllib = pytest.importorskip("tomllib", reason="Python 3.11+ reads pyproject.toml")
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["woasr_cli"]
    assert "server/static/*" in patterns
    assert {p.name for p in STATIC_DIR.iterdir()} == {"index.html", "page.css", "page.js"}


def test_the_page_is_offered_only_providers_the_server_can_run(tmp_path: Path) -> None:
    with client_for(tmp_path) as c:
        info = c.get("/api/v1/transcribe/providers").json()
    assert info["providers"]["faster_whisper"] is True
    # openai_api needs a base URL and key that jobs of this server never carry.
    assert info["providers"]["openai_api"] is False
    assert "WOASR_OPENAI_BASE_URL" in info["missing"]["openai_api"]

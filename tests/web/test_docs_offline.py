"""/docs and /redoc work without internet: their pages load only files this app serves."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.web.support import make_pipeline
from web.api import DOCS_ASSETS_URL, build_api

_LINKS = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""")


@pytest.fixture
def api(data_dir) -> TestClient:
    with TestClient(build_api(make_pipeline(data_dir))) as client:
        yield client


def _links(html: str) -> list[str]:
    return [a or b for a, b in _LINKS.findall(html)]


@pytest.mark.parametrize(("page", "assets"), [
    ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}),
    ("/redoc", {"redoc.standalone.js", "favicon.png"}),
])
def test_the_docs_pages_reference_only_files_served_here(api, page, assets):
    answer = api.get(page)

    assert answer.status_code == 200
    assert "http://" not in answer.text and "https://" not in answer.text
    links = _links(answer.text)
    assert {link.rpartition("/")[2] for link in links if link.startswith(DOCS_ASSETS_URL)} == assets
    assert all(link.startswith("/") for link in links)


@pytest.mark.parametrize(("name", "kind"), [
    ("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css"),
    ("redoc.standalone.js", "javascript"), ("favicon.png", "image/png"),
])
def test_the_docs_files_are_served(api, name, kind):
    answer = api.get(f"{DOCS_ASSETS_URL}/{name}")

    assert answer.status_code == 200
    assert kind in answer.headers["content-type"]
    assert len(answer.content) > 1000


def test_swagger_ui_points_at_this_apps_openapi_document(api):
    assert "url: '/openapi.json'" in api.get("/docs").text
    assert api.get("/openapi.json").json()["paths"]
    assert "/docs-assets" not in str(api.get("/openapi.json").json()["paths"])


def test_the_swagger_oauth_redirect_page_is_served_too(api):
    answer = api.get("/docs/oauth2-redirect")

    assert answer.status_code == 200 and "https://" not in answer.text


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_forbid_loading_from_elsewhere(api, page):
    policy = api.get(page).headers["content-security-policy"]

    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy
    assert "http" not in policy

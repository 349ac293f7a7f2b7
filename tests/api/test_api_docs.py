"""The API documentation works without internet: /docs (Swagger UI) and /redoc (ReDoc) load their
scripts and styles from the server itself (the fastapi-offline package ships them), never a CDN."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient

KEY = "s3cret-key-for-tests"  # conftest.py's

URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*['"]([^'"]+)['"]|https?://[^\s"'<>)]+""")


def _references(html: str) -> list[str]:
    refs = []
    for m in URL.finditer(html):
        refs.append(m.group(1) or m.group(2) or m.group(0))
    return refs


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_reference_no_external_host(client: TestClient, page: str) -> None:
    r = client.get(page)
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    html = r.text
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    refs = _references(html)
    assert refs, "the page loads its assets from somewhere"
    for ref in refs:
        assert not urlparse(ref).netloc, f"{page} references an external host: {ref}"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_every_asset_the_docs_load_is_served(client: TestClient, page: str) -> None:
    html = client.get(page).text
    assets = [ref for ref in _references(html) if ref.startswith("/static-offline-docs/")]
    assert assets, f"{page} loads its scripts from the server"
    for asset in assets:
        r = client.get(asset)
        assert r.status_code == 200, asset
        assert len(r.content) > 100, asset
    assert client.get("/openapi.json").status_code == 200


def test_swagger_ui_and_redoc_bundles_are_the_real_ones(client: TestClient) -> None:
    js = client.get("/static-offline-docs/swagger-ui-bundle.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "SwaggerUIBundle" in js.text
    css = client.get("/static-offline-docs/swagger-ui.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    redoc = client.get("/static-offline-docs/redoc.standalone.js")
    assert redoc.status_code == 200 and "Redoc" in redoc.text
    # no validator badge fetched from Swagger's own server
    assert '"validatorUrl": null' in client.get("/docs").text


def test_docs_assets_are_not_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(p.startswith(("/docs", "/redoc", "/static-offline-docs")) for p in paths)


def test_docs_behind_keys_still_load_with_a_key(keyed: TestClient) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    assert keyed.get("/docs", headers=auth).status_code == 200
    assert keyed.get("/static-offline-docs/swagger-ui.css", headers=auth).status_code == 200

"""GET /matrix: the ask-once matrix of the library the server decides with."""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from eenvoud.api import create_app
from eenvoud.api.keys import ApiKeys
from eenvoud.library import Library

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(scope="module")
def shipped() -> Iterator[TestClient]:
    lib = Library.load([RULES])
    lib.raise_for_errors()
    with TestClient(create_app(lib, keys=ApiKeys(), audit=None)) as c:
        yield c


def test_matrix_json(shipped: TestClient) -> None:
    r = shipped.get("/matrix")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    data = r.json()
    names = [f["name"] for f in data["facts"]]
    lib = Library.load([RULES])
    assert set(names) == {i.name for reg in lib.regulations.values() for i in reg.inputs}
    first = data["facts"][0]
    assert first["name"] == "birth_date" and first["registry"] == "BRP" and len(first["agencies"]) > 1
    assert {"name", "label", "regulations", "agencies", "registry", "documents"} <= set(first)
    # no path of the server's machine
    assert all(not f["declared_in"].startswith("/") for f in data["facts"])
    agencies = [len(f["agencies"]) for f in data["facts"]]
    assert agencies == sorted(agencies, reverse=True)
    assert data["shared_by_agencies"] == sum(1 for n in agencies if n > 1)


@pytest.mark.parametrize("fmt, media, start", [
    ("md", "text/markdown", "# The ask-once matrix"),
    ("csv", "text/csv", "name,label"),
    ("html", "text/html", "<!DOCTYPE html>"),
])
def test_matrix_formats(shipped: TestClient, fmt: str, media: str, start: str) -> None:
    r = shipped.get("/matrix", params={"format": fmt})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(media)
    assert r.text.startswith(start)
    if fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(r.text)))) == len(shipped.get("/matrix").json()["facts"])
    if fmt == "html":
        assert "<svg" in r.text and "<script" not in r.text


def test_matrix_unknown_format_is_422(shipped: TestClient) -> None:
    assert shipped.get("/matrix", params={"format": "pdf"}).status_code == 422


def test_matrix_is_in_the_openapi_document(shipped: TestClient) -> None:
    spec = shipped.get("/openapi.json").json()
    assert "/matrix" in spec["paths"]


def test_matrix_needs_a_key_when_the_server_has_keys() -> None:
    lib = Library.load([RULES])
    with TestClient(create_app(lib, keys=ApiKeys.of(["a-key-for-the-matrix"]), audit=None)) as c:
        assert c.get("/matrix").status_code == 401
        assert c.get("/matrix", headers={"Authorization": "Bearer a-key-for-the-matrix"}).status_code == 200

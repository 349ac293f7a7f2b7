"""Fixtures for the API tests: a small library of three regulations that share inputs, and
clients for an open server and for one with API keys."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from eenvoud.api import create_app
from eenvoud.api.keys import ApiKeys
from eenvoud.library import Library

with warnings.catch_warnings():
    # starlette nudges towards httpx2; the TestClient works the same
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

RULES = Path(__file__).parent / "rules"
KEY = "s3cret-key-for-tests"


@pytest.fixture(scope="session")
def library() -> Library:
    lib = Library.load([RULES])
    lib.raise_for_errors()
    return lib


@pytest.fixture(scope="session")
def client(library: Library) -> Iterator[TestClient]:
    with TestClient(create_app(library, keys=ApiKeys())) as c:
        yield c


@pytest.fixture(scope="session")
def keyed(library: Library) -> Iterator[TestClient]:
    with TestClient(create_app(library, keys=ApiKeys.of([KEY, "another-key"]))) as c:
        yield c

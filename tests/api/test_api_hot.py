"""The hot path (eenvoud/api/hot.py) answers `POST /regulations/{id}/eligibility` exactly as
FastAPI's route does: the same status, headers and bytes, for good cases and for every kind of
mistake; whatever else comes goes on to FastAPI."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eenvoud.api import create_app
from eenvoud.api.hot import HotRoutes, _eligibility
from eenvoud.api.keys import ApiKeys
from eenvoud.audit import Audit, open_store
from eenvoud.library import Library

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

KEY = "hot-path-key"
GOOD = {"date": "2025-01-01", "facts": {"age": 30, "insured": True, "has_partner": False, "income": "20000.00",
                                        "assets": "0.00"}}
JSON = {"Content-Type": "application/json"}

# (method, path, body bytes or None, headers)
REQUESTS: list[tuple[str, str, bytes | None, dict[str, str]]] = [
    ("POST", "/regulations/zorgtoeslag/eligibility", json.dumps(GOOD).encode(), JSON),
    ("POST", "/regulations/zorgtoeslag/eligibility", json.dumps({"facts": {"age": 30}}).encode(), JSON),
    ("POST", "/regulations/zorgtoeslag/eligibility", b'{"date": "2025-01-01", "facts": {"income": 20000.10}}', JSON),
    ("POST", "/regulations/zorgtoeslag/eligibility", json.dumps(GOOD).encode(), {"Content-Type": "text/plain"}),
    ("POST", "/regulations/zorgtoeslag/eligibility", json.dumps(GOOD).encode(), {}),
    ("POST", "/regulations/zorgtoeslag/eligibility", b"", JSON),
    ("POST", "/regulations/zorgtoeslag/eligibility", b"{not json", JSON),
    ("POST", "/regulations/zorgtoeslag/eligibility", b"[1, 2]", JSON),
    ("POST", "/regulations/zorgtoeslag/eligibility", b'{"facts": {"age": 1, "age": 2}}', JSON),
    ("POST", "/regulations/zorgtoeslag/eligibility", b'{"facts": {"age": "thirty", "incme": "1.00"}, "x": 1}', JSON),
    ("POST", "/regulations/zorgtoeslag/eligibility", b'{"date": "01-01-2025", "facts": {}}', JSON),
    ("POST", "/regulations/zorgtoeslag/eligibility", b'{"date": "1900-01-01", "facts": {}}', JSON),
    ("POST", "/regulations/zorgtoeslag/eligibility", b'{"facts": {"income": "1e400"}}', JSON),
    ("POST", "/regulations/zorgtoeslag/eligibility", b'{"facts": {"age": NaN}}', JSON),
    ("POST", "/regulations/zorgtoeslag/eligibility", b"," * 3000, JSON),
    ("POST", "/regulations/zorgtoeslg/eligibility", json.dumps(GOOD).encode(), JSON),
    ("POST", "/regulations/zorg%20toeslag/eligibility", json.dumps(GOOD).encode(), JSON),
    ("POST", "/regulations/zorgtoeslag/eligibility/", json.dumps(GOOD).encode(), JSON),
    ("POST", "/regulations//eligibility", json.dumps(GOOD).encode(), JSON),
    ("POST", "/regulations/a/b/eligibility", json.dumps(GOOD).encode(), JSON),
    ("GET", "/regulations/zorgtoeslag/eligibility", None, {}),
    ("PUT", "/regulations/zorgtoeslag/eligibility", json.dumps(GOOD).encode(), JSON),
    ("POST", "/eligibility", json.dumps(GOOD).encode(), JSON),
]


def _app(library: Library, hot: bool, keys: ApiKeys, audit: Audit | None = None) -> Any:
    app = create_app(library, keys=keys, audit=audit)
    if not hot:  # the middleware stack is built at the first request: before it, the hot path can go
        app.user_middleware = [m for m in app.user_middleware if m.cls is not HotRoutes]
    return app


def _answer(client: TestClient, method: str, path: str, body: bytes | None, headers: dict[str, str]
            ) -> tuple[int, list[tuple[str, str]], bytes]:
    r = client.request(method, path, content=body, headers=headers, follow_redirects=False)
    # a stored decision's id differs from one request to the next: compare the rest
    decision_id = r.headers.get("x-decision-id")
    content = r.content if decision_id is None else r.content.replace(decision_id.encode(), b"<id>")
    return r.status_code, [(k, "<id>" if k == "x-decision-id" else v) for k, v in r.headers.multi_items()], content


@pytest.fixture(scope="module")
def pair(library: Library) -> Iterator[tuple[TestClient, TestClient]]:
    with TestClient(_app(library, True, ApiKeys())) as hot, TestClient(_app(library, False, ApiKeys())) as routed:
        yield hot, routed


@pytest.mark.parametrize(("method", "path", "body", "headers"), REQUESTS)
def test_the_hot_path_answers_as_the_route_does(pair: tuple[TestClient, TestClient], method: str, path: str,
                                                body: bytes | None, headers: dict[str, str]) -> None:
    hot, routed = pair
    assert _answer(hot, method, path, body, headers) == _answer(routed, method, path, body, headers)


def test_the_same_with_keys_and_the_store(library: Library, tmp_path: Path) -> None:
    keys = ApiKeys.of([KEY])
    stores = [Audit(open_store(f"sqlite:///{tmp_path / name}.sqlite3"), None) for name in ("hot", "routed")]
    with TestClient(_app(library, True, keys, stores[0])) as hot, \
            TestClient(_app(library, False, keys, stores[1])) as routed:
        for method, path, body, headers in REQUESTS:
            for auth in ({}, {"Authorization": f"Bearer {KEY}"}, {"Authorization": "Bearer wrong"}):
                h = {**headers, **auth}
                assert _answer(hot, method, path, body, h) == _answer(routed, method, path, body, h), (path, body, h)
        ok = hot.post("/regulations/zorgtoeslag/eligibility", json=GOOD, headers={"Authorization": f"Bearer {KEY}"})
        assert ok.status_code == 200 and ok.json()["decision_id"] == ok.headers["x-decision-id"]
        assert hot.get(f"/decisions/{ok.headers['x-decision-id']}",
                       headers={"Authorization": f"Bearer {KEY}"}).json()["caller"].startswith("key sha256:")
        assert stores[0].store.count() == stores[1].store.count() + 1 > 1


def test_only_the_one_path_and_method_take_it() -> None:
    def scope(method: str, path: str, **extra: Any) -> dict[str, Any]:
        return {"type": "http", "method": method, "path": path, **extra}

    assert _eligibility(scope("POST", "/regulations/zorgtoeslag/eligibility")) == "zorgtoeslag"
    assert _eligibility(scope("GET", "/regulations/zorgtoeslag/eligibility")) is None
    assert _eligibility(scope("POST", "/regulations/zorgtoeslag/eligibility/")) is None
    assert _eligibility(scope("POST", "/regulations//eligibility")) is None
    assert _eligibility(scope("POST", "/regulations/a/b/eligibility")) is None
    assert _eligibility(scope("POST", "/regulations/eligibility")) is None
    assert _eligibility(scope("POST", "/api/regulations/x/eligibility", root_path="/api")) is None
    assert _eligibility({"type": "websocket", "path": "/regulations/x/eligibility"}) is None

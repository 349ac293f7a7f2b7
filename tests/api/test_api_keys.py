"""API keys: when a server has them, every route but /health needs one; they are kept as hashes."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eenvoud.api.keys import ApiKeys, KeyFileError, read_key_file

KEY = "s3cret-key-for-tests"

PROTECTED = [
    ("GET", "/regulations"),
    ("GET", "/regulations/zorgtoeslag"),
    ("GET", "/regulations/zorgtoeslag/schema"),
    ("GET", "/regulations/zorgtoeslag/analysis"),
    ("POST", "/regulations/zorgtoeslag/eligibility"),
    ("POST", "/eligibility"),
    ("GET", "/events"),
]
BODY = {"date": "2025-01-01", "facts": {"age": 30}}


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_route_but_health_needs_a_key(keyed: TestClient, method: str, path: str) -> None:
    body = BODY if method == "POST" else None
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"},
                    {"Authorization": KEY}, {"Authorization": f"Bearer {KEY}x"}):
        r = keyed.request(method, path, json=body, headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer <key>" in r.json()["detail"]
    r = keyed.request(method, path, json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code in (200, 503), r.text  # 503: analysis without an analyzer
    r = keyed.request(method, path, json=body, headers={"Authorization": "Bearer another-key"})
    assert r.status_code in (200, 503), r.text


def test_health_needs_no_key(keyed: TestClient) -> None:
    assert keyed.get("/health").status_code == 200


def test_a_missing_key_is_refused_before_the_body_is_judged(keyed: TestClient) -> None:
    r = keyed.post("/regulations/zorgtoeslag/eligibility", content=b"not json")
    assert r.status_code == 401


def test_keys_are_kept_only_as_hashes() -> None:
    keys = ApiKeys.of([KEY])
    assert keys.hashes == (hashlib.sha256(KEY.encode()).digest(),)
    assert KEY not in repr(keys)
    assert keys.accepts(KEY) and not keys.accepts(KEY.upper()) and not keys.accepts(None)
    assert not ApiKeys().required


def test_keys_from_the_environment_and_a_hash_file(tmp_path: Path) -> None:
    other = "key-in-a-file"
    f = tmp_path / "keys"
    f.write_text(f"# the agency's portal\nsha256:{hashlib.sha256(other.encode()).hexdigest()}\n\n")
    keys = ApiKeys.from_env({"EENVOUD_API_KEYS": f" {KEY} , ,second", "EENVOUD_API_KEY_FILE": str(f)})
    assert len(keys.hashes) == 3
    assert keys.accepts(KEY) and keys.accepts("second") and keys.accepts(other)
    assert not ApiKeys.from_env({}).required


def test_a_key_file_with_a_clear_key_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "keys"
    f.write_text("my-clear-key\n")
    with pytest.raises(KeyFileError, match=r"keys:1: expected `sha256:` and 64 hex digits"):
        read_key_file(f)
    with pytest.raises(KeyFileError, match="cannot read the API key file"):
        read_key_file(tmp_path / "missing")


def test_the_key_never_reaches_the_log(keyed: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        keyed.post("/eligibility", json=BODY, headers={"Authorization": f"Bearer {KEY}"})
        keyed.post("/eligibility", json=BODY, headers={"Authorization": "Bearer guessed-key"})
    assert KEY not in caplog.text and "guessed-key" not in caplog.text

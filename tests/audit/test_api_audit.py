"""The API with the decision store: `decision_id` and X-Decision-Id, GET /decisions/{id}, its
replay, the redecision after an objection; the caller's key name kept, the key never."""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from eenvoud.api import create_app
from eenvoud.api.keys import ApiKeys
from eenvoud.audit import Audit, open_store
from eenvoud.audit.crypto import FactsCipher
from eenvoud.library import Library
from tests.audit.conftest import KEY

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API_KEY = "portal-key-never-stored-7f3a"
BODY = {"date": "2025-03-01", "facts": {"income": "40000.00", "household": 2, "assets": 250.5}}


@pytest.fixture
def client(library: Library, store_url: str, cipher: FactsCipher, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    keys = tmp_path / "keys.txt"
    keys.write_text(f"sha256:{hashlib.sha256(API_KEY.encode()).hexdigest()}  # the citizen portal\n"
                    f"sha256:{hashlib.sha256(b'unnamed').hexdigest()}\n")
    monkeypatch.setenv("EENVOUD_API_KEY_FILE", str(keys))
    audit = Audit(open_store(store_url), cipher)
    with TestClient(create_app(library, keys=ApiKeys.from_env(), audit=audit),
                    headers={"Authorization": f"Bearer {API_KEY}"}) as c:
        yield c


def test_a_decision_has_an_id_in_the_body_and_the_header(client: TestClient) -> None:
    r = client.post("/regulations/benefit/eligibility", json=BODY)
    assert r.status_code == 200
    decision = r.json()
    assert decision["decision_id"] == r.headers["X-Decision-Id"]
    assert decision["eligible"] is False

    got = client.get(f"/decisions/{decision['decision_id']}")
    assert got.status_code == 200
    stored = got.json()
    assert json.dumps(stored["outcome"], ensure_ascii=False, separators=(",", ":")).encode() == r.content
    assert stored["caller"] == "the citizen portal"
    assert stored["facts"] == {"income": "40000.00", "household": 2, "assets": "250.5"}
    assert stored["regulation"] == "benefit" and stored["hash"] == decision["hash"]
    assert stored["previous"] is None and stored["redecided_by"] == []

    replay = client.get(f"/decisions/{decision['decision_id']}/replay").json()
    assert replay["identical"] is True and replay["differences"] == []
    assert replay["engine_version"]["stored"] == replay["engine_version"]["replayed"]

    rules = client.get(f"/decisions/{decision['decision_id']}/rules").json()
    assert [f["name"].rsplit("/", 1)[-1] for f in rules["files"]] == ["base.rules", "benefit.rules"]


def test_the_decision_after_an_objection(client: TestClient) -> None:
    first = client.post("/regulations/benefit/eligibility", json=BODY).json()
    r = client.post(f"/decisions/{first['decision_id']}/redecide", json={"facts": {"income": "12000.00"}})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["previous"] == first["decision_id"] and out["decision_id"] == r.headers["X-Decision-Id"]
    assert out["decision"]["eligible"] is True and out["decision"]["decision_id"] == out["decision_id"]
    assert "Requirement `low_income` (Inkomen onder de grens, Art. 1) now holds; before, it did not hold " \
           "(income 40000.00 -> 12000.00)." in out["changes"]
    assert any(c.startswith("Amount `benefit` changed: 0.00 -> 900.00") for c in out["changes"])
    assert client.get(f"/decisions/{first['decision_id']}").json()["redecided_by"] == [out["decision_id"]]
    second = client.get(f"/decisions/{out['decision_id']}").json()
    assert second["previous"] == first["decision_id"] and second["facts"]["income"] == "12000.00"
    assert client.get(f"/decisions/{out['decision_id']}/replay").json()["identical"] is True


def test_a_wrong_redecision_is_a_422_and_an_unknown_id_a_404(client: TestClient) -> None:
    first = client.post("/regulations/benefit/eligibility", json=BODY).json()
    r = client.post(f"/decisions/{first['decision_id']}/redecide", json={"facts": {"household": 11}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "facts", "household"]
    r = client.post(f"/decisions/{first['decision_id']}/redecide", json={"fact": {}})
    assert r.status_code == 422
    assert client.get("/decisions/nope").status_code == 404
    assert client.get("/decisions/nope/replay").status_code == 404
    assert client.post("/decisions/nope/redecide", json={"facts": {}}).status_code == 404


def test_the_key_never_reaches_the_store_or_the_log(client: TestClient, store_url: str,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ids = [client.post("/regulations/benefit/eligibility", json=BODY).json()["decision_id"] for _ in range(3)]
    client.post(f"/decisions/{ids[0]}/redecide", json={"facts": {"income": "12000.00"}})
    client.get(f"/decisions/{ids[0]}/replay")
    dump = _everything(store_url)
    secret = KEY.split(":", 1)[1]
    for needle in (API_KEY, secret, hashlib.sha256(API_KEY.encode()).hexdigest()):
        assert needle not in dump
        assert needle not in caplog.text
    assert "the citizen portal" in dump  # the key's name is kept


def test_without_a_store_there_is_no_id(library: Library) -> None:
    with TestClient(create_app(library, keys=ApiKeys(), audit=None)) as c:
        r = c.post("/regulations/benefit/eligibility", json=BODY)
        assert "decision_id" not in r.json() and "X-Decision-Id" not in r.headers
        assert c.get("/decisions/any").status_code == 404


def _everything(store_url: str) -> str:
    """Every byte the store holds, as text (SQLite: the file and its WAL; PostgreSQL: every row)."""
    if store_url.startswith("sqlite:///"):
        path = Path(store_url.removeprefix("sqlite:///"))
        return "".join(p.read_bytes().decode("latin-1") for p in path.parent.glob(path.name + "*"))
    import psycopg

    with psycopg.connect(store_url) as conn:
        rows = [str(r) for t in ("decisions", "rule_sets", "runs") for r in conn.execute(f"SELECT * FROM {t}")]  # type: ignore[arg-type]
    return "\n".join(rows)

"""The playground's routes without a browser (these run with or without Chromium): the page and its
assets come from the server only, under a policy that allows nothing else; the text is bounded, its
imports reach only the served library's files, and whatever the text or the facts, the answer is a
200 or a 4xx with its reasons, never a 500."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eenvoud.api import create_app
from eenvoud.api.analysis import Analyses
from eenvoud.api.keys import ApiKeys
from eenvoud.api.routes.playground import CSP, MAX_TEXT, PLAYGROUND_CSP
from eenvoud.library import Library

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
ZORGTOESLAG = (ROOT / "rules" / "nl" / "rijk" / "zorgtoeslag.rules").read_text(encoding="utf-8")
FACTS = {"age": 30, "insured": True, "has_partner": False, "income": "20000.00", "assets": "0.00"}


def stand_in(reg: Any, day: Any, timeout: float) -> list[dict[str, object]]:
    return [{"kind": "irrelevant_input", "subject": "age", "message": "stand-in", "witness": None}]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    library = Library.load([ROOT / "rules"])
    library.raise_for_errors()
    app = create_app(library, keys=ApiKeys(), analyses=Analyses(analyzer=stand_in), audit=None)
    with TestClient(app) as c:
        yield c


def post(client: TestClient, route: str, body: Any) -> Any:
    r = client.post(f"/playground/{route}", json=body)
    assert r.status_code < 500, r.text
    return r


def test_the_page_and_its_assets_come_from_this_server(client: TestClient) -> None:
    r = client.get("/playground")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert r.headers["content-security-policy"] == PLAYGROUND_CSP
    assert "script-src 'self';" in PLAYGROUND_CSP and "unsafe" not in PLAYGROUND_CSP
    assert "default-src 'self'" in CSP and "http" not in CSP + PLAYGROUND_CSP
    refs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert "/static/highlight.js" in refs and "/static/playground/playground.js" in refs
    for ref in refs:
        assert ref.startswith("/static/"), ref
        asset = client.get(ref)
        assert asset.status_code == 200 and len(asset.content) > 500, ref
        if ref.startswith("/static/playground/"):  # the highlighter's grammar names its schema by URL
            assert "https://" not in asset.text and "http://" not in asset.text, ref
    for page in ("/docs", "/redoc"):
        assert client.get(page).headers["content-security-policy"] == CSP
    assert "content-security-policy" not in client.get("/regulations").headers
    # the page's routes are the page's, not the eligibility API's
    assert not [p for p in client.get("/openapi.json").json()["paths"] if p.startswith("/playground")]


def test_it_starts_with_the_zorgtoeslag(client: TestClient) -> None:
    start = client.get("/playground/start").json()
    assert start["file"] == "rijk/zorgtoeslag.rules" and start["text"] == ZORGTOESLAG
    assert "common/awir.rules" in start["files"]
    assert client.get("/playground/start", params={"file": "common/awir.rules"}).json()["text"].startswith("#")
    assert client.get("/playground/start", params={"file": "../../etc/passwd"}).status_code == 422
    # a file of one's own, at the library's root: empty, and it imports the library's modules from there
    new = client.get("/playground/start", params={"file": "(a new file)"}).json()
    assert new["file"] == "(a new file)" and new["text"] == "" and "(a new file)" in start["files"]
    text = ('regulation mine "Mine"\nimport "common/awir.rules"\n'
            'requirement r "R" article "1": not has_partner\n')
    answer = post(client, "check", {"text": text, "file": "(a new file)"}).json()
    assert answer["ok"], answer
    assert "has_partner" in [i["name"] for i in answer["regulation"]["inputs"]]


def test_check_gives_diagnostics_and_the_inputs(client: TestClient) -> None:
    ok = post(client, "check", {"text": ZORGTOESLAG}).json()
    assert ok["ok"] and ok["diagnostics"] == []
    inputs = {i["name"]: i for i in ok["regulation"]["inputs"]}
    assert inputs["insured"]["type"] == "bool" and inputs["age"]["domain"] == {"minimum": 0, "maximum": 130}
    typo = post(client, "check", {"text": ZORGTOESLAG.replace("age >= 18", "agee >= 18", 1)}).json()
    assert not typo["ok"]
    [d] = typo["diagnostics"]
    assert d["code"] == "E0100" and "agee" in d["message"] and d["help"] == "did you mean `age`?"
    assert ZORGTOESLAG.replace("age >= 18", "agee >= 18", 1).split("\n")[d["line"] - 1][d["column"] - 1:].startswith("agee")
    assert d["end_column"] == d["column"] + 4


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../../etc/passwd", "../../../pyproject.toml",
                                    "zorgtoeslag.rules", "../common/missing.rules", "a\x00b", "x" * 5000,
                                    "../common/awir.rules\x00"])
def test_imports_reach_only_the_served_library(client: TestClient, target: str) -> None:
    text = f'regulation x "x"\nimport "{target}"\ninput a : bool "A"\nrequirement r "R" article "1": a\n'
    answer = post(client, "check", {"text": text}).json()
    assert not answer["ok"]
    assert [d["code"] for d in answer["diagnostics"]] in (["E0110"], ["E0111"])
    assert "root:" not in str(answer)


def test_the_text_is_bounded_and_the_body_checked(client: TestClient) -> None:
    assert post(client, "check", {"text": "x" * (MAX_TEXT + 1)}).status_code == 422
    assert client.post("/playground/check", content=b"{", headers={"content-type": "application/json"}).status_code == 422
    assert client.post("/playground/check", content=b'{"text": ""}', headers={"content-type": "text/plain"}).status_code == 415
    assert client.post("/playground/check", content=b'{"text": "\\ud800"}',
                       headers={"content-type": "application/json"}).status_code == 422
    assert post(client, "check", {"text": "", "extra": 1}).status_code == 422
    assert post(client, "check", {"text": 1}).status_code == 422
    assert post(client, "check", {"text": "", "file": "nope.rules"}).status_code == 422
    assert post(client, "check", {"text": ""}).json()["ok"] is False


def test_hover_names_what_is_under_the_cursor(client: TestClient) -> None:
    lines = ZORGTOESLAG.split("\n")
    at = next(i for i, line in enumerate(lines, 1) if line.startswith("input insured"))
    info = post(client, "hover", {"text": ZORGTOESLAG, "line": at, "column": 8}).json()
    assert info == {"name": "insured", "kind": "input", "label": "Verzekerd voor de Zorgverzekeringswet",
                    "type": "bool", "domain": {}, "registry": "from ZVW"}
    at = next(i for i, line in enumerate(lines, 1) if line.startswith("parameter standard_premium"))
    info = post(client, "hover", {"text": ZORGTOESLAG, "line": at, "column": 12, "date": "2025-01-01"}).json()
    assert info["kind"] == "parameter" and info["value"] == "€2_112.00"
    # an imported name, where it is used
    at, line = next((i, line) for i, line in enumerate(lines, 1) if "has_partner" in line and not line.startswith("#"))
    info = post(client, "hover", {"text": ZORGTOESLAG, "line": at, "column": line.index("has_partner") + 1}).json()
    assert info["kind"] == "input" and info["registry"].startswith("from BRP")
    assert post(client, "hover", {"text": ZORGTOESLAG, "line": 99999, "column": 1}).json()["kind"] is None
    # a text that does not check: the names it declares still have their labels
    broken = ZORGTOESLAG.replace("age >= 18", "agee >= 18", 1)
    at = next(i for i, line in enumerate(lines, 1) if line.startswith("input insured"))
    assert post(client, "hover", {"text": broken, "line": at, "column": 8}).json()["label"].startswith("Verzekerd")


def test_decide_test_and_analyze(client: TestClient) -> None:
    d = post(client, "decide", {"text": ZORGTOESLAG, "facts": FACTS, "date": "2025-01-01"}).json()
    assert d["eligible"] is True and d["amounts"]["zorgtoeslag"] == "1573.00"
    assert any(line.startswith("Voldaan:") for line in d["explanation"])
    assert post(client, "decide", {"text": ZORGTOESLAG, "facts": {**FACTS, "income": 12.5}}).json()["eligible"] is True
    wrong = post(client, "decide", {"text": ZORGTOESLAG, "facts": {"age": "thirty", "agee": 1}})
    assert wrong.status_code == 422 and {tuple(e["loc"]) for e in wrong.json()["detail"]} == {
        ("body", "facts", "age"), ("body", "facts", "agee")}
    broken = post(client, "decide", {"text": ZORGTOESLAG.replace("age >= 18", "agee >= 18", 1), "facts": {}})
    assert broken.status_code == 422 and "agee" in broken.json()["detail"][0]["msg"]
    assert post(client, "decide", {"text": ZORGTOESLAG, "facts": {}, "date": "1990-01-01"}).status_code == 422
    module = client.get("/playground/start", params={"file": "common/awir.rules"}).json()["text"]
    assert post(client, "decide", {"text": module, "file": "common/awir.rules", "facts": {}}).status_code == 422
    tests = post(client, "test", {"text": ZORGTOESLAG}).json()
    assert tests["failed"] == 0 and tests["passed"] >= 10
    failing = ZORGTOESLAG.replace("expect eligible", "expect not eligible", 1)
    assert post(client, "test", {"text": failing}).json()["failed"] == 1
    found = post(client, "analyze", {"text": ZORGTOESLAG, "date": "2025-01-01"}).json()
    assert found["regulation"] == "zorgtoeslag" and found["findings"][0]["message"] == "stand-in"
    at = next(i for i, line in enumerate(ZORGTOESLAG.split("\n"), 1) if line.startswith("input age"))
    assert found["findings"][0]["at"] == {"line": at, "column": len("input ") + 1}
    # a comment more: the same rules (the same hash, from the cache), the finding's place in this text
    again = post(client, "analyze", {"text": "# a note\n" + ZORGTOESLAG, "date": "2025-01-01"}).json()
    assert again["cached"] and again["findings"][0]["at"] == {"line": at + 1, "column": len("input ") + 1}


@settings(max_examples=25)
@given(st.text(max_size=300))
def test_any_text_is_answered_without_a_500(client: TestClient, text: str) -> None:
    for route, extra in (("check", {}), ("hover", {"line": 1, "column": 3}), ("test", {}), ("decide", {"facts": {}})):
        post(client, route, {"text": text, **extra})


@settings(max_examples=25)
@given(st.integers(0, len(ZORGTOESLAG)), st.integers(1, 40), st.sampled_from(["", "(", ")", "€", "\n", " if ", ":", '"']))
def test_a_damaged_zorgtoeslag_is_answered_without_a_500(client: TestClient, at: int, cut: int, put: str) -> None:
    text = ZORGTOESLAG[:at] + put + ZORGTOESLAG[at + cut:]
    for route, extra in (("check", {}), ("decide", {"facts": FACTS, "date": "2025-01-01"}), ("test", {})):
        post(client, route, {"text": text, **extra})
